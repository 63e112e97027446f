// The work dir layout and the ids allowed in it.

#include <catch2/catch.hpp>

#include "services/agent/layout.h"

namespace dcos::agent {
namespace {

TEST_CASE("sandbox and checkpoint paths follow Mesos's layout", "[layout]") {
  Layout l("/var/lib/agent");
  CHECK(l.SandboxDir("S1", "F2", "web.1", "c3") ==
        "/var/lib/agent/agents/S1/frameworks/F2/executors/web.1/runs/c3");
  CHECK(Layout::VirtualSandboxPath("F2", "web.1", "c3") == "/frameworks/F2/executors/web.1/runs/c3");
  CHECK(l.AgentFile() == "/var/lib/agent/meta/agent.pb");
  CHECK(l.FrameworkFile("F2") == "/var/lib/agent/meta/frameworks/F2/framework.pb");
  CHECK(l.TaskFile("F2", "web.1") == "/var/lib/agent/meta/frameworks/F2/tasks/web.1/task.pb");
  CHECK(l.RunDir("F2", "web.1", "c3") == "/var/lib/agent/meta/frameworks/F2/tasks/web.1/runs/c3");
}

TEST_CASE("only ids that are one safe path component are allowed", "[layout]") {
  CHECK(ValidatePathComponent("web.1-a_b:c", "task_id").ok());
  CHECK(ValidatePathComponent("", "task_id").message() == "task_id: must be 1..255 bytes");
  CHECK(ValidatePathComponent(std::string(256, 'a'), "task_id").message() ==
        "task_id: must be 1..255 bytes");
  CHECK(ValidatePathComponent("..", "framework_id").message() ==
        "framework_id: may not be '.' or '..'");
  CHECK_FALSE(ValidatePathComponent("a/b", "task_id").ok());
  CHECK_FALSE(ValidatePathComponent("a b", "task_id").ok());
  CHECK_FALSE(ValidatePathComponent("a\nb", "task_id").ok());
  CHECK_FALSE(ValidatePathComponent("\xc3\xa9", "task_id").ok());
}

}  // namespace
}  // namespace dcos::agent
