#include "libs/tasks/task_states.h"

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"

namespace dcos::tasks {

bool IsTerminal(common::v1::TaskState state) {
  switch (state) {
    case common::v1::TASK_FINISHED:
    case common::v1::TASK_FAILED:
    case common::v1::TASK_KILLED:
    case common::v1::TASK_ERROR:
    case common::v1::TASK_LOST:
    case common::v1::TASK_DROPPED:
    case common::v1::TASK_GONE:
    case common::v1::TASK_GONE_BY_OPERATOR:
      return true;
    default:
      return false;
  }
}

std::string LowerName(common::v1::TaskState state) {
  return absl::AsciiStrToLower(absl::StripPrefix(common::v1::TaskState_Name(state), "TASK_"));
}

}  // namespace dcos::tasks
