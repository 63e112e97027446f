#pragma once

// Operator calls on one agent, at the leading dcos-master (Operator API):
//
//   dcos node deactivate <agent-id>     no more offers of it; its tasks run on
//   dcos node reactivate <agent-id>     offered again (after a deactivation or a finished drain)
//   dcos node drain <agent-id> [--max-grace=DURATION] [--decommission]
//                                       no more offers, every task killed (each task's grace
//                                       period capped by --max-grace); gone once drained with
//                                       --decommission
//   dcos node decommission <agent-id>   gone for good (Mesos's MarkAgentGone): its tasks are
//                                       lost and it may never re-register
//
// Each prints one line ("agent <id> deactivated") and exits 0; errors as the other commands
// (stderr "dcos node <cmd>: <message>", exit 1; usage exit 2).

#include <string>
#include <vector>

#include "tools/dcos/context.h"

namespace dcos::cli {

// `args` start with the subcommand ("deactivate", ...). Returns -1 when it is none of them.
int RunNodeOperation(const Context& ctx, const std::vector<std::string>& args);

}  // namespace dcos::cli
