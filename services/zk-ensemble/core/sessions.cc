#include "services/zk-ensemble/core/sessions.h"

#include <openssl/crypto.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dcos::zk {
namespace {

absl::Duration TruncMillis(absl::Duration d) { return absl::Trunc(d, absl::Milliseconds(1)); }

absl::Time TruncMillis(absl::Time t) { return absl::FromUnixMillis(absl::ToUnixMillis(t)); }

bool IsWholeMillis(absl::Duration d) { return TruncMillis(d) == d; }

bool IsFinite(absl::Time t) {
  return t != absl::InfiniteFuture() && t != absl::InfinitePast();
}

// A session created once and no longer live (or, to a wrong password, any created session).
absl::Status Gone(int64_t session_id) {
  return ZkStatus(ZkCode::kSessionExpired, "",
                  absl::StrCat("session ", SessionIdString(session_id),
                               " has expired or was closed"));
}

absl::Status BadId(int64_t session_id) {
  return ZkStatus(ZkCode::kBadArguments, "",
                  absl::StrCat("session id ", session_id, " is not positive"));
}

}  // namespace

std::string SessionIdString(int64_t session_id) {
  return absl::StrFormat("0x%x", static_cast<uint64_t>(session_id));
}

absl::Status ValidateSessionConfig(const SessionConfig& config) {
  if (config.min_timeout < absl::Milliseconds(1) || config.max_timeout < config.min_timeout ||
      config.max_timeout > kMaxSessionTimeoutLimit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "session timeouts: need 1ms <= min (", absl::FormatDuration(config.min_timeout),
        ") <= max (", absl::FormatDuration(config.max_timeout), ") <= ",
        absl::FormatDuration(kMaxSessionTimeoutLimit)));
  }
  if (!IsWholeMillis(config.min_timeout) || !IsWholeMillis(config.max_timeout)) {
    return absl::InvalidArgumentError("session timeouts must be whole milliseconds");
  }
  return absl::OkStatus();
}

absl::Duration NegotiateTimeout(const SessionConfig& config, absl::Duration requested) {
  if (requested < config.min_timeout) return config.min_timeout;
  if (requested > config.max_timeout) return config.max_timeout;
  // Both bounds are whole milliseconds, so truncating cannot leave [min, max].
  return TruncMillis(requested);
}

SessionTable::SessionTable(SessionConfig config) : config_(config) {
  absl::Status valid = ValidateSessionConfig(config_);
  if (!valid.ok()) {
    std::fprintf(stderr, "SessionTable: %s\n", valid.ToString().c_str());
    std::abort();
  }
}

absl::StatusOr<SessionTable> SessionTable::New(SessionConfig config) {
  absl::Status valid = ValidateSessionConfig(config);
  if (!valid.ok()) return valid;
  return SessionTable(config);
}

absl::Status SessionTable::Create(int64_t session_id, absl::Duration timeout, absl::Time now,
                                  absl::string_view password) {
  if (session_id <= 0) return BadId(session_id);
  if (!password.empty() && password.size() != kSessionPasswordBytes) {
    return ZkStatus(ZkCode::kBadArguments, "",
                    absl::StrCat("session password of ", password.size(), " bytes (",
                                 kSessionPasswordBytes, " or none)"));
  }
  const absl::Duration stored = TruncMillis(timeout);
  if (stored < absl::Milliseconds(1) || stored > kMaxSessionTimeoutLimit) {
    return ZkStatus(ZkCode::kBadArguments, "",
                    absl::StrCat("session timeout ", absl::FormatDuration(timeout),
                                 " is outside [1ms, ",
                                 absl::FormatDuration(kMaxSessionTimeoutLimit), "]"));
  }
  if (!IsFinite(now)) {
    return ZkStatus(ZkCode::kBadArguments, "", "session creation time is not finite");
  }
  if (sessions_.Contains(session_id)) {
    return ZkStatus(ZkCode::kSystemError, "",
                    absl::StrCat("session ", SessionIdString(session_id), " already exists"));
  }
  if (session_id <= max_created_id_) {
    return ZkStatus(ZkCode::kSystemError, "",
                    absl::StrCat("session id ", SessionIdString(session_id),
                                 " is not above the largest id created, ",
                                 SessionIdString(max_created_id_),
                                 ": ids are never reused"));
  }
  sessions_.Put(session_id, SessionLiveness{stored, TruncMillis(now)});
  if (!password.empty()) passwords_[session_id] = std::string(password);
  max_created_id_ = session_id;
  return absl::OkStatus();
}

absl::Status SessionTable::NotLive(int64_t session_id) const {
  if (session_id <= 0) return BadId(session_id);
  if (session_id <= max_created_id_ && !sessions_.Contains(session_id)) return Gone(session_id);
  return ZkStatus(ZkCode::kSessionExpired, "",
                  absl::StrCat("session ", SessionIdString(session_id), " does not exist"));
}

absl::Status SessionTable::CheckLive(int64_t session_id) const {
  if (session_id > 0 && sessions_.Contains(session_id)) return absl::OkStatus();
  return NotLive(session_id);
}

absl::Status SessionTable::CheckPassword(int64_t session_id, absl::string_view password) const {
  absl::Status live = CheckLive(session_id);
  if (!live.ok()) return live;
  auto it = passwords_.find(session_id);
  if (it == passwords_.end()) return absl::OkStatus();  // none recorded: accepts any
  // The length is no secret (always kSessionPasswordBytes); the bytes are compared in
  // constant time, so the time taken tells nothing of how much of a guess was right.
  if (password.size() == it->second.size() &&
      CRYPTO_memcmp(password.data(), it->second.data(), password.size()) == 0) {
    return absl::OkStatus();
  }
  // A wrong password answers as a session that is gone: a guesser learns nothing.
  return Gone(session_id);
}

absl::Status SessionTable::RemoveLive(int64_t session_id) {
  absl::Status live = CheckLive(session_id);
  if (!live.ok()) return live;
  sessions_.Remove(session_id);
  passwords_.erase(session_id);
  return absl::OkStatus();
}

absl::Status SessionTable::Close(int64_t session_id) { return RemoveLive(session_id); }

absl::Status SessionTable::Expire(int64_t session_id) {
  return RemoveLive(session_id);
}

absl::Status SessionTable::Touch(int64_t session_id, absl::Time now) {
  absl::Status live = CheckLive(session_id);
  if (!live.ok()) return live;
  if (!IsFinite(now)) return ZkStatus(ZkCode::kBadArguments, "", "touch time is not finite");
  sessions_.Touch(session_id, TruncMillis(now));
  return absl::OkStatus();
}

absl::StatusOr<SessionInfo> SessionTable::Get(int64_t session_id) const {
  const SessionLiveness* s = session_id > 0 ? sessions_.Find(session_id) : nullptr;
  if (s == nullptr) return NotLive(session_id);
  return SessionInfo{s->timeout, s->last_heard};
}

std::vector<int64_t> SessionTable::ExpiredAt(absl::Time now) const {
  return sessions_.Overdue(now);
}

std::vector<int64_t> SessionTable::SessionIds() const {
  std::vector<int64_t> ids;
  ids.reserve(sessions_.size());
  for (const auto& [id, liveness] : sessions_.by_id()) ids.push_back(id);
  return ids;
}

}  // namespace dcos::zk
