// ZkClient: construction, routing and the retry loop. The operations are in client_ops.cc.

#include <algorithm>
#include <chrono>

#include <grpcpp/create_channel.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/memory/memory.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/zk/client.h"
#include "libs/zk/errors.h"
#include "libs/zk/redirect.h"

namespace dcos::zk::client {
namespace {

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           const std::shared_ptr<grpc::ChannelCredentials>& creds) {
  grpc::ChannelArguments args;
  // gRPC's default reconnect backoff starts at 1 s and grows to 120 s: far too slow to notice
  // a restarted member of a small ensemble.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return grpc::CreateCustomChannel(address, creds, args);
}

absl::Status ValidateOptions(const ZkClient::Options& o) {
  if (o.ensemble.empty()) return absl::InvalidArgumentError("ensemble: no member addresses");
  for (const std::string& a : o.ensemble) {
    if (!IsHostPort(a)) {
      return absl::InvalidArgumentError(
          absl::StrCat("ensemble: \"", a, "\" is not host:port (port 1..65535)"));
    }
  }
  if (o.call_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("call_timeout must be > 0");
  }
  if (o.connect_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("connect_timeout must be > 0");
  }
  if (o.retry_budget < absl::ZeroDuration() || o.initial_backoff < absl::ZeroDuration() ||
      o.max_backoff < o.initial_backoff) {
    return absl::InvalidArgumentError(
        "retry_budget and initial_backoff must be >= 0 and max_backoff >= initial_backoff");
  }
  if (o.session && o.session->timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("session.timeout must be > 0");
  }
  return absl::OkStatus();
}

void RaiseTo(std::atomic<int64_t>* value, int64_t candidate) {
  int64_t current = value->load(std::memory_order_relaxed);
  while (candidate > current &&
         !value->compare_exchange_weak(current, candidate, std::memory_order_acq_rel)) {
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<ZkClient>> ZkClient::Connect(Options options) {
  absl::Status valid = ValidateOptions(options);
  if (!valid.ok()) return valid;
  if (!options.credentials) options.credentials = grpc::InsecureChannelCredentials();
  if (!options.sleep) options.sleep = [](absl::Duration d) { absl::SleepFor(d); };
  size_t n = options.ensemble.size();
  size_t first = options.seed ? static_cast<size_t>(*options.seed % n)
                              : absl::Uniform<size_t>(absl::BitGen(), 0, n);
  auto client = absl::WrapUnique(new ZkClient(std::move(options), first));
  absl::Status connected = client->Connected();
  if (!connected.ok()) return connected;
  if (client->options_.session) {
    absl::Status started = client->StartSession();
    if (!started.ok()) return started;
  }
  return client;
}

ZkClient::~ZkClient() {
  if (session_) (void)session_->Close(/*notify=*/false);
}

ZkClient::ZkClient(Options options, size_t first)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : clock::RealClock::Default()),
      router_(options_.ensemble, first) {
  absl::MutexLock lock(&mu_);
  SyncMembersLocked();
}

void ZkClient::SyncMembersLocked() {
  while (members_.size() < router_.size()) {
    auto member = std::make_unique<Member>();
    member->index = members_.size();
    member->address = router_.address(members_.size());
    member->channel = MakeChannel(member->address, options_.credentials);
    member->stub = v1::ZooKeeper::NewStub(member->channel);
    members_.push_back(std::move(member));
  }
}

absl::Status ZkClient::Connected() {
  const absl::Time give_up = clock_->Now() + options_.retry_budget;
  absl::Duration backoff = options_.initial_backoff;
  for (size_t tried = 1;; ++tried) {
    Member* member;
    size_t target;
    size_t n;
    {
      absl::MutexLock lock(&mu_);
      target = router_.ReadTarget();
      member = members_[target].get();
      n = router_.size();
    }
    if (WaitReady(member)) return absl::OkStatus();
    {
      absl::MutexLock lock(&mu_);
      router_.OnFailure(target);
    }
    if (tried % n != 0) continue;  // try every member once before backing off
    absl::Duration left = give_up - clock_->Now();
    if (left <= absl::ZeroDuration()) {
      return absl::UnavailableError(absl::StrCat(
          "CONNECTION_LOSS: none of the members ", absl::StrJoin(members(), ", "),
          " could be reached within ", absl::FormatDuration(options_.retry_budget)));
    }
    options_.sleep(std::min(backoff, left));
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

void ZkClient::LimitWaits(absl::Duration within) {
  waits_end_ns_.store(absl::ToUnixNanos(absl::Now() + within));
}

std::chrono::system_clock::time_point ZkClient::Bounded(
    std::chrono::system_clock::time_point deadline) const {
  const int64_t end = waits_end_ns_.load();
  if (end == INT64_MAX) return deadline;
  return std::min(deadline, absl::ToChronoTime(absl::FromUnixNanos(end)));
}

bool ZkClient::WaitReady(Member* member, absl::Duration at_most) const {
  auto deadline = Bounded(std::chrono::system_clock::now() +
                          absl::ToChronoMilliseconds(std::min(options_.connect_timeout, at_most)));
  grpc_connectivity_state state = member->channel->GetState(/*try_to_connect=*/true);
  while (state != GRPC_CHANNEL_READY) {
    // A failed connection stays failed until gRPC's reconnect backoff runs out: go elsewhere.
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) return false;
    if (!member->channel->WaitForStateChange(state, deadline)) return false;
    state = member->channel->GetState(/*try_to_connect=*/true);
  }
  return true;
}

void ZkClient::See(Member* member, const v1::ResponseHeader& header) {
  RaiseTo(&member->zxid, header.zxid());
  RaiseTo(&last_zxid_seen_, header.zxid());
}

absl::Status ZkClient::Invoke(CallKind kind, const char* op, const Rpc& rpc, Member** answered) {
  *answered = nullptr;
  const absl::Time give_up = clock_->Now() + options_.retry_budget;
  absl::Duration backoff = options_.initial_backoff;
  size_t followed = 0;  // redirects followed at once since the last backoff
  absl::Status last;
  std::string last_address;
  while (true) {
    size_t target;
    Member* member;
    {
      absl::MutexLock lock(&mu_);
      target = kind == CallKind::kRead ? router_.ReadTarget() : router_.WriteTarget();
      member = members_[target].get();
    }
    last_address = member->address;
    Verdict verdict;
    // A write is sent only on a connection that is up, so that a failure to connect is known
    // not to have applied it (retry.h).
    if (!WaitReady(member)) {
      last = absl::UnavailableError(absl::StrCat("CONNECTION_LOSS: member ", member->address,
                                                 " cannot be reached"));
      verdict = Verdict::kTryAnother;
    } else {
      grpc::ClientContext context;
      context.set_deadline(Bounded(std::chrono::system_clock::now() +
                                   absl::ToChronoMilliseconds(options_.call_timeout)));
      grpc::Status status = rpc(member->stub.get(), &context);
      if (status.ok()) {
        if (kind != CallKind::kRead) {
          absl::MutexLock lock(&mu_);
          router_.OnWriteSuccess(target);
        }
        *answered = member;
        return absl::OkStatus();
      }
      last = FromGrpcStatus(status);
      verdict = Classify(kind, last, member->address);
    }
    switch (verdict) {
      case Verdict::kDone:
        *answered = member;
        return last;
      case Verdict::kOutcomeUnknown: {
        absl::MutexLock lock(&mu_);
        router_.OnFailure(target);
        if (last.code() == absl::StatusCode::kDeadlineExceeded) return last;
        return absl::UnavailableError(absl::StrCat(
            "CONNECTION_LOSS: ", op, " was sent to ", member->address,
            " and may or may not have been applied (", last.message(),
            "); read to find out before retrying"));
      }
      case Verdict::kFollowLeader: {
        absl::MutexLock lock(&mu_);
        router_.OnRedirect(target, *LeaderHintOf(last));
        SyncMembersLocked();
        if (++followed <= router_.size()) continue;
        break;
      }
      case Verdict::kTryAnother: {
        absl::MutexLock lock(&mu_);
        std::optional<LeaderHint> hint = LeaderHintOf(last);
        if (hint && !hint->known) {
          router_.OnRedirect(target, *hint);
        } else {
          router_.OnFailure(target);
        }
        break;
      }
    }
    followed = 0;
    absl::Duration left = give_up - clock_->Now();
    if (waits_end_ns_.load() != INT64_MAX) {
      left = std::min(left, absl::FromUnixNanos(waits_end_ns_.load()) - absl::Now());
    }
    if (left <= absl::ZeroDuration()) {
      return absl::Status(
          absl::StatusCode::kUnavailable,
          absl::StrCat("CONNECTION_LOSS: ", op, " could not be served within the retry budget of ",
                       absl::FormatDuration(options_.retry_budget),
                       kind == CallKind::kWrite ? " and was not applied" : "",
                       "; last error from ", last_address, ": ", last.message()));
    }
    options_.sleep(std::min(backoff, left));
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

absl::Status ZkClient::Read(const char* op, bool linearizable, const ReadRpc& rpc,
                            const HeaderOf& header_of, ReadDone* done) {
  absl::Status usable = Usable();
  if (!usable.ok()) return usable;
  ReadDone local;
  if (done == nullptr) done = &local;
  if (session_) done->start = session_->BeginRead();
  const int64_t seen = last_zxid_seen();
  for (bool strict : {linearizable, true}) {
    Member* answered = nullptr;
    absl::Status status = Invoke(
        CallKind::kRead, op,
        [&](v1::ZooKeeper::Stub* stub, grpc::ClientContext* context) {
          return rpc(stub, context, strict);
        },
        &answered);
    if (status.ok()) {
      const v1::ResponseHeader& header = header_of();
      See(answered, header);
      if (strict || header.zxid() >= seen) {
        done->member = answered;
        if (session_) session_->Fence(answered->index, header.watch_sequence(), done->start);
        return status;
      }
    } else if (strict || answered == nullptr ||
               ErrorCodeOf(status) != v1::ERROR_CODE_NO_NODE ||
               answered->zxid.load(std::memory_order_acquire) >= seen) {
      return status;
    }
    // The member answered from a state that may be older than what this client has seen.
  }
  return absl::InternalError("unreachable");
}

ZkClient::Member* ZkClient::MemberAt(size_t i) const {
  absl::MutexLock lock(&mu_);
  return members_[i].get();
}

size_t ZkClient::SessionTarget() const {
  absl::MutexLock lock(&mu_);
  return router_.ReadTarget();
}

void ZkClient::MemberFailed(size_t i) {
  absl::MutexLock lock(&mu_);
  router_.OnFailure(i);
}

void ZkClient::MoveTo(size_t i) {
  absl::MutexLock lock(&mu_);
  router_.MoveTo(i);
}

std::vector<std::string> ZkClient::members() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (size_t i = 0; i < router_.size(); ++i) out.push_back(router_.address(i));
  return out;
}

std::optional<std::string> ZkClient::leader_address() const {
  absl::MutexLock lock(&mu_);
  if (!router_.leader()) return std::nullopt;
  return router_.address(*router_.leader());
}

std::string ZkClient::connected_address() const {
  absl::MutexLock lock(&mu_);
  return router_.address(router_.ReadTarget());
}

}  // namespace dcos::zk::client
