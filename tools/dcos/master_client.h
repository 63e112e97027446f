#pragma once

// Calls to the leading dcos-master from the CLI: starts at --master (or $DCOS_MASTER), follows
// one redirect to the leader a non-leading master names (UNAVAILABLE + LeaderInfo detail).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/channel.h>
#include <grpcpp/support/status.h>

#include "protos/master/v1/operator.grpc.pb.h"
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

// One Operator call at the leading master (CallMaster), e.g.
// CallOperator(ctx, request, &response, &master::v1::Operator::Stub::GetQuota).
template <typename Request, typename Response>
grpc::Status CallOperator(const Context& ctx, const Request& request, Response* response,
                          grpc::Status (master::v1::Operator::Stub::*method)(
                              grpc::ClientContext*, const Request&, Response*)) {
  return CallMaster(ctx, [&](const std::shared_ptr<grpc::Channel>& channel,
                             grpc::ClientContext* context) {
    return (master::v1::Operator::NewStub(channel).get()->*method)(context, request, response);
  });
}

// The master commands' two ways out: "dcos <what>: <message>" on stderr and kExitError;
// "dcos <what>: usage: <usage>" and kExitUsage.
int Fail(const Context& ctx, const std::string& what, const std::string& message);
int Usage(const Context& ctx, const std::string& what, const std::string& usage);

}  // namespace dcos::cli
