#include "libs/zk/retry.h"

#include "libs/zk/redirect.h"

namespace dcos::zk::client {

Verdict Classify(CallKind kind, const absl::Status& status, absl::string_view target_address) {
  bool write = kind == CallKind::kWrite;
  switch (status.code()) {
    case absl::StatusCode::kUnavailable: {
      std::optional<LeaderHint> hint = LeaderHintOf(status);
      if (!hint) return write ? Verdict::kOutcomeUnknown : Verdict::kTryAnother;  // transport
      if (!hint->known) return Verdict::kTryAnother;
      if (hint->address == target_address) {
        return write ? Verdict::kOutcomeUnknown : Verdict::kTryAnother;
      }
      return Verdict::kFollowLeader;
    }
    case absl::StatusCode::kDeadlineExceeded:
      return write ? Verdict::kOutcomeUnknown : Verdict::kTryAnother;
    default:
      return Verdict::kDone;
  }
}

}  // namespace dcos::zk::client
