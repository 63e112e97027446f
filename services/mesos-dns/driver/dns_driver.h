#pragma once

// DnsDriver: dcos-dns's driver. Owns the RecordBuilder and the MasterFollower on one thread,
// feeds the builder the leading master's operator events (SUBSCRIBED = a full
// resynchronisation), and after each batch of events publishes the new snapshot to the
// SnapshotHolder the DNS server answers from. The master is found through dcos-zk
// (ZkLeaderSource) and/or a static list; a broken stream, a refusal, a silent master or a
// leader change lead to a new Subscribe (see master_follower.h for when). When no master can be
// reached the last records stay served.
//
// The leader records (leader.<domain>) follow dcos-zk's election at once, before the new
// leader's stream is even open; without dcos-zk they follow the SUBSCRIBED state.
//
// Threads: the driver's loop thread (the builder and follower live there), one thread per open
// Subscribe stream, and the dcos-zk source's. Inputs reach the loop through one queue.
// Thread-safe; `clock` must outlive the driver.

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libs/clock/clock.h"
#include "protos/common/v1/master_info.pb.h"
#include "protos/master/v1/operator_events.pb.h"
#include "services/mesos-dns/core/record_builder.h"
#include "services/mesos-dns/driver/master_follower.h"
#include "services/mesos-dns/driver/master_stream.h"
#include "libs/masters/zk_leader_source.h"
#include "services/mesos-dns/server/snapshot_holder.h"

namespace dcos::dns::driver {

struct DriverOptions {
  core::RecordConfig records;
  // static_masters are the fallback (or the only source without dcos-zk).
  FollowerOptions follower;
  // dcos-zk members; empty: dcos-zk is not used.
  std::vector<std::string> zk;
  masters::ZkLeaderOptions zk_leader;  // its ensemble is taken from `zk`
};

// What a publish carried, for metrics.
struct PublishInfo {
  const core::RecordSet* records = nullptr;
  absl::Time published_at;
  // Per task event of the batch (TASK_ADDED, TASK_UPDATED): from the driver receiving it to the
  // snapshot being served.
  std::vector<absl::Duration> since_received;
  // Per TASK_UPDATED whose status has a timestamp: from that timestamp (when the agent made the
  // update) to the snapshot being served.
  std::vector<absl::Duration> since_status;
};

struct DriverStatus {
  // Subscribed to a master now.
  bool connected = false;
  // The master of the current stream or attempt ("" when idle).
  std::string master;
  // Why the last attempt failed ("" if it did not).
  std::string last_error;
  // When the last event (of any kind) arrived; InfinitePast before the first.
  absl::Time last_event = absl::InfinitePast();
  // SUBSCRIBED snapshots applied (full resynchronisations), Subscribe attempts made.
  uint64_t resyncs = 0;
  uint64_t attempts = 0;
  // dcos-zk is configured and followed now.
  bool zk_following = false;
};

class DnsDriver {
 public:
  using OnPublish = std::function<void(const PublishInfo& info)>;

  // Builds the first snapshot (the zone's own records) and starts following. Errors:
  // InvalidArgument for a bad record config (naming the field); no masters and no dcos-zk.
  // `on_publish` (may be empty) runs on the loop thread after each publish.
  static absl::StatusOr<std::unique_ptr<DnsDriver>> Start(DriverOptions options,
                                                          const clock::Clock* clock,
                                                          OnPublish on_publish = nullptr);
  ~DnsDriver() { Stop(); }

  // Ends following (streams cancelled, dcos-zk closed); the holder keeps the last snapshot.
  // Idempotent.
  void Stop();

  // Where the current snapshot is. Valid for the driver's lifetime.
  const server::SnapshotHolder& holder() const { return *holder_; }
  DriverStatus status() const;

  // Runs `fn` with the builder on the loop thread and waits for it. DEADLINE_EXCEEDED if the
  // loop did not get to it within `timeout` (then it never runs); UNAVAILABLE when stopped.
  absl::Status Inspect(std::function<void(const core::RecordBuilder&)> fn,
                       absl::Duration timeout);

 private:
  struct Item {
    enum Kind { kEvent, kEnded, kZkLeader, kTask };
    Kind kind = kEvent;
    uint64_t attempt = 0;
    master::v1::OperatorEvent event;
    absl::Time received;
    absl::Status end;
    std::optional<common::v1::MasterInfo> leader;
    std::function<void()> task;
  };

  DnsDriver(DriverOptions options, const clock::Clock* clock, OnPublish on_publish,
            std::unique_ptr<core::RecordBuilder> builder);
  // When the task events of a batch began: received, and their status timestamps.
  struct Origins {
    std::vector<absl::Time> received;
    std::vector<absl::Time> status;
  };

  void Push(Item item);
  void Loop();
  // Applies one queued input (loop thread).
  void Handle(Item& item, absl::Time now, Origins& origins);
  // Carries out what the follower decides (loop thread).
  void Act(absl::Time now);
  // Publishes the loop's view to status() (after the batch's snapshot is served, so a caller
  // that sees a resync sees its records).
  void UpdateStatus();

  const DriverOptions options_;
  const clock::Clock* const clock_;
  const OnPublish on_publish_;

  // Loop thread only.
  std::unique_ptr<core::RecordBuilder> builder_;
  MasterFollower follower_;
  std::unique_ptr<MasterStream> stream_;
  uint64_t resyncs_ = 0;
  absl::Time last_event_ = absl::InfinitePast();

  std::unique_ptr<server::SnapshotHolder> holder_;
  std::unique_ptr<masters::ZkLeaderSource> zk_;
  std::thread loop_;

  mutable absl::Mutex mu_;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  DriverStatus status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcos::dns::driver
