#pragma once

// `dcos zk watch <path> [--children]`: prints a node's changes as they happen, until
// interrupted (Ctrl-C), like zkCli's watches but re-armed after each event.
//
// Output (stdout, one line each, flushed):
//   data: <data>                    the node's data now (without --children), or
//   children: [a, b]                its children now (with --children), or
//   no node                         it does not exist (it is watched for its creation)
// then, for every change, the event (ZooKeeper's names) followed by the new state:
//   NodeDataChanged /app
//   data: v2
// Session changes go to stderr ("dcos zk watch: session DISCONNECTED", "... CONNECTED").
// Exit: 0 when interrupted; 1 when the session expires or a read fails.

#include <string>

#include "libs/zk/client.h"
#include "tools/dcos/context.h"

namespace dcos::cli {

// Watches `path` with `zk` (which must have a session) until ctx.interrupt is requested.
int WatchZk(const Context& ctx, zk::client::ZkClient& zk, const std::string& path, bool children);

}  // namespace dcos::cli
