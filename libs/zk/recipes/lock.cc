#include "libs/zk/recipes/lock.h"

#include <memory>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "libs/zk/errors.h"
#include "libs/zk/recipes/paths.h"

namespace dcos::zk::recipes {

DistributedLock::DistributedLock(client::ZkClient* zk, std::string path,
                                 std::optional<uint64_t> seed)
    : zk_(zk), path_(std::move(path)), seed_(seed) {}

DistributedLock::~DistributedLock() { (void)Release(); }

absl::StatusOr<int64_t> DistributedLock::Acquire(absl::Duration timeout) {
  if (!zk_->has_session()) return absl::FailedPreconditionError("a lock needs a session");
  if (zk_->OnEventThread()) {
    return absl::FailedPreconditionError("a lock cannot be acquired inside a client callback");
  }
  {
    absl::MutexLock lock(&mu_);
    if (holder_) return absl::FailedPreconditionError(path_ + " is already held here");
  }
  const absl::Time deadline = absl::Now() + timeout;
  uint64_t tag = seed_ ? *seed_ : absl::Uniform<uint64_t>(absl::BitGen());
  auto entered = Contender::Enter(*zk_, path_, kLockNodePrefix, "", tag);
  if (!entered.ok()) return entered.status();
  const Contender contender = *std::move(entered);
  auto give_up = [&](absl::Status why) {
    if (zk_->Usable().ok()) (void)contender.Leave(*zk_);
    return why;
  };
  while (true) {
    absl::StatusOr<Place> place = contender.Check(*zk_);
    if (!place.ok()) return give_up(place.status());
    if (!place->present) {
      return give_up(absl::FailedPreconditionError(absl::StrCat(
          "SESSION_EXPIRED ", contender.path(), " is gone: the session ended while waiting")));
    }
    if (place->first) {
      absl::MutexLock lock(&mu_);
      holder_ = contender;
      return contender.czxid();
    }
    // Wait for the predecessor to go. The watcher holds only the notification, so it may
    // fire after this lock is gone.
    auto moved = std::make_shared<absl::Notification>();
    auto exists = zk_->ExistsAndWatch(JoinPath(path_, *place->predecessor),
                                      [moved](const client::WatchEvent&) { moved->Notify(); });
    if (!exists.ok()) return give_up(exists.status());
    if (!exists->has_value()) continue;
    if (!moved->WaitForNotificationWithDeadline(deadline)) {
      return give_up(absl::DeadlineExceededError(absl::StrCat(
          path_, ": not acquired within ", absl::FormatDuration(timeout))));
    }
  }
}

absl::Status DistributedLock::Release() {
  std::optional<Contender> holder;
  {
    absl::MutexLock lock(&mu_);
    holder.swap(holder_);
  }
  if (!holder || !zk_->Usable().ok()) return absl::OkStatus();  // gone with the session
  return holder->Leave(*zk_);
}

bool DistributedLock::held() const {
  {
    absl::MutexLock lock(&mu_);
    if (!holder_) return false;
  }
  return zk_->Usable().ok() && zk_->clock()->Now() < zk_->session_alive_until();
}

std::optional<int64_t> DistributedLock::fencing_token() const {
  absl::MutexLock lock(&mu_);
  if (!holder_) return std::nullopt;
  return holder_->czxid();
}

}  // namespace dcos::zk::recipes
