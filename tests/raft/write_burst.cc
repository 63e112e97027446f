#include "tests/raft/write_burst.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/testing/harness.h"

namespace dcos::testing::raftkv {

std::string KeyOf(uint64_t i) { return absl::StrCat("k", i); }
std::string ValueOf(uint64_t i) { return absl::StrCat("v", i, "-0123456789abcdef"); }

WriteBurst::WriteBurst(KvCluster* cluster, uint64_t first_key, int writers)
    : cluster_(cluster), first_key_(first_key), writers_(writers) {
  ledger_.end = first_key;
}

WriteBurst::~WriteBurst() { Stop(); }

void WriteBurst::Start() {
  for (int w = 0; w < writers_; ++w) {
    threads_.emplace_back([this, w] {
      Run(first_key_ + static_cast<uint64_t>(w), static_cast<uint64_t>(writers_));
    });
  }
}

void WriteBurst::Stop() {
  stop_ = true;
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

Ledger WriteBurst::ledger() const {
  absl::MutexLock lock(&mu_);
  return ledger_;
}

std::string WriteBurst::error() const {
  absl::MutexLock lock(&mu_);
  return error_;
}

bool WriteBurst::FindLeader(int* target) {
  absl::Status found = WaitFor(
      [&] {
        if (stop_) return true;
        *target = cluster_->FindLeader();
        return *target != 0;
      },
      absl::Seconds(20), "a leader");
  return found.ok() && !stop_;
}

void WriteBurst::Run(uint64_t first, uint64_t step) {
  int target = 0;
  if (!FindLeader(&target)) return;
  for (uint64_t i = first; !stop_; i += step) {
    bool followed_hint = false;
    while (!stop_) {
      {
        absl::MutexLock lock(&mu_);
        ledger_.tried.insert(i);
        ledger_.end = std::max(ledger_.end, i + 1);
      }
      absl::StatusOr<uint64_t> put = cluster_->Put(target, KeyOf(i), ValueOf(i));
      if (put.ok()) {
        absl::MutexLock lock(&mu_);
        ledger_.acked.insert(i);
        acked_count_.fetch_add(1);
        break;
      }
      absl::StatusCode code = put.status().code();
      if (code != absl::StatusCode::kUnavailable && code != absl::StatusCode::kDeadlineExceeded &&
          code != absl::StatusCode::kAborted) {
        absl::MutexLock lock(&mu_);
        error_ = absl::StrCat("Put ", KeyOf(i), " to member ", target, ": ",
                              put.status().ToString());
        return;
      }
      {
        absl::MutexLock lock(&mu_);
        ++ledger_.retries;
      }
      // A follower names the leader ("leader=<id>"); go there unless it is unknown or the
      // last hint was already wrong (stale hints could bounce between followers).
      std::string message(put.status().message());
      size_t at = message.rfind("leader=");
      int hint = 0;
      if (at != std::string::npos && absl::SimpleAtoi(message.substr(at + 7), &hint) &&
          hint > 0 && hint <= cluster_->size() && hint != target && !followed_hint) {
        target = hint;
        followed_hint = true;
        continue;
      }
      followed_hint = false;
      if (!FindLeader(&target)) {
        if (!stop_) {
          absl::MutexLock lock(&mu_);
          error_ = "no leader for 20 s";
        }
        return;
      }
    }
  }
}

}  // namespace dcos::testing::raftkv
