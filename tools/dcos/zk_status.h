#pragma once

// `dcos zk status`: the ensemble view (Ensemble.Status), like Exhibitor's cluster status page.
// Asks the members of --zk in turn until one answers, prints one line for the ensemble and a
// table with one row per member. Exit 0 when the ensemble has a quorum, 1 when it has not or
// no member answered.

#include <ostream>
#include <string>
#include <vector>

#include "protos/zk/v1/ensemble.pb.h"
#include "tools/dcos/context.h"

namespace dcos::cli {

int RunZkStatus(const Context& ctx, const std::vector<std::string>& args);

// The human-readable form of a StatusResponse.
void PrintEnsembleStatus(const zk::v1::StatusResponse& status, std::ostream& out);

}  // namespace dcos::cli
