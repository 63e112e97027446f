// Tests of the gRPC lookup API over a driver following a fake master: hosts, services (with
// their targets' addresses), enumeration grouped by framework and task, config and version,
// and bad names refused with the field named.

#include <catch2/catch.hpp>

#include <grpcpp/server_context.h>

#include "libs/clock/clock.h"
#include "libs/testing/harness.h"
#include "services/mesos-dns/core/test_util.h"
#include "services/mesos-dns/driver/dns_driver.h"
#include "services/mesos-dns/driver/fake_master.h"
#include "services/mesos-dns/lookup_api.h"

namespace dcos::dns {
namespace {

using core::testing::MakeAgent;
using core::testing::MakeFramework;
using core::testing::MakeTask;
using core::testing::TaskSpec;

struct Fixture {
  std::unique_ptr<driver::testing::FakeMaster> master = driver::testing::FakeMaster::Start();
  std::unique_ptr<driver::DnsDriver> driver;

  Fixture() {
    master::v1::ClusterState state;
    *state.add_agents() = MakeAgent("a-S1", "10.0.0.1");
    *state.add_agents() = MakeAgent("a-S2", "10.0.0.2");
    *state.add_frameworks() = MakeFramework("fw-1", "marathon");
    for (int i = 1; i <= 2; ++i) {
      TaskSpec spec;
      spec.id = "web." + std::to_string(i);
      spec.name = "web";
      spec.agent_id = "a-S" + std::to_string(i);
      spec.port_ranges = {{31000u + i, 31000u + i}};
      *state.add_tasks() = MakeTask(spec);
    }
    master->SetState(state);
    driver::DriverOptions options;
    options.follower.static_masters = {master->address()};
    auto d = driver::DnsDriver::Start(options, clock::RealClock::Default());
    REQUIRE(d.ok());
    driver = *std::move(d);
    REQUIRE(dcos::testing::WaitFor([&] { return driver->status().resyncs == 1; },
                                   absl::Seconds(10), "SUBSCRIBED")
                .ok());
  }

  LookupApi Api(bool enumeration = true) {
    v1::DnsConfig config;
    config.set_domain("mesos");
    return LookupApi(driver.get(), config, enumeration, "1.2.3",
                     [] { return absl::FromUnixSeconds(1767225600); });
  }
};

// The fixture, its API and a server context: what every case starts with.
struct ApiFixture : Fixture {
  LookupApi api = Api();
  grpc::ServerContext ctx;
};

TEST_CASE_METHOD(ApiFixture, "LookupHost: the addresses of a name; bad names refused") {
  v1::LookupHostRequest req;
  req.set_host("WEB.marathon.mesos.");
  v1::LookupHostResponse resp;
  REQUIRE(api.LookupHost(&ctx, &req, &resp).ok());
  std::set<std::string> ips;
  for (const auto& r : resp.records()) {
    CHECK(r.host() == "web.marathon.mesos");
    ips.insert(r.ip());
  }
  CHECK(ips == std::set<std::string>{"10.0.0.1", "10.0.0.2"});

  req.set_host("nothing.marathon.mesos");
  resp.Clear();
  REQUIRE(api.LookupHost(&ctx, &req, &resp).ok());
  CHECK(resp.records().empty());

  for (const char* bad : {"web.example.com", "", "a..b.mesos"}) {
    INFO(bad);
    req.set_host(bad);
    grpc::Status s = api.LookupHost(&ctx, &req, &resp);
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(s.error_message().find("host: ") == 0);
  }
}

TEST_CASE_METHOD(ApiFixture, "LookupService: SRV records with their targets' addresses") {
  v1::LookupServiceRequest req;
  req.set_service("_web._tcp.marathon.mesos");
  v1::LookupServiceResponse resp;
  REQUIRE(api.LookupService(&ctx, &req, &resp).ok());
  REQUIRE(resp.records_size() == 2);
  std::set<std::string> seen;
  for (const auto& r : resp.records()) {
    CHECK(r.service() == "_web._tcp.marathon.mesos");
    CHECK(r.host().find("-s") != std::string::npos);  // the canonical web-<hash>-s<N> name
    seen.insert(r.ip() + ":" + std::to_string(r.port()));
  }
  CHECK(seen == std::set<std::string>{"10.0.0.1:31001", "10.0.0.2:31002"});
  req.set_service("_web._tcp.example.com");
  CHECK(api.LookupService(&ctx, &req, &resp).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_CASE_METHOD(ApiFixture, "Enumerate: tasks by framework, the cluster's records; disabled when configured") {
  v1::EnumerateRequest req;
  v1::EnumerateResponse resp;
  REQUIRE(api.Enumerate(&ctx, &req, &resp).ok());
  REQUIRE(resp.frameworks_size() == 1);
  CHECK(resp.frameworks(0).name() == "marathon");
  REQUIRE(resp.frameworks(0).tasks_size() == 2);
  for (const auto& t : resp.frameworks(0).tasks()) {
    CHECK(t.name() == "web");
    CHECK(t.id().rfind("web.", 0) == 0);
    bool a = false, srv = false;
    for (const auto& r : t.records()) {
      a = a || (r.type() == v1::Record::TYPE_A && r.name() == "web.marathon.mesos");
      srv = srv || (r.type() == v1::Record::TYPE_SRV && r.name() == "_web._tcp.marathon.mesos");
    }
    CHECK(a);
    CHECK(srv);
  }
  bool leader = false;
  for (const auto& r : resp.cluster_records()) leader = leader || r.name() == "leader.mesos";
  CHECK(leader);
  CHECK(resp.fresh());
  CHECK(resp.updated_at().seconds() == 1767225600);

  LookupApi off = Api(/*enumeration=*/false);
  CHECK(off.Enumerate(&ctx, &req, &resp).error_code() == grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_CASE_METHOD(ApiFixture, "GetConfig and GetVersion") {
  v1::GetConfigResponse config;
  REQUIRE(api.GetConfig(&ctx, nullptr, &config).ok());
  CHECK(config.config().domain() == "mesos");
  v1::GetVersionResponse version;
  REQUIRE(api.GetVersion(&ctx, nullptr, &version).ok());
  CHECK(version.service() == "dcos-dns");
  CHECK(version.build().version() == "1.2.3");
}

}  // namespace
}  // namespace dcos::dns
