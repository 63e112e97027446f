#include "services/zk-ensemble/core/session_id.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dcos::zk {

absl::StatusOr<int64_t> NextSessionId(int64_t term, int64_t counter) {
  if (term < 1 || term > kMaxSessionIdTerm) {
    return absl::OutOfRangeError(absl::StrCat("session id: term ", term, " out of range"));
  }
  if (counter < 0 || counter > kMaxSessionIdCounter) {
    return absl::OutOfRangeError(
        absl::StrCat("session id: counter ", counter, " out of range in term ", term));
  }
  return (term << 32) | counter;
}

int64_t SessionIdTerm(int64_t session_id) { return session_id >> 32; }

int64_t SessionIdCounter(int64_t session_id) { return session_id & kMaxSessionIdCounter; }

absl::StatusOr<int64_t> SessionIdAllocator::Next() {
  absl::StatusOr<int64_t> id = NextSessionId(term_, counter_);
  if (id.ok()) ++counter_;
  return id;
}

}  // namespace dcos::zk
