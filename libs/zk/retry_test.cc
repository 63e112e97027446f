// Classify: which failures are retried, and that a write with an unknown outcome never is.

#include "libs/zk/retry.h"

#include <catch2/catch.hpp>

namespace dcos::zk::client {
namespace {

constexpr CallKind kRead = CallKind::kRead;
constexpr CallKind kWrite = CallKind::kWrite;

TEST_CASE("retry: a redirect to another member is followed, for reads and writes") {
  absl::Status s = absl::UnavailableError("not the leader: leader is member 2 at b:1");
  CHECK(Classify(kWrite, s, "a:1") == Verdict::kFollowLeader);
  CHECK(Classify(kRead, s, "a:1") == Verdict::kFollowLeader);
}

TEST_CASE("retry: no leader known is retried elsewhere (nothing was proposed)") {
  absl::Status s = absl::UnavailableError("not the leader: no leader is known; retry shortly");
  CHECK(Classify(kWrite, s, "a:1") == Verdict::kTryAnother);
  CHECK(Classify(kRead, s, "a:1") == Verdict::kTryAnother);
}

TEST_CASE("retry: a leader refusing its own write leaves the outcome unknown") {
  absl::Status s = absl::UnavailableError("not the leader: leader is member 1 at a:1");
  CHECK(Classify(kWrite, s, "a:1") == Verdict::kOutcomeUnknown);
  CHECK(Classify(kRead, s, "a:1") == Verdict::kTryAnother);
}

TEST_CASE("retry: transport failures and deadlines: reads retry, writes are unknown") {
  for (const absl::Status& s : {absl::UnavailableError("Socket closed"),
                                absl::UnavailableError("Connection reset by peer"),
                                absl::DeadlineExceededError("Deadline Exceeded")}) {
    INFO(s.ToString());
    CHECK(Classify(kRead, s, "a:1") == Verdict::kTryAnother);
    CHECK(Classify(kWrite, s, "a:1") == Verdict::kOutcomeUnknown);
  }
}

TEST_CASE("retry: definite answers are returned") {
  for (const absl::Status& s :
       {absl::OkStatus(), absl::NotFoundError("NO_NODE /a"), absl::AbortedError("BAD_VERSION"),
        absl::AlreadyExistsError("NODE_EXISTS"), absl::InvalidArgumentError("BAD_ARGUMENTS"),
        absl::FailedPreconditionError("NOT_EMPTY"), absl::UnimplementedError("sessions"),
        absl::InternalError("x"), absl::CancelledError("x")}) {
    INFO(s.ToString());
    CHECK(Classify(kRead, s, "a:1") == Verdict::kDone);
    CHECK(Classify(kWrite, s, "a:1") == Verdict::kDone);
  }
}

}  // namespace
}  // namespace dcos::zk::client
