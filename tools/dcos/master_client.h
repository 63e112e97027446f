#pragma once

// Calls to the leading dcos-master from the CLI: starts at --master (or $DCOS_MASTER), follows
// one redirect to the leader a non-leading master names (UNAVAILABLE + LeaderInfo detail).

#include <functional>
#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/support/status.h>

#include "tools/dcos/context.h"

namespace dcos::cli {

// Runs `call` on a channel to the master; on a redirect, once more on the leader's address.
// `call` gets a fresh deadline-bound context each time.
grpc::Status CallMaster(
    const Context& ctx,
    const std::function<grpc::Status(const std::shared_ptr<grpc::Channel>&, grpc::ClientContext*)>&
        call);

}  // namespace dcos::cli
