#pragma once

// `dcos zk ...`: the dcos-zk tree from the command line, in the manner of ZooKeeper's zkCli.
//
//   ls <path>                       children, as [a, b]
//   get <path>                      data
//   stat <path>                     Stat, field by field (cZxid = 0x5, ctime = ..., ...)
//   create [-s] [-c] [-e] <path> [data]
//                                   -s sequential, -c container; -e is refused (the node would
//                                   go with the command's session as it exits)
//   set [-v version] <path> <data>
//   delete [-v version] <path>
//   sync
//   watch [--children] <path>       the node's changes until interrupted (zk_watch.h)
//   status                          the ensemble view (zk_status.h)
//
// Reads are linearizable: every invocation is a new client, so a local read from a lagging
// member could miss what the previous command wrote. Errors go to stderr as
// "dcos zk <cmd>: <ZooKeeper code> ...", exit 1; usage errors print help and exit 2.

#include <ostream>
#include <string>
#include <vector>

#include "protos/zk/v1/znode.pb.h"
#include "tools/dcos/context.h"

namespace dcos::cli {

// Runs `dcos zk <args>`.
int RunZk(const Context& ctx, const std::vector<std::string>& args);

// Writes `stat` as zkCli does, one "name = value" line per field; zxids and the ephemeral
// owner in hex, times as "Tue Nov 25 21:56:03 UTC 2026" (always UTC).
void PrintStat(const zk::v1::Stat& stat, std::ostream& out);

}  // namespace dcos::cli
