#pragma once

// Leadership: whether this master leads, and who does. Every service checks it first: a
// master that does not lead answers UNAVAILABLE with the leader's address as a
// dcos.common.v1.LeaderInfo detail (clients redirect), or known=false during an election.
//
// Between winning the election and leading (the registry loads) a master is `recovering`:
// it takes agents' streams and frameworks' subscriptions (CheckStream), whose first
// messages wait in the driver's queue until it leads — refusing them would send every agent
// and framework of the cluster into its backoff just as the new leader is about to be ready
// for them — and still answers UNAVAILABLE to every other call (Check).
//
// Thread-safe.

#include <optional>

#include <grpcpp/support/status.h>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "protos/common/v1/errors.pb.h"
#include "protos/common/v1/master_info.pb.h"

namespace dcos::master {

class Leadership {
 public:
  explicit Leadership(common::v1::MasterInfo self) : self_(std::move(self)) {}

  const common::v1::MasterInfo& self() const { return self_; }

  void SetLeader(std::optional<common::v1::MasterInfo> leader, absl::Time now);
  // This master won the election and loads its registry (true), or that ended (false).
  void SetRecovering(bool recovering);
  bool elected() const;
  bool recovering() const;
  std::optional<common::v1::MasterInfo> leader() const;
  absl::Time elected_time() const;

  // OK when this master leads; the redirect otherwise.
  grpc::Status Check() const;
  // OK when this master leads or is recovering (agents' streams, frameworks'
  // subscriptions); the redirect otherwise.
  grpc::Status CheckStream() const;
  common::v1::LeaderInfo Info() const;

 private:
  const common::v1::MasterInfo self_;
  mutable absl::Mutex mu_;
  std::optional<common::v1::MasterInfo> leader_ ABSL_GUARDED_BY(mu_);
  absl::Time elected_time_ ABSL_GUARDED_BY(mu_);
  bool recovering_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace dcos::master
