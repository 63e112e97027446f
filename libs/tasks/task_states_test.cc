#include "libs/tasks/task_states.h"

#include <catch2/catch.hpp>

namespace dcos::tasks {
namespace {

TEST_CASE("task states: Mesos's terminal states, and only those") {
  int terminal = 0;
  for (int s = common::v1::TaskState_MIN; s <= common::v1::TaskState_MAX; ++s) {
    terminal += IsTerminal(static_cast<common::v1::TaskState>(s));
  }
  CHECK(terminal == 8);
  CHECK(IsTerminal(common::v1::TASK_LOST));
  CHECK_FALSE(IsTerminal(common::v1::TASK_UNREACHABLE));
  CHECK_FALSE(IsTerminal(common::v1::TASK_UNKNOWN));
  CHECK_FALSE(IsTerminal(common::v1::TASK_KILLING));
}

TEST_CASE("task states: lower-case names without the TASK_ prefix") {
  CHECK(LowerName(common::v1::TASK_RUNNING) == "running");
  CHECK(LowerName(common::v1::TASK_GONE_BY_OPERATOR) == "gone_by_operator");
}

}  // namespace
}  // namespace dcos::tasks
