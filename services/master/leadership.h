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

  // What the election's observer saw (nullopt: nobody leads). Our own node first in line is
  // taken as nobody yet: we lead once the registry is loaded (Lead). Ignored once this master
  // leads or stopped: observer callbacks race with Lead, and a leader never goes back to
  // standing by (it exits when it loses leadership).
  void Observed(std::optional<common::v1::MasterInfo> leader);
  // Won the election: loading the registry (CheckStream takes streams from now on).
  void Recover();
  // Leads from `now` on.
  void Lead(absl::Time now);
  // Shutting down: nobody is announced again.
  void Stop();

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
  enum class Phase { kStandby, kRecovering, kLeading, kStopped };

  const common::v1::MasterInfo self_;
  mutable absl::Mutex mu_;
  Phase phase_ ABSL_GUARDED_BY(mu_) = Phase::kStandby;
  // Who leads as far as this master knows (itself once kLeading).
  std::optional<common::v1::MasterInfo> leader_ ABSL_GUARDED_BY(mu_);
  absl::Time elected_time_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::master
