// ZkSession: the keeper thread (attach, ping, re-attach, expiry) and the stream reader. Watch
// bookkeeping and the reply fence are in session_watches.cc.

#include "libs/zk/session.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "libs/zk/client.h"
#include "libs/zk/errors.h"

namespace dcos::zk::client {

struct ZkSession::Stream {
  size_t member = 0;
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<v1::SessionRequest, v1::SessionResponse>> rw;
  std::thread reader;
  absl::Time attach_sent;
  bool attached = false;  // guarded by ZkSession::mu_
  bool ended = false;     // guarded by ZkSession::mu_
};

namespace {

bool IsSessionExpired(const grpc::Status& status) {
  return ErrorCodeOf(FromGrpcStatus(status)) == v1::ERROR_CODE_SESSION_EXPIRED;
}

std::chrono::system_clock::time_point DeadlineIn(absl::Duration d) {
  return std::chrono::system_clock::now() + absl::ToChronoMilliseconds(d);
}

}  // namespace

ZkSession::ZkSession(ZkClient* client, int64_t id, std::string password, absl::Duration timeout,
                     absl::Time created)
    : client_(client),
      id_(id),
      password_(std::move(password)),
      timeout_(timeout),
      timer_(timeout, created) {}

ZkSession::~ZkSession() { (void)Close(/*notify=*/false); }

absl::Time ZkSession::Now() const { return client_->clock_->Now(); }

absl::Status ZkSession::Start(absl::Duration wait) {
  keeper_ = std::thread([this] { Keep(); });
  absl::MutexLock lock(&mu_);
  auto settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return state_ == SessionState::kConnected || over_.load() || stopping_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&settled), wait);
  if (state_ == SessionState::kConnected) return absl::OkStatus();
  if (over_.load()) return over_status_;
  return absl::UnavailableError(absl::StrCat("CONNECTION_LOSS: no member attached session 0x",
                                             absl::Hex(id_), " within ",
                                             absl::FormatDuration(wait)));
}

absl::Status ZkSession::Close(bool notify) {
  bool closing = false;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::OkStatus();
    stopping_ = true;
    // Over before the ensemble deletes the ephemeral nodes: a leader stops leading (its
    // session_alive_until is past) before its successor can start.
    if (!over_.load()) {
      over_.store(true);
      closing = true;
      over_status_ = absl::FailedPreconditionError(
          absl::StrCat("SESSION_EXPIRED session 0x", absl::Hex(id_), " was closed"));
    }
  }
  events_.Wake();
  if (keeper_.joinable()) keeper_.join();
  if (closing) CloseOnEnsemble();
  {
    absl::MutexLock lock(&mu_);
    if (closing) {
      if (notify) {
        SetState(SessionState::kClosed);
      } else {
        state_ = SessionState::kClosed;
      }
      (void)watches_.TakeAll(WatchEvent::Type::kSessionExpired);  // closing fires no watch
    }
  }
  events_.Stop(/*drain=*/notify);
  return absl::OkStatus();
}

void ZkSession::CloseOnEnsemble() {
  if (closed_on_ensemble_) return;
  closed_on_ensemble_ = true;
  v1::CloseSessionRequest request;
  request.set_session_id(id_);
  request.set_password(password_);
  v1::CloseSessionResponse response;
  // One pass over the members, leader first; if none answers, the ensemble expires the
  // session by itself after its timeout.
  absl::Status closed = client_->CloseSessionOnce(request, &response);
  (void)closed;
}

SessionState ZkSession::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

absl::Time ZkSession::alive_until() const {
  absl::MutexLock lock(&mu_);
  if (over_.load()) return absl::InfinitePast();
  return timer_.alive_until();
}

absl::Status ZkSession::Usable() const {
  if (!over_.load()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  return over_status_;
}

void ZkSession::ExpiredByAnswer(const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  Expire(std::string(status.message()));
}

uint64_t ZkSession::AddListener(SessionListener listener) {
  absl::MutexLock lock(&mu_);
  uint64_t id = next_listener_++;
  listeners_[id] = std::move(listener);
  return id;
}

void ZkSession::RemoveListener(uint64_t id) {
  absl::MutexLock lock(&mu_);
  listeners_.erase(id);
}

void ZkSession::SuspendForTesting(bool suspended) {
  absl::MutexLock lock(&mu_);
  suspended_ = suspended;
}

void ZkSession::SetState(SessionState state) {
  if (state_ == state) return;
  state_ = state;
  std::vector<SessionListener> listeners;
  for (auto& [id, l] : listeners_) listeners.push_back(l);
  if (listeners.empty()) return;
  events_.Push([listeners = std::move(listeners), state] {
    for (const SessionListener& l : listeners) l(state);
  });
}

void ZkSession::Expire(const std::string& reason) {
  if (over_.load()) return;
  over_.store(true);
  // The instant until which the session was surely alive, for whoever must have stopped by
  // then (a leader's successor may act only after it).
  over_status_ = absl::FailedPreconditionError(absl::StrCat(
      "SESSION_EXPIRED session 0x", absl::Hex(id_), ": ", reason, "; it was alive until ",
      absl::FormatTime(absl::RFC3339_full, timer_.alive_until(), absl::UTCTimeZone())));
  SetState(SessionState::kExpired);
  Deliver(watches_.TakeAll(WatchEvent::Type::kSessionExpired));
  events_.Wake();
}

void ZkSession::Disconnected() {
  attached_.reset();
  timer_.Detached();
  generation_.fetch_add(1);
  events_.Wake();
  if (!over_.load() && !stopping_) SetState(SessionState::kDisconnected);
}

absl::Duration ZkSession::LeftToLiveLocked() const {
  return std::max(timer_.alive_until() - Now(), absl::ZeroDuration());
}

absl::Duration ZkSession::LeftToLive() const {
  absl::MutexLock lock(&mu_);
  return LeftToLiveLocked();
}

bool ZkSession::Pause(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
  mu_.AwaitWithTimeout(absl::Condition(&stop), d);
  return !stopping_;
}

void ZkSession::Keep() {
  const ZkClient::Options& options = client_->options_;
  absl::Duration backoff = options.initial_backoff;
  size_t failures = 0;
  absl::Time recheck_after = absl::InfinitePast();
  bool expired_here = false;  // by the timer (the ensemble may not know yet)
  while (true) {
    bool attached;
    bool suspended;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_ || over_.load()) break;
      if (timer_.Lost(Now())) {
        Expire(absl::StrCat("no member answered within the session timeout of ",
                            absl::FormatDuration(timeout_)));
        expired_here = true;
        break;
      }
      attached = stream_ != nullptr;
      suspended = suspended_;
    }
    if (!attached) {
      if (suspended) {
        Pause(absl::Milliseconds(10));
        continue;
      }
      size_t target = client_->SessionTarget();
      absl::Status error;
      AttachResult result = TryAttach(target, &error);
      if (result == AttachResult::kAttached) {
        backoff = options.initial_backoff;
        failures = 0;
        continue;
      }
      if (result == AttachResult::kExpired) {
        absl::MutexLock lock(&mu_);
        Expire(std::string(error.message()));
        break;
      }
      client_->MemberFailed(target);
      if (++failures % client_->members().size() == 0) {  // every member tried: back off
        Pause(std::min(backoff, LeftToLive()));
        backoff = std::min(backoff * 2, options.max_backoff);
      }
      continue;
    }
    if (Now() >= recheck_after && !RecheckWatches()) {
      recheck_after = Now() + options.max_backoff;
    }
    std::unique_ptr<Stream> dropped;
    Stream* ping_on = nullptr;
    {
      absl::MutexLock lock(&mu_);
      auto wake = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || stream_->ended || (watches_.HasStale() && Now() >= recheck_after);
      };
      absl::Time deadline = timer_.NextDeadline();
      if (watches_.HasStale()) deadline = std::min(deadline, recheck_after);
      mu_.AwaitWithTimeout(absl::Condition(&wake), std::max(deadline - Now(), absl::ZeroDuration()));
      if (stopping_) break;
      absl::Time now = Now();
      if (stream_->ended || (!suspended_ && timer_.MemberSilent(now))) {
        dropped = std::move(stream_);
        Disconnected();
      } else if (!suspended_ && timer_.PingDue(now)) {
        ping_on = stream_.get();
        timer_.PingSent(now);
      }
    }
    if (dropped != nullptr) {
      size_t member = dropped->member;
      grpc::Status ended = Teardown(std::move(dropped));
      if (IsSessionExpired(ended)) {
        absl::MutexLock lock(&mu_);
        Expire(ended.error_message());
        break;
      }
      client_->MemberFailed(member);
      continue;
    }
    if (ping_on != nullptr) {
      v1::SessionRequest ping;
      ping.mutable_ping();
      if (!ping_on->rw->Write(ping)) {
        absl::MutexLock lock(&mu_);
        ping_on->ended = true;
      }
    }
  }
  std::unique_ptr<Stream> last;
  {
    absl::MutexLock lock(&mu_);
    last = std::move(stream_);
    if (last != nullptr) Disconnected();
  }
  if (last != nullptr) (void)Teardown(std::move(last));
  bool frozen;
  {
    absl::MutexLock lock(&mu_);
    frozen = suspended_;
  }
  // Tell the ensemble at once, so its ephemeral nodes go now rather than at its own expiry
  // (a frozen client, in tests, tells nobody).
  if (expired_here && !frozen) CloseOnEnsemble();
}

ZkSession::AttachResult ZkSession::TryAttach(size_t member, absl::Status* error) {
  ZkClient::Member* m = client_->MemberAt(member);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!client_->WaitReady(m, LeftToLive())) return AttachResult::kFailed;
    auto stream = std::make_unique<Stream>();
    stream->member = member;
    stream->rw = m->stub->Session(&stream->context);
    Stream* s = stream.get();
    {
      absl::MutexLock lock(&mu_);
      stream_ = std::move(stream);
    }
    v1::SessionRequest attach;
    attach.mutable_attach()->set_session_id(id_);
    attach.mutable_attach()->set_password(password_);
    attach.mutable_attach()->set_last_zxid_seen(client_->last_zxid_seen());
    s->attach_sent = Now();
    bool sent = s->rw->Write(attach);
    s->reader = std::thread([this, s] { ReadStream(s); });
    std::unique_ptr<Stream> failed;
    {
      absl::MutexLock lock(&mu_);
      if (!sent) s->ended = true;
      auto settled = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return s->attached || s->ended || stopping_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&settled),
                           std::min(client_->options_.call_timeout, LeftToLiveLocked()));
      if (s->attached && !s->ended) return AttachResult::kAttached;
      failed = std::move(stream_);
      if (s->attached) Disconnected();
    }
    grpc::Status ended = Teardown(std::move(failed));
    if (!IsSessionExpired(ended)) {
      *error = FromGrpcStatus(ended);
      return AttachResult::kFailed;
    }
    *error = FromGrpcStatus(ended);
    if (attempt == 1) break;
    // The member may lag behind the session's creation (dcos-zk does not yet wait for
    // last_zxid_seen on Attach): bring it up to date with a Sync, then ask once more.
    grpc::ClientContext context;
    context.set_deadline(DeadlineIn(std::min(client_->options_.call_timeout, LeftToLive())));
    v1::SyncRequest sync;
    v1::SyncResponse synced;
    if (!m->stub->Sync(&context, sync, &synced).ok()) return AttachResult::kFailed;
  }
  return AttachResult::kExpired;
}

void ZkSession::ReadStream(Stream* stream) {
  v1::SessionResponse message;
  while (stream->rw->Read(&message)) OnMessage(stream, message);
  absl::MutexLock lock(&mu_);
  stream->ended = true;
}

void ZkSession::OnMessage(Stream* stream, const v1::SessionResponse& message) {
  ZkClient::Member* m = client_->MemberAt(stream->member);
  absl::MutexLock lock(&mu_);
  if (stream != stream_.get() || stream->ended) return;
  absl::Time now = Now();
  switch (message.message_case()) {
    case v1::SessionResponse::kAttached:
      if (stream->attached) return;
      stream->attached = true;
      client_->See(m, message.attached().header());
      timer_.Attached(stream->attach_sent, now);
      generation_.fetch_add(1);
      attached_ = stream->member;
      watches_.Reattached(stream->member);
      client_->MoveTo(stream->member);
      events_.Wake();
      SetState(SessionState::kConnected);
      return;
    case v1::SessionResponse::kPong:
      if (!stream->attached) return;
      client_->See(m, message.pong().header());
      timer_.Pong(now);
      return;
    case v1::SessionResponse::kWatchEvent: {
      if (!stream->attached) return;
      timer_.Heard(now);
      const v1::WatchEvent& event = message.watch_event();
      Deliver(watches_.OnEvent(stream->member, event), stream->member, event.sequence());
      return;
    }
    default:
      return;
  }
}

grpc::Status ZkSession::Teardown(std::unique_ptr<Stream> stream) {
  bool ended;
  {
    absl::MutexLock lock(&mu_);
    ended = stream->ended;
  }
  // A stream the server ended keeps its status; cancelling it now would replace it.
  if (!ended) stream->context.TryCancel();
  if (stream->reader.joinable()) stream->reader.join();
  return stream->rw->Finish();
}

}  // namespace dcos::zk::client
