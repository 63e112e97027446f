// ZkClient: creating and closing its session, and what calls do with it.

#include <chrono>

#include "absl/strings/str_cat.h"
#include "libs/zk/client.h"
#include "libs/zk/errors.h"

namespace dcos::zk::client {
namespace {

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

}  // namespace

absl::Status ZkClient::StartSession() {
  const absl::Duration requested = options_.session->timeout;
  v1::CreateSessionRequest request;
  request.mutable_requested_timeout()->set_seconds(absl::ToInt64Seconds(requested));
  request.mutable_requested_timeout()->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(requested - absl::Seconds(absl::ToInt64Seconds(requested)))));
  request.set_last_zxid_seen(last_zxid_seen());
  v1::CreateSessionResponse response;
  const absl::Time created = clock_->Now();
  Member* answered = nullptr;
  absl::Status status = Invoke(
      CallKind::kRepeatableWrite, "CreateSession",
      [&](v1::ZooKeeper::Stub* stub, grpc::ClientContext* context) {
        return stub->CreateSession(context, request, &response);
      },
      &answered);
  if (!status.ok()) return status;
  See(answered, response.header());
  absl::Duration timeout = FromProto(response.negotiated_timeout());
  if (response.session_id() == 0 || timeout <= absl::ZeroDuration()) {
    return absl::InternalError(absl::StrCat("CreateSession answered session id ",
                                            response.session_id(), " and timeout ",
                                            absl::FormatDuration(timeout)));
  }
  session_ = std::make_unique<ZkSession>(this, response.session_id(), response.password(),
                                         timeout, created);
  if (options_.session->listener) session_->AddListener(options_.session->listener);
  absl::Status started = session_->Start(options_.retry_budget + options_.call_timeout);
  if (!started.ok()) (void)session_->Close(/*notify=*/false);
  return started;
}

const std::string& ZkClient::session_password() const {
  static const std::string* const kNone = new std::string();
  return session_ ? session_->password() : *kNone;
}

absl::Status ZkClient::Close() {
  if (!session_) return absl::OkStatus();
  if (session_->OnEventThread()) {
    return absl::FailedPreconditionError("Close cannot be called inside a client callback");
  }
  return session_->Close(/*notify=*/true);
}

absl::Status ZkClient::CloseSessionOnce(const v1::CloseSessionRequest& request,
                                        v1::CloseSessionResponse* response) {
  std::vector<Member*> order;
  {
    absl::MutexLock lock(&mu_);
    size_t first = router_.WriteTarget();
    for (size_t i = 0; i < members_.size(); ++i) {
      order.push_back(members_[(first + i) % members_.size()].get());
    }
  }
  absl::Status last = absl::UnavailableError("CONNECTION_LOSS: no member to close the session");
  for (Member* member : order) {
    if (!WaitReady(member)) continue;
    grpc::ClientContext context;
    context.set_deadline(Bounded(std::chrono::system_clock::now() +
                                 absl::ToChronoMilliseconds(options_.call_timeout)));
    last = FromGrpcStatus(member->stub->CloseSession(&context, request, response));
    if (last.ok()) return last;
  }
  return last;
}

absl::Status ZkClient::Written(absl::Status status) {
  if (session_ && ErrorCodeOf(status) == v1::ERROR_CODE_SESSION_EXPIRED) {
    session_->ExpiredByAnswer(status);
  }
  return status;
}

void ZkClient::AddWatch(WatchKind kind, const std::string& path, const ReadDone& done,
                        const v1::ResponseHeader& header, Watcher watcher) {
  session_->AddWatch(kind, path, done.member->index, header.zxid(), header.watch_sequence(),
                     done.start, std::move(watcher));
}

}  // namespace dcos::zk::client
