// A real dcos-master stops promptly on SIGTERM with long-lived streams attached: an agent's
// AgentChannel stream, a framework's Scheduler subscription and an operator subscription end
// at once with UNAVAILABLE (so their clients go to the next leader now), instead of holding
// the gRPC server's shutdown until its grace runs out.

#include <signal.h>

#include <cstdio>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/testing/harness.h"
#include "libs/testing/process.h"
#include "protos/master/v1/operator.grpc.pb.h"
#include "tests/master/sim_clients.h"
#include "tests/zk/zk_ensemble.h"

namespace dcos::testing {
namespace {

TEST_CASE("dcos-master: SIGTERM ends agent, scheduler and operator streams and exits promptly") {
  std::string dir = MakeTempDir("master-shutdown");
  std::string address = absl::StrCat("127.0.0.1:", FreePort());
  // A grace far above what the test allows: only ending the streams lets it pass.
  auto master = TestProcess::Start(
      {"master-shutdown", Runfile("services/master/dcos-master"),
       {"--grpc.listen=" + address, "--metrics.listen=", "--shutdown.grace=30s"}, dir});
  REQUIRE(master.ok());
  REQUIRE(WaitServing(address, grpc::InsecureChannelCredentials(), absl::Seconds(30)).ok());
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());

  SimAgent agent(channel, RegisterMessage());
  REQUIRE(WaitFor([&] { return agent.Find([](const auto& m) { return m.has_registered(); })
                               .has_value(); },
                  absl::Seconds(10), "the agent registered")
              .ok());
  SimFramework framework(channel, Framework("shutdown"));
  REQUIRE(WaitFor([&] { return framework.Find([](const auto& e) { return e.has_subscribed(); })
                               .has_value(); },
                  absl::Seconds(10), "the framework subscribed")
              .ok());
  grpc::ClientContext op_ctx;
  auto op_stream = mv1::Operator::NewStub(channel)->Subscribe(&op_ctx, {});
  mv1::OperatorEvent first;
  REQUIRE(op_stream->Read(&first));
  REQUIRE(first.has_subscribed());

  const absl::Time signalled = absl::Now();
  (*master)->Signal(SIGTERM);
  absl::StatusOr<int> code = (*master)->WaitExit(absl::Seconds(5));
  REQUIRE(code.ok());
  CHECK(*code == 0);
  const absl::Duration took = absl::Now() - signalled;
  INFO("exit took " << absl::FormatDuration(took));
  std::printf("SIGTERM -> exit with an agent, a framework and an operator attached: %s (grace "
              "30 s)\n",
              absl::FormatDuration(took).c_str());
  CHECK(took < absl::Seconds(3));

  // The operator stream was ended by the master (not cut by the process's exit): UNAVAILABLE
  // with the reason.
  mv1::OperatorEvent e;
  while (op_stream->Read(&e)) {
  }
  grpc::Status ended = op_stream->Finish();
  CHECK(ended.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(ended.error_message().find("shutting down") != std::string::npos);
  // The agent's and the framework's streams are over too (their readers have returned).
  CHECK(WaitFor([&] { return agent.ended() && framework.ended(); }, absl::Seconds(5),
                "the agent's and the framework's streams ended")
            .ok());
}

TEST_CASE("dcos-master: SIGTERM after its dcos-zk ensemble is gone still exits promptly") {
  // Stopped together with dcos-zk (or after it), a master's resign and session close find no
  // member: they are best effort, bounded at 2 s, not the zk client's ~20 s of retries.
  std::string dir = MakeTempDir("master-shutdown-zk");
  ZkTestEnsemble zk({"--zk.min_session_timeout=500ms"});
  REQUIRE(zk.StartAll().ok());
  std::string address = absl::StrCat("127.0.0.1:", FreePort());
  auto master = TestProcess::Start(
      {"master-shutdown-zk", Runfile("services/master/dcos-master"),
       {"--grpc.listen=" + address, "--metrics.listen=", "--shutdown.grace=30s",
        "--master.zk=" + zk.Joined(), "--master.zk_session_timeout=10s"},
       dir});
  REQUIRE(master.ok());
  REQUIRE(WaitServing(address, grpc::InsecureChannelCredentials(), absl::Seconds(30)).ok());
  auto stub = mv1::Operator::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  REQUIRE(WaitFor(
              [&] {
                grpc::ClientContext ctx;
                ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
                mv1::GetLeaderResponse resp;
                return stub->GetLeader(&ctx, {}, &resp).ok() && resp.elected();
              },
              absl::Seconds(30), "the master leading")
              .ok());
  for (int m = 1; m <= 3; ++m) REQUIRE(zk.Kill(m).ok());

  const absl::Time signalled = absl::Now();
  (*master)->Signal(SIGTERM);
  absl::StatusOr<int> code = (*master)->WaitExit(absl::Seconds(15));
  REQUIRE(code.ok());
  const absl::Duration took = absl::Now() - signalled;
  std::printf("SIGTERM -> exit with its dcos-zk ensemble gone: %s\n",
              absl::FormatDuration(took).c_str());
  CHECK(took < absl::Seconds(6));
}

}  // namespace
}  // namespace dcos::testing
