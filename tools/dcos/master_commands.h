#pragma once

// The master's view from the command line (Operator API of the leading dcos-master):
//
//   dcos node list        one row per agent: id, hostname, state, cpus/mem/disk used of total
//   dcos framework list   one row per framework: id, name, roles, connected, tasks, offers
//   dcos master state     the whole ClusterState as JSON
//   dcos task list        one row per task (in the task group, task_commands.h)
//
// Errors go to stderr as "dcos <group> <cmd>: <message>", exit 1; usage errors exit 2.

#include <string>
#include <vector>

#include "tools/dcos/context.h"

namespace dcos::cli {

int RunNode(const Context& ctx, const std::vector<std::string>& args);
int RunFramework(const Context& ctx, const std::vector<std::string>& args);
int RunMaster(const Context& ctx, const std::vector<std::string>& args);
// `dcos task list [--completed]`: the tasks the master knows (id, framework, host, state,
// healthy, name); part of the `task` group.
int TaskList(const Context& ctx, const std::vector<std::string>& args);

}  // namespace dcos::cli
