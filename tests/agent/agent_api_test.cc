// The Agent API of a real dcos-agent (with a real master and framework): containers with
// usage, sandbox files by task id and by virtual path (offset, length, staying inside), kill
// through the agent, health and flags; and a task over its memory limit (cgroups, where the
// host has them writable: this test runs outside Bazel's sandbox for that).

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "libs/testing/harness.h"
#include "services/agent/isolator.h"
#include "tests/agent/cluster.h"

namespace dcos::testing {
namespace {

namespace cv1 = common::v1;
namespace av1 = agent::v1;
constexpr absl::Duration kWait = absl::Seconds(20);

struct Api {
  explicit Api(const std::string& address)
      : stub(av1::Agent::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {}
  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (av1::Agent::Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return (stub.get()->*method)(&ctx, req, resp);
  }
  std::unique_ptr<av1::Agent::Stub> stub;
};

av1::FileLocation ByTask(const std::string& task, const std::string& path = "") {
  av1::FileLocation l;
  l.mutable_task_id()->set_value(task);
  l.set_path(path);
  return l;
}

TEST_CASE("the Agent API: containers, files, kill, health, flags", "[agent][api]") {
  std::string dir = MakeTempDir("api");
  TaskReaper reaper;
  auto cluster = MasterAndAgent::Start(dir, reaper);
  REQUIRE(cluster.ok());
  MasterProcess* master = &cluster->master;
  AgentProcess* agent = &cluster->agent;
  TestFramework fw(master->address, "api");
  REQUIRE(fw.WaitSubscribed(kWait).ok());
  REQUIRE(fw.Launch(ShellTask("web", "echo 0123456789; mkdir -p logs; sleep 300", 0.5, 64), kWait)
              .ok());
  auto running = fw.WaitForState("web", cv1::TASK_RUNNING, kWait);
  REQUIRE(running.ok());
  Api api(agent->address);

  av1::GetContainersResponse containers;
  REQUIRE(api.Call(&av1::Agent::Stub::GetContainers, av1::GetContainersRequest(), &containers).ok());
  REQUIRE(containers.containers_size() == 1);
  const av1::Container& c = containers.containers(0);
  CHECK(c.task_id().value() == "web");
  CHECK(c.pid() == running->container_status().executor_pid());
  CHECK(c.container_id().value() == running->container_status().container_id().value());
  CHECK(c.usage().processes() >= 1);
  CHECK(c.usage().has_timestamp());
  if (c.isolation() != av1::Container::ISOLATION_POSIX) {
    CHECK(c.usage().mem_limit_bytes() == 64u << 20);
    CHECK(c.usage().cpus_limit() == 0.5);
  }

  av1::ListFilesRequest list;
  *list.mutable_location() = ByTask("web");
  av1::ListFilesResponse files;
  REQUIRE(WaitFor([&] {
            files.Clear();
            return api.Call(&av1::Agent::Stub::ListFiles, list, &files).ok() &&
                   files.files_size() == 3;
          }, kWait, "logs, stderr, stdout").ok());
  CHECK(absl::EndsWith(files.files(0).path(), "/logs"));
  CHECK(absl::EndsWith(files.files(2).path(), "/stdout"));
  CHECK(absl::StartsWith(files.files(2).path(), "/frameworks/"));

  av1::ReadFileRequest read;
  *read.mutable_location() = ByTask("web", "stdout");
  read.set_offset(3);
  read.set_length(4);
  av1::ReadFileResponse chunk;
  REQUIRE(api.Call(&av1::Agent::Stub::ReadFile, read, &chunk).ok());
  CHECK(chunk.data() == "3456");
  CHECK(chunk.size() == 11);
  // The same file by its virtual path, through the "latest" run.
  const std::string stdout_path = files.files(2).path();
  std::string latest = stdout_path.substr(0, stdout_path.find("/runs/")) + "/runs/latest/stdout";
  read.clear_location();
  read.mutable_location()->set_path(latest);
  read.set_offset(0);
  read.clear_length();
  REQUIRE(api.Call(&av1::Agent::Stub::ReadFile, read, &chunk).ok());
  CHECK(chunk.data() == "0123456789\n");
  // Leaving the sandbox, unknown tasks, directories.
  *read.mutable_location() = ByTask("web", "../../../../../../meta/agent.pb");
  grpc::Status s = api.Call(&av1::Agent::Stub::ReadFile, read, &chunk);
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  *read.mutable_location() = ByTask("nope", "stdout");
  CHECK(api.Call(&av1::Agent::Stub::ReadFile, read, &chunk).error_code() == grpc::StatusCode::NOT_FOUND);
  *read.mutable_location() = ByTask("web", "logs");
  CHECK(api.Call(&av1::Agent::Stub::ReadFile, read, &chunk).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);

  av1::GetHealthResponse health;
  REQUIRE(api.Call(&av1::Agent::Stub::GetHealth, av1::GetHealthRequest(), &health).ok());
  CHECK(health.healthy());
  CHECK(health.connected());
  CHECK(health.recovered());
  av1::GetFlagsResponse flags;
  REQUIRE(api.Call(&av1::Agent::Stub::GetFlags, av1::GetFlagsRequest(), &flags).ok());
  CHECK(flags.flags().at("agent.work_dir") == agent->work_dir);

  av1::KillTaskRequest kill;
  kill.mutable_task_id()->set_value("web");
  kill.mutable_grace_period()->set_seconds(0);
  av1::KillTaskResponse killed;
  REQUIRE(api.Call(&av1::Agent::Stub::KillTask, kill, &killed).ok());
  auto end = fw.WaitForState("web", cv1::TASK_KILLED, kWait);
  REQUIRE(end.ok());
  CHECK(end->message() == "Command terminated with signal Killed (9)");
  CHECK(api.Call(&av1::Agent::Stub::KillTask, kill, &killed).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  // The sandbox of the completed task can still be read.
  *read.mutable_location() = ByTask("web", "stdout");
  REQUIRE(WaitFor([&] { return api.Call(&av1::Agent::Stub::ReadFile, read, &chunk).ok(); }, kWait,
                  "read after the end").ok());
  CHECK(chunk.data() == "0123456789\n");
}

TEST_CASE("a task over its memory limit ends FAILED with the limitation", "[agent][cgroups]") {
  auto isolator = agent::MakeIsolator("auto");
  REQUIRE(isolator.ok());
  if ((*isolator)->kind() == av1::Container::ISOLATION_POSIX) {
    std::printf("SKIPPED: no writable cgroups on this host\n");
    return;
  }
  std::string dir = MakeTempDir("oom");
  TaskReaper reaper;
  auto cluster = MasterAndAgent::Start(dir, reaper, {"--agent.isolation=cgroups"});
  REQUIRE(cluster.ok());
  MasterProcess* master = &cluster->master;
  TestFramework fw(master->address, "oom");
  REQUIRE(fw.WaitSubscribed(kWait).ok());
  // `tail` holds a whole newline-free input: 256 MiB against a 32 MiB limit.
  REQUIRE(fw.Launch(ShellTask("hog", "head -c 268435456 /dev/zero | tail", 0.5, 32), kWait).ok());
  auto failed = fw.WaitForState("hog", cv1::TASK_FAILED, kWait);
  REQUIRE(failed.ok());
  CHECK(failed->reason() == cv1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
  CHECK(failed->message() == "Memory limit exceeded: the task used all of its 32 MiB and was killed");
}

}  // namespace
}  // namespace dcos::testing
