// Fetching URIs (CommandInfo.uris) with a real master, agent, supervisor and dcos-fetcher: a
// task that gets a script (file://, made executable), a file and an archive over http:// from
// a local HTTP server, and runs with them; fetches that fail (404, a port nobody listens on,
// https, ftp) end TASK_FAILED, REASON_CONTAINER_LAUNCH_FAILED, with
// the URI and the cause in the message and in the sandbox's stderr; a bad output_file is
// TASK_ERROR naming the field.

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "libs/testing/harness.h"
#include "services/agent/fetcher/test_http_server.h"
#include "tests/agent/cluster.h"

extern char** environ;

namespace dcos::testing {
namespace {

namespace cv1 = common::v1;
using agent::fetcher::TestHttpServer;

constexpr absl::Duration kWait = absl::Seconds(30);

struct Cluster {
  std::string dir = MakeTempDir("agent-fetch");
  TaskReaper reaper;
  MasterAndAgent c;
  std::unique_ptr<TestFramework> framework;

  Cluster() {
    auto started = MasterAndAgent::Start(dir, reaper, {"--agent.fetch_stall_timeout=2s"});
    REQUIRE(started.ok());
    c = *std::move(started);
    framework = std::make_unique<TestFramework>(c.master.address, "fetch");
    REQUIRE(framework->WaitSubscribed(kWait).ok());
  }

  // Launches `task` and waits for a terminal state of it; the last update.
  cv1::TaskStatus Run(const cv1::TaskInfo& task, cv1::TaskState expected) {
    REQUIRE(framework->Launch(task, kWait).ok());
    auto status = framework->WaitForState(task.task_id().value(), expected, kWait);
    if (!status.ok()) FAIL("states: " << framework->States(task.task_id().value()));
    return *status;
  }

  std::string SandboxFile(const std::string& task_id, const std::string& name) {
    auto text = ReadFile(c.agent.Sandbox(c.agent_id, task_id) + "/" + name);
    return text.ok() ? *text : "";
  }
};

cv1::CommandURI Uri(const std::string& value, bool executable = false) {
  cv1::CommandURI uri;
  uri.set_value(value);
  uri.set_executable(executable);
  return uri;
}

cv1::TaskInfo WithUris(cv1::TaskInfo task, const std::vector<cv1::CommandURI>& uris) {
  for (const cv1::CommandURI& u : uris) *task.mutable_command()->add_uris() = u;
  return task;
}

// The bytes of a .tar.gz of `dir`'s entry `name`, made with /bin/tar.
std::string TarGz(const std::string& dir, const std::string& name) {
  std::string out = dir + "/" + name + ".tgz";
  std::vector<std::string> args = {"/bin/tar", "-czf", out, "-C", dir, name};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(status == 0);
  auto bytes = ReadFile(out);
  REQUIRE(bytes.ok());
  return *bytes;
}

TEST_CASE("a task runs with a script (file://), a file and an archive (http://) fetched",
          "[agent][fetch]") {
  Cluster cluster;
  std::string src = MakeTempDir("fetch-src");
  {
    std::ofstream script(src + "/run.sh");
    script << "#!/bin/sh\necho \"script ran in $PWD\"\ncat data.txt app/README\n";
  }
  std::filesystem::create_directories(src + "/app");
  std::ofstream(src + "/app/README") << "from the archive\n";
  TestHttpServer http;
  http.Set("/files/data.txt", {200, "data over http\n", false, ""});
  http.Set("/app.tgz", {200, TarGz(src, "app"), true, ""});

  cv1::TaskInfo task = WithUris(ShellTask("fetched", "./run.sh"),
                                {Uri("file://" + src + "/run.sh", /*executable=*/true),
                                 Uri(http.Url("/files/data.txt")), Uri(http.Url("/app.tgz"))});
  cluster.Run(task, cv1::TASK_FINISHED);
  std::string out = cluster.SandboxFile("fetched", "stdout");
  CHECK_THAT(out, Catch::Contains("script ran in "));
  CHECK_THAT(out, Catch::Contains("data over http\nfrom the archive\n"));
  std::string err = cluster.SandboxFile("fetched", "stderr");
  CHECK_THAT(err, Catch::Contains("dcos-fetcher: extracted app.tgz (tar.gz) into the sandbox"));
  CHECK(cluster.framework->States("fetched") == "STARTING,RUNNING,FINISHED");
}

TEST_CASE("failed fetches end the task FAILED with the URI and the cause; nothing runs",
          "[agent][fetch]") {
  Cluster cluster;
  TestHttpServer http;
  std::string marker = MakeTempDir("fetch-marker") + "/ran";
  const std::string command = "touch " + marker;

  struct Case {
    std::string id;
    std::string uri;
    std::string cause;
  };
  int closed_port = 0;
  const int bound = agent::fetcher::LoopbackSocket(/*listening=*/false, &closed_port);
  const std::string closed = absl::StrCat("http://127.0.0.1:", closed_port, "/x.tgz");
  for (const Case& c : std::vector<Case>{
           {"missing", http.Url("/missing.tgz"), "HTTP 404 Not Found"},
           {"unreachable", closed, "cannot connect to 127.0.0.1:"},
           {"https", "https://127.0.0.1:1/x", "unsupported scheme 'https'"},
           {"ftp", "ftp://127.0.0.1/x", "unsupported scheme 'ftp'"},
       }) {
    INFO(c.id);
    cv1::TaskStatus status =
        cluster.Run(WithUris(ShellTask(c.id, command), {Uri(c.uri)}), cv1::TASK_FAILED);
    CHECK(status.reason() == cv1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
    CHECK_THAT(status.message(), Catch::StartsWith("fetching '" + c.uri + "': "));
    CHECK_THAT(status.message(), Catch::Contains(c.cause));
    CHECK_THAT(cluster.SandboxFile(c.id, "stderr"), Catch::Contains(c.cause));
    CHECK(cluster.framework->States(c.id) == "STARTING,FAILED");
  }
  CHECK_FALSE(std::filesystem::exists(marker));
  close(bound);

  // An output_file leaving the sandbox never reaches the fetcher.
  cv1::CommandURI escape = Uri(http.Url("/x"));
  escape.set_output_file("../../x");
  cv1::TaskStatus error =
      cluster.Run(WithUris(ShellTask("escape", command), {escape}), cv1::TASK_ERROR);
  CHECK_THAT(error.message(), Catch::StartsWith("task.command.uris[0].output_file"));
}

}  // namespace
}  // namespace dcos::testing
