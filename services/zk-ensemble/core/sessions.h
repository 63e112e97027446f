#pragma once

// SessionTable: the replicated session state of a dcos-zk ensemble — which sessions are
// alive, their negotiated timeouts, and when the log last heard from them. Pure and
// deterministic (no Raft, I/O, threads or clock reads): every member applies the same
// committed entries (Create, Close, Expire, Touch) with the times carried in those entries
// (the leader's clock at proposal) and ends with byte-identical tables (Snapshot()).
//
// Expiry (ZooKeeper's scheme; see README.md "Sessions"):
// - Pings are NOT replicated (that would be a log write per ping). The member a session is
//   attached to records the pings locally and forwards them, batched, to the leader
//   (TouchBatch); the leader keeps the authoritative liveness in a LeaderView
//   (leader_view.h), which alone decides that a session has expired. The leader then
//   proposes an Expire entry; applying it here (and deleting the session's ephemerals in the
//   tree) is the same on every member.
// - This table's own `last_heard` is the liveness as the log knows it: set by Create and
//   moved forward by Touch, which the service applies for committed entries that carry the
//   session (its writes), at no extra log cost. It is a lower bound of the leader's view, so
//   ExpiredAt(now) lists every session the leader could expire (and maybe more). It is
//   what a new leader's LeaderView starts from (with a fresh full timeout each).
//
// Ids are assigned by the leader (session_id.h) and carried in the Create entry. They
// increase in log order, so the table refuses any id at or below the largest it has ever
// created: a closed or expired session is never re-created, even by a buggy leader.
//
// Passwords: the member that creates a session draws its password (kSessionPasswordBytes
// random bytes) and puts it into the Create entry, so every member records the same one and
// CheckPassword answers the same everywhere. A session with no password recorded — created by
// an entry of a leader from before passwords, or restored from a format-1 snapshot — accepts
// any password (README.md "Sessions", "Passwords"). The table never hands a password out.
//
// Precision: timeouts and times are kept in whole milliseconds (truncated on input), so a
// Snapshot() round trip is exact.
//
// Errors: absl::Status with the ZooKeeper code as payload (errors.h). A failed call changes
// nothing.
//
// Thread-compatible: a plain value (copyable, movable), owned by the driver's apply thread.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/zk-ensemble/core/errors.h"
#include "services/zk-ensemble/core/session_deadlines.h"

namespace dcos::zk {

// Bytes of a session password (CreateSessionResponse.password).
inline constexpr size_t kSessionPasswordBytes = 16;

// Largest timeout any session may have, whatever the config (keeps deadlines far from
// overflow and snapshots checkable).
inline constexpr absl::Duration kMaxSessionTimeoutLimit = absl::Hours(24);

// The server's bounds on negotiated session timeouts (--min_session_timeout,
// --max_session_timeout). ZooKeeper's defaults are 2 and 20 times a 2 s tickTime.
struct SessionConfig {
  absl::Duration min_timeout = absl::Seconds(4);
  absl::Duration max_timeout = absl::Seconds(40);
};

// OK if 1 ms <= min_timeout <= max_timeout <= kMaxSessionTimeoutLimit, both whole
// milliseconds. Errors: INVALID_ARGUMENT (no ZkError payload: an operator error).
absl::Status ValidateSessionConfig(const SessionConfig& config);

// `requested` clamped into [min_timeout, max_timeout] and truncated to whole milliseconds.
// Pass absl::InfiniteDuration() for "not given" (proto: unset means the maximum); zero or
// negative gives the minimum.
absl::Duration NegotiateTimeout(const SessionConfig& config, absl::Duration requested);

// One live session.
struct SessionInfo {
  absl::Duration timeout;  // negotiated, whole milliseconds
  absl::Time last_heard;   // Create or the latest replicated Touch, whole milliseconds

  bool operator==(const SessionInfo&) const = default;
};

class SessionTable {
 public:
  // Requires ValidateSessionConfig(config).ok() (crashes otherwise); use New() for a config
  // that comes from flags.
  explicit SessionTable(SessionConfig config = {});
  static absl::StatusOr<SessionTable> New(SessionConfig config);

  SessionTable(const SessionTable&) = default;
  SessionTable& operator=(const SessionTable&) = default;
  SessionTable(SessionTable&&) = default;
  SessionTable& operator=(SessionTable&&) = default;

  // NegotiateTimeout with this table's config. The leader calls it before proposing Create.
  absl::Duration Negotiate(absl::Duration requested) const {
    return NegotiateTimeout(config_, requested);
  }

  // --- Writes, applied from committed entries. `now` is the entry's time. ---

  // Adds a session with last_heard = now and `password`: kSessionPasswordBytes bytes, or
  // empty for an entry that carries none (written before passwords existed; the session then
  // accepts any password). The timeout is stored as given (truncated to ms), not checked
  // against the config: members started with different bounds must still apply the same
  // entry the same way (the leader negotiated it).
  // Errors: BAD_ARGUMENTS (id <= 0; timeout < 1 ms, above kMaxSessionTimeoutLimit or
  // infinite; now infinite; a password of another size); SYSTEM_ERROR (id live, or not above
  // max_created_id(): a leader bug, the id may never be reused).
  absl::Status Create(int64_t session_id, absl::Duration timeout, absl::Time now,
                      absl::string_view password = {});

  // Removes a session at the client's request. Errors: BAD_ARGUMENTS (id <= 0),
  // SESSION_EXPIRED (not live: already closed, expired, or never created).
  absl::Status Close(int64_t session_id);

  // Removes a session the leader decided had expired. Errors as Close.
  absl::Status Expire(int64_t session_id);

  // Moves last_heard forward to `now` (never backwards). Errors: BAD_ARGUMENTS (id <= 0, now
  // infinite), SESSION_EXPIRED (not live).
  absl::Status Touch(int64_t session_id, absl::Time now);

  // --- Reads. ---

  bool Exists(int64_t session_id) const { return sessions_.Contains(session_id); }
  // Errors: BAD_ARGUMENTS (id <= 0), SESSION_EXPIRED (not live).
  absl::StatusOr<SessionInfo> Get(int64_t session_id) const;
  // OK if live; the errors of Get otherwise. The check every session request makes.
  absl::Status CheckLive(int64_t session_id) const;
  // OK if the session is live and `password` is its password (compared in constant time), or
  // it has none recorded. Otherwise exactly the error CheckLive gives a session that is not
  // live (SESSION_EXPIRED, same message), so a caller cannot tell a wrong password from a
  // closed or expired session.
  absl::Status CheckPassword(int64_t session_id, absl::string_view password) const;
  // Whether a live session has a password recorded (false for unknown ids).
  bool HasPassword(int64_t session_id) const { return passwords_.count(session_id) != 0; }

  // Live sessions whose last_heard + timeout <= now (a session is overdue exactly at its
  // deadline), earliest deadline first, ties by ascending id.
  std::vector<int64_t> ExpiredAt(absl::Time now) const;

  // Live session ids, ascending.
  std::vector<int64_t> SessionIds() const;
  size_t size() const { return sessions_.size(); }
  // The largest id ever created (0 if none); ids at or below it are refused by Create.
  int64_t max_created_id() const { return max_created_id_; }
  const SessionConfig& config() const { return config_; }

  // --- Serialization (sessions_snapshot.cc). ---

  // The table as bytes (format 2, with the passwords): equal tables give equal bytes.
  // Versioned, CRC-32 trailer. The config is not stored.
  std::string Snapshot() const;

  // The table of a Snapshot(), format 2 or 1 (format 1 has no passwords: its sessions accept
  // any). Errors: DATA_LOSS (no ZkError payload) for bytes that are truncated, corrupt, of an
  // unknown format version or describe an impossible table (ids not positive and ascending,
  // an id above max_created_id, a timeout outside [1 ms, kMaxSessionTimeoutLimit], a password
  // length other than 0 or kSessionPasswordBytes, padding that is not zero);
  // INVALID_ARGUMENT for a bad config. Never crashes.
  static absl::StatusOr<SessionTable> Restore(absl::string_view bytes,
                                              SessionConfig config = {});

 private:
  absl::Status RemoveLive(int64_t session_id);
  absl::Status NotLive(int64_t session_id) const;

  SessionConfig config_;
  SessionDeadlines sessions_;
  // Live sessions' passwords; a live session absent here has none recorded.
  std::map<int64_t, std::string> passwords_;
  int64_t max_created_id_ = 0;
};

// "0x1a2b" (ZooKeeper prints session ids in hex).
std::string SessionIdString(int64_t session_id);

}  // namespace dcos::zk
