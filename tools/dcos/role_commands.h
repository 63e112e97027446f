#pragma once

// Role quotas and weights at the leading dcos-master (Operator API: GetQuota, UpdateQuota,
// GetWeights, UpdateWeights). Each change is in the registry before the master answers, so it
// survives a failover; once one is made, the master.weights / master.quotas flags no longer
// apply.
//
//   dcos quota list                      one row per role with a quota: role, guarantee
//   dcos quota set <role> <resources>    the role's guarantee, in Mesos's text grammar of
//                                        unreserved scalars (e.g. "cpus:4;mem:1024")
//   dcos quota remove <role>             the role has no quota any more
//   dcos weight list                     one row per role with a weight set: role, weight
//   dcos weight set <role> <weight>      the role's DRF weight (a number > 0; 1 is the default)
//
// A change prints one line ("quota of ads set to cpus:4;mem:1024") and exits 0. Errors as the
// other commands: stderr "dcos quota set: <message>" (the master's, naming the bad field),
// exit 1; usage exit 2.

#include <string>
#include <vector>

#include "tools/dcos/context.h"

namespace dcos::cli {

int RunQuota(const Context& ctx, const std::vector<std::string>& args);
int RunWeight(const Context& ctx, const std::vector<std::string>& args);

}  // namespace dcos::cli
