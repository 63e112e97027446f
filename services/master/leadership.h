#pragma once

// Leadership: whether this master leads, and who does. Every service checks it first: a
// master that does not lead answers UNAVAILABLE with the leader's address as a
// dcos.common.v1.LeaderInfo detail (clients redirect), or known=false during an election.
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
  bool elected() const;
  std::optional<common::v1::MasterInfo> leader() const;
  absl::Time elected_time() const;

  // OK when this master leads; the redirect otherwise.
  grpc::Status Check() const;
  common::v1::LeaderInfo Info() const;

 private:
  const common::v1::MasterInfo self_;
  mutable absl::Mutex mu_;
  std::optional<common::v1::MasterInfo> leader_ ABSL_GUARDED_BY(mu_);
  absl::Time elected_time_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::master
