#include "libs/raft/segment_preparer.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/log/log.h"
#include "libs/status/status_macros.h"

namespace dcos::raft {
namespace {

constexpr char kSparePrefix[] = "spare-";
// Zeros are written and synced this much at a time.
constexpr uint64_t kZeroChunk = 1 << 20;

}  // namespace

SegmentPreparer::SegmentPreparer(Env* env, std::string dir, uint64_t size, bool background)
    : env_(env), dir_(std::move(dir)), size_(size), background_(background) {}

SegmentPreparer::~SegmentPreparer() {
  stop_.store(true);
  {
    absl::MutexLock lock(&mu_);
    changed_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

bool SegmentPreparer::IsSpareName(absl::string_view name) {
  return absl::StartsWith(name, kSparePrefix);
}

void SegmentPreparer::Start() {
  if (!background_) return;
  {
    absl::MutexLock lock(&mu_);
    wanted_ = true;
  }
  thread_ = std::thread([this] { Run(); });
}

absl::StatusOr<std::string> SegmentPreparer::Prepare(uint64_t number) {
  const std::string path = JoinPath(dir_, absl::StrCat(kSparePrefix, number));
  absl::Status s = [&]() -> absl::Status {
    DCOS_ASSIGN_OR_RETURN(std::unique_ptr<RandomWriteFile> file,
                          env_->NewRandomWriteFile(path, /*truncate=*/true));
    // An fdatasync after every chunk keeps each writeback short, so that an Append's
    // fdatasync never waits behind a whole segment of zeros on the device.
    const std::string zeros(std::min(size_, kZeroChunk), '\0');
    uint64_t offset = 0;
    do {
      if (stop_.load()) return absl::CancelledError("segment preparation: stopping");
      uint64_t n = std::min<uint64_t>(zeros.size(), size_ - offset);
      DCOS_RETURN_IF_ERROR(file->WriteAt(offset, absl::string_view(zeros).substr(0, n)));
      DCOS_RETURN_IF_ERROR(file->Sync());
      offset += n;
    } while (offset < size_);
    DCOS_RETURN_IF_ERROR(file->Close());
    return env_->SyncDir(dir_);
  }();
  if (!s.ok()) {
    (void)env_->RemoveFile(path);  // a leftover is removed by the next Load
    return s;
  }
  return path;
}

absl::StatusOr<std::string> SegmentPreparer::PrepareLocked() {
  preparing_ = true;
  const uint64_t number = next_number_++;
  mu_.Unlock();
  absl::StatusOr<std::string> spare = Prepare(number);
  mu_.Lock();
  preparing_ = false;
  changed_.SignalAll();
  return spare;
}

void SegmentPreparer::Run() {
  absl::MutexLock lock(&mu_);
  while (!stop_.load()) {
    if (preparing_ || ready_.has_value() || !wanted_) {
      changed_.Wait(&mu_);
      continue;
    }
    wanted_ = false;
    absl::StatusOr<std::string> spare = PrepareLocked();
    if (spare.ok()) {
      ready_ = *std::move(spare);
      changed_.SignalAll();
    } else if (!stop_.load()) {
      // Not retried until the next Take, which prepares in its own thread and reports errors.
      log::Warn("raft log: could not prepare a spare segment").Field("error", spare.status());
    }
  }
}

absl::StatusOr<std::string> SegmentPreparer::Take() {
  absl::MutexLock lock(&mu_);
  while (preparing_) changed_.Wait(&mu_);
  absl::StatusOr<std::string> spare;
  if (ready_.has_value()) {
    spare = *std::move(ready_);
    ready_.reset();
  } else {
    spare = PrepareLocked();
  }
  wanted_ = true;  // the next one, ahead of time (background only)
  changed_.SignalAll();
  return spare;
}

void SegmentPreparer::WaitIdle() {
  absl::MutexLock lock(&mu_);
  while (preparing_ || (background_ && wanted_ && !ready_.has_value() && !stop_.load() &&
                        thread_.joinable())) {
    changed_.Wait(&mu_);
  }
}

}  // namespace dcos::raft
