#pragma once

// `dcos zk restore FILE`: streams a backup file (`dcos zk backup`) to the one member named by
// --zk, which must have been started with `dcos-zk --zk.restore_mode` on an empty raft.dir
// (and a raft.cluster_id of its own). The member checks every chunk (order, format, size,
// SHA-256) and only then installs the backup and starts serving as a one-member ensemble; add
// the others with `dcos zk member add`. A refused restore changes nothing on the member.

#include <string>
#include <vector>

#include "tools/dcos/context.h"

namespace dcos::cli {

int RunZkRestore(const Context& ctx, const std::vector<std::string>& args);

}  // namespace dcos::cli
