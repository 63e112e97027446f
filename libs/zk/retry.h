#pragma once

// The retry rules of ZkClient as a pure function: what to do after one attempt of a call.
//
// A read has no side effect, so every failure that says "this member cannot serve now" is
// retried elsewhere. A write is retried only when the member certainly did not apply it: a
// redirect ("not the leader", which the member answers before proposing anything) or a
// member that could not be reached before the request was sent (ZkClient checks that the
// connection is up before sending a write). Any failure after the request may have reached the
// leader -- a connection that broke mid-call, a deadline that passed -- leaves the outcome
// unknown: the write may commit later. Retrying it blindly could apply it twice (a second
// create of a sequential node, a set that overwrites a newer value), or report NODE_EXISTS for
// a create that in fact succeeded. So the caller gets the error and decides (usually: read,
// then retry), as errors.proto's retry rules and ZooKeeper's CONNECTIONLOSS ask.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace dcos::zk::client {

enum class CallKind {
  kRead,
  kWrite,
  // Sent to the leader like a write, but safe to repeat, so retried like a read: CreateSession
  // (a session created twice leaves one unused, which expires) and CloseSession (idempotent).
  kRepeatableWrite,
};

enum class Verdict {
  // Return the status to the caller: success, or a definite answer (NO_NODE, BAD_VERSION, ...).
  kDone,
  // The member refused and named another member as the leader: retry there at once.
  kFollowLeader,
  // This member cannot serve now (no leader known, unreachable, or a read that timed out):
  // retry on another member after a backoff. Nothing was applied.
  kTryAnother,
  // A write that may or may not have been applied: return the error, never retry.
  kOutcomeUnknown,
};

// Judges the status of one attempt of a call of `kind` that was sent to the member at
// `target_address`. A redirect naming the target itself as the leader (a leader that refused
// its own write, e.g. while stopping with the write pending) is kOutcomeUnknown for a write.
Verdict Classify(CallKind kind, const absl::Status& status, absl::string_view target_address);

}  // namespace dcos::zk::client
