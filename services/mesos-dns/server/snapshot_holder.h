#pragma once

// Where the servers find the current RecordSet. A driver Store()s each new snapshot; server
// threads read through a SnapshotReader, which takes the holder's lock only when the version
// moved, so the per-packet cost is one atomic load.
//
// Thread-safety: SnapshotHolder is thread-safe. A SnapshotReader belongs to one thread; the
// snapshot it returns stays valid until that thread's next Get().

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/mesos-dns/core/record_set.h"

namespace dcos::dns::server {

class SnapshotHolder {
 public:
  // `initial` must not be null.
  explicit SnapshotHolder(std::shared_ptr<const core::RecordSet> initial)
      : current_(std::move(initial)) {}

  void Store(std::shared_ptr<const core::RecordSet> next) {
    absl::MutexLock lock(&mu_);
    current_ = std::move(next);
    version_.fetch_add(1, std::memory_order_release);
  }
  std::shared_ptr<const core::RecordSet> Load() const {
    absl::MutexLock lock(&mu_);
    return current_;
  }
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const core::RecordSet> current_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> version_{1};
};

class SnapshotReader {
 public:
  explicit SnapshotReader(const SnapshotHolder* holder) : holder_(holder) {}
  const core::RecordSet& Get() {
    const uint64_t v = holder_->version();
    if (v != version_) {
      snapshot_ = holder_->Load();
      version_ = v;
    }
    return *snapshot_;
  }

 private:
  const SnapshotHolder* holder_;
  uint64_t version_ = 0;
  std::shared_ptr<const core::RecordSet> snapshot_;
};

}  // namespace dcos::dns::server
