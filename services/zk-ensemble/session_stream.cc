// ZkService::Session: the Session stream as a gRPC callback reactor. A stream costs no thread
// while it is attached: pings are answered from the gRPC thread that read them, and watch
// events are written from whichever thread queued them (WatchHub's listener). Only an Attach
// that has to wait (this member behind the client's zxid, or a session not known here yet)
// runs its checks on a thread of its own, which ends with the check.

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "libs/clock/clock.h"
#include "libs/status/grpc_status.h"
#include "services/zk-ensemble/core/errors.h"
#include "services/zk-ensemble/proto_duration.h"
#include "services/zk-ensemble/zk_service.h"

namespace dcos::zk {

namespace {

// A member cut off from the leader sends clients elsewhere: their pings would not get through,
// and their sessions would expire while they waited here.
grpc::Status CutOff() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "this member has lost contact with the leader; try another member");
}

}  // namespace

class ZkService::SessionStream final
    : public grpc::ServerBidiReactor<v1::SessionRequest, v1::SessionResponse> {
 public:
  // What to do once mu_ is released: gRPC is never called with mu_ held (Finish may end in
  // OnDone, which deletes the stream).
  struct Next {
    const v1::SessionResponse* write = nullptr;
    std::optional<grpc::Status> finish;
  };
  using Mailbox = StreamMailbox;

  explicit SessionStream(ZkService* service)
      : service_(service), mailbox_(std::make_shared<Mailbox>()) {
    mailbox_->stream = this;
    if (!service_->AddStream(mailbox_)) {
      End(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                       "this member is shutting down; try another member"));
      return;
    }
    StartRead(&in_);
  }

  // Runs `locked` (which returns what to do) on the stream behind `mailbox`, if it is still
  // there, then does it without any lock held: while an action is pending (a write handed
  // out, or the Finish) the stream cannot end, so it is still there for it.
  template <typename Locked>
  static void Visit(const std::shared_ptr<Mailbox>& mailbox, Locked locked) {
    SessionStream* stream;
    Next next;
    {
      absl::MutexLock lock(&mailbox->mu);
      stream = mailbox->stream;
      if (stream == nullptr) return;
      next = locked(*stream);
    }
    stream->Do(next);
  }

  // Ends the stream with `status` (the member is shutting down).
  static void EndVia(const std::shared_ptr<Mailbox>& mailbox, const grpc::Status& status) {
    Visit(mailbox, [&](SessionStream& s) { return s.EndAndNext(status); });
  }

  void OnReadDone(bool ok) override {
    if (!ok) return End(grpc::Status::OK);  // the client closed its side, or the call ended
    if (!attached_) return Attach();
    if (!service_->sm_->SessionLive(id_)) return End(Expired());
    if (in_.has_ping()) {
      if (service_->keeper_->LeaderLost()) return End(CutOff());
      service_->keeper_->Touch(id_);
      v1::SessionResponse pong;
      service_->FillHeader(pong.mutable_pong()->mutable_header());
      Send(std::move(pong));
    } else if (in_.has_set_watches()) {
      // May queue events at once (changes missed since the client's zxid): Pump sends them.
      service_->sm_->SetWatches(id_, in_.set_watches());
    }
    ReadNext();
  }

  void OnWriteDone(bool ok) override {
    Next next;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      out_.pop_front();
      if (!ok) {  // the call is over
        out_.clear();
        if (!finish_.has_value()) finish_ = grpc::Status::OK;
      }
      next = NextLocked();
    }
    Do(next);
  }

  void OnCancel() override { End(grpc::Status::CANCELLED); }

  void OnDone() override {
    {
      absl::MutexLock lock(&mailbox_->mu);
      mailbox_->stream = nullptr;  // a listener call from now on does nothing
    }
    service_->RemoveStream(mailbox_);
    if (attached_) {
      service_->attached_.fetch_sub(1);
      service_->hub_->Detach(id_, generation_);
    }
    delete this;
  }

 private:

  // The first message must be Attach. Checked here when no wait is needed, else on a thread
  // of its own; until the check is done the stream cannot finish (so it cannot be deleted
  // under the thread).
  void Attach() {
    if (!in_.has_attach()) {
      return End(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              "the first message of a Session stream must be Attach"));
    }
    if (absl::Status started = service_->Started(); !started.ok()) {
      return End(service_->Redirect(started));
    }
    id_ = in_.attach().session_id();
    {
      absl::MutexLock lock(&mu_);
      attaching_ = true;
    }
    const bool quick = service_->sm_->last_zxid() >= in_.attach().last_zxid_seen() &&
                       service_->sm_->SessionLive(id_);
    if (quick) return CompleteAttach();
    std::thread([this] { CompleteAttach(); }).detach();
  }

  void CompleteAttach() {
    v1::SessionResponse attached;
    grpc::Status checked = CheckAttach(&attached);
    if (checked.ok()) {
      generation_ = service_->hub_->Attach(id_);
      attached_ = true;
      service_->attached_.fetch_add(1);
    }
    Next next;
    {
      absl::MutexLock lock(&mu_);
      attaching_ = false;
      if (!checked.ok()) {
        if (!finish_.has_value()) finish_ = std::move(checked);
      } else if (!finish_.has_value()) {
        // Attached goes out before any event: the listener only starts now.
        out_.push_back(std::move(attached));
      }
      next = NextLocked();
    }
    if (checked.ok()) {
      std::shared_ptr<Mailbox> mailbox = mailbox_;
      service_->hub_->Listen(id_, generation_, [mailbox] {
        Visit(mailbox, [](SessionStream& s) { return s.PumpAndNext(); });
      });
      Pump();  // events queued before the listener was in place
      ReadNext();
    }
    Do(next);  // last: once the call may finish, `this` may be gone
  }

  // Attach's checks; may block (up to 2 s waiting for this member to catch up, or a read
  // barrier for a session not known here yet). Fills the Attached response.
  grpc::Status CheckAttach(v1::SessionResponse* attached) {
    if (service_->keeper_->LeaderLost()) return CutOff();
    // A client never reads older state than it has seen: a member behind the client's zxid
    // catches up first, or sends the client elsewhere.
    const int64_t seen = in_.attach().last_zxid_seen();
    ZkStateMachine* sm = service_->sm_;
    if (!sm->WaitForZxid(seen, std::min(service_->timeout_, absl::Seconds(2)))) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          absl::StrCat("this member has applied up to zxid ", sm->last_zxid(),
                                       ", behind the client's ", seen, "; try another member"));
    }
    // Catches up with the leader first if the session is not known here yet. A wrong
    // password answers like a session that is gone.
    CatchUpForSession();
    absl::Status allowed = service_->CheckSessionPassword(id_, in_.attach().password());
    if (!allowed.ok()) return status::ToGrpc(allowed);
    absl::StatusOr<SessionInfo> info = sm->GetSession(id_);
    if (!info.ok()) return Expired();
    service_->keeper_->Touch(id_);
    attached->mutable_attached()->set_session_id(id_);
    ToProto(info->timeout, attached->mutable_attached()->mutable_negotiated_timeout());
    service_->FillHeader(attached->mutable_attached()->mutable_header());
    return grpc::Status::OK;
  }

  // A session created a moment ago may not have reached this member yet: catch up with the
  // leader. That needs a leader: a member between leaders (not cut off, CheckAttach's first
  // check) waits for the next one, and asks again when the leader changes under its read,
  // rather than send the client away: its attached clients wait out elections too. Gives up
  // after min(request timeout, 2 s); what is left of the check then answers.
  void CatchUpForSession() {
    clock::Clock* clock = clock::RealClock::Default();
    const absl::Time give_up = clock->Now() + std::min(service_->timeout_, absl::Seconds(2));
    raft::RaftNode* node = service_->node_.load();
    while (!service_->sm_->SessionLive(id_)) {
      if (!node->AwaitLeader(give_up - clock->Now())) return;
      absl::Status caught_up = service_->ReadBarrier(/*linearizable=*/true);
      // UNAVAILABLE: the leader changed (or was lost) before the read point came.
      if (!absl::IsUnavailable(caught_up) || clock->Now() >= give_up) return;
      // The leader this member still names may be the one just lost: a breath before asking
      // again, rather than a busy loop until the election settles.
      absl::SleepFor(std::min(absl::Milliseconds(10), give_up - clock->Now()));
    }
  }

  grpc::Status Expired() const { return status::ToGrpc(SessionNotLive(id_)); }

  // The next client message, unless the call is ending.
  void ReadNext() {
    {
      absl::MutexLock lock(&mu_);
      if (finish_.has_value()) return;
    }
    StartRead(&in_);
  }

  // Moves the session's new events into the outgoing queue.
  void Pump() { Do(PumpAndNext()); }
  Next PumpAndNext() {
    absl::MutexLock lock(&mu_);
    if (finish_.has_value()) return Next();
    for (v1::WatchEvent& e : service_->hub_->Wait(id_, delivered_, absl::ZeroDuration())) {
      delivered_ = e.sequence();
      v1::SessionResponse out;
      *out.mutable_watch_event() = std::move(e);
      out_.push_back(std::move(out));
    }
    return NextLocked();
  }

  void Send(v1::SessionResponse response) {
    Next next;
    {
      absl::MutexLock lock(&mu_);
      if (finish_.has_value()) return;
      out_.push_back(std::move(response));
      next = NextLocked();
    }
    Do(next);
  }

  // Ends the call once the write in flight (if any) is done; the first status wins.
  void End(grpc::Status status) { Do(EndAndNext(std::move(status))); }
  Next EndAndNext(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    if (finish_.has_value()) return Next();
    finish_ = std::move(status);
    // Nothing more goes out but the write already handed to gRPC.
    out_.erase(writing_ ? out_.begin() + 1 : out_.begin(), out_.end());
    return NextLocked();
  }

  // One write at a time; Finish once nothing is in flight (nor an Attach being checked)
  // after End.
  Next NextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Next next;
    if (writing_ || attaching_) return next;
    if (finish_.has_value() && out_.empty()) {
      if (!finished_) {
        finished_ = true;
        next.finish = *finish_;
      }
      return next;
    }
    if (out_.empty()) return next;
    writing_ = true;
    next.write = &out_.front();  // stays put: a deque keeps elements in place on push_back
    return next;
  }
  void Do(const Next& next) {
    if (next.write != nullptr) StartWrite(next.write);
    if (next.finish.has_value()) Finish(*next.finish);
  }

  ZkService* const service_;
  const std::shared_ptr<Mailbox> mailbox_;
  v1::SessionRequest in_;  // one read at a time
  // Set before the stream is attached, read after (reads are sequential).
  int64_t id_ = 0;
  uint64_t generation_ = 0;
  bool attached_ = false;

  absl::Mutex mu_;
  std::deque<v1::SessionResponse> out_ ABSL_GUARDED_BY(mu_);  // front: the write in flight
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool attaching_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t delivered_ ABSL_GUARDED_BY(mu_) = 0;  // the last event queued for writing
  std::optional<grpc::Status> finish_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

bool ZkService::AddStream(const std::shared_ptr<StreamMailbox>& mailbox) {
  absl::MutexLock lock(&streams_mu_);
  if (streams_stopping_) return false;
  streams_.insert(mailbox);
  return true;
}

void ZkService::RemoveStream(const std::shared_ptr<StreamMailbox>& mailbox) {
  absl::MutexLock lock(&streams_mu_);
  streams_.erase(mailbox);
}

void ZkService::EndStreams() {
  std::vector<std::shared_ptr<StreamMailbox>> streams;
  {
    absl::MutexLock lock(&streams_mu_);
    streams_stopping_ = true;
    streams.assign(streams_.begin(), streams_.end());
  }
  const grpc::Status status(grpc::StatusCode::UNAVAILABLE,
                            "this member is shutting down; try another member");
  for (const auto& mailbox : streams) {
    SessionStream::EndVia(mailbox, status);  // each does nothing for the other kind
    EndPipelineStream(mailbox, status);
  }
}

grpc::ServerBidiReactor<v1::SessionRequest, v1::SessionResponse>* ZkService::Session(
    grpc::CallbackServerContext*) {
  return new SessionStream(this);
}

}  // namespace dcos::zk
