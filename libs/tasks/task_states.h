#pragma once

// Facts about task states (protos/common/v1/task_status.proto) that the master, the agent and
// dcos-dns share.

#include <string>

#include "protos/common/v1/task_status.pb.h"

namespace dcos::tasks {

// Mesos's terminal states: FINISHED, FAILED, KILLED, ERROR, LOST, DROPPED, GONE,
// GONE_BY_OPERATOR. UNREACHABLE and UNKNOWN may still change.
bool IsTerminal(common::v1::TaskState state);

// The state's name as metrics and labels spell it: TASK_GONE_BY_OPERATOR -> "gone_by_operator".
std::string LowerName(common::v1::TaskState state);

}  // namespace dcos::tasks
