#pragma once

// `dcos zk backup FILE`: a consistent snapshot of the whole tree (Ensemble.Backup: every write
// acknowledged before the call, no sessions or ephemeral nodes) written to FILE atomically
// (temporary file, fsync, rename). Restore it with `dcos zk restore FILE` (zk_restore.h), or
// by starting a new ensemble with `dcos-zk --zk.restore_from=FILE` on empty data directories.

#include <string>
#include <vector>

#include "tools/dcos/context.h"

namespace dcos::cli {

int RunZkBackup(const Context& ctx, const std::vector<std::string>& args);

}  // namespace dcos::cli
