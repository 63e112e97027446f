#pragma once

// Calls to the leading dcos-master from the CLI: starts at --master (or $DCOS_MASTER), follows
// one redirect to the leader a non-leading master names (UNAVAILABLE + LeaderInfo detail).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/channel.h>
#include <grpcpp/support/status.h>

#include "tools/dcos/context.h"

namespace dcos::cli {

using LeaderCall =
    std::function<grpc::Status(const std::shared_ptr<grpc::Channel>&, grpc::ClientContext*)>;

// Runs `call` on a channel to the master; on a redirect, once more on the leader's address.
// `call` gets a fresh deadline-bound context each time.
grpc::Status CallMaster(const Context& ctx, const LeaderCall& call);

// The same for any replicated service answering leader-only calls with the redirect (e.g. the
// dcos-zk Ensemble admin calls): tries `replicas` in turn until one answers with anything but
// UNAVAILABLE without a leader named, following a redirect once.
grpc::Status CallLeader(const Context& ctx, const std::vector<std::string>& replicas,
                        const LeaderCall& call);

}  // namespace dcos::cli
