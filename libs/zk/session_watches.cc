// ZkSession: watches -- delivering fired watches on the event thread, the reply fence, adding
// watches, and re-checking them after the session moved to another stream.

#include <algorithm>
#include <chrono>
#include <memory>

#include "libs/zk/client.h"
#include "libs/zk/errors.h"
#include "libs/zk/session.h"

namespace dcos::zk::client {

void ZkSession::Deliver(std::vector<WatchRegistry::Fired> fired, size_t member,
                        uint64_t sequence) {
  if (fired.empty() && sequence == 0) return;
  auto batch = std::make_shared<std::vector<WatchRegistry::Fired>>(std::move(fired));
  events_.Push(
      [batch] {
        for (WatchRegistry::Fired& f : *batch) {
          if (f.watcher) f.watcher(f.event);
        }
      },
      member, sequence);
}

ZkSession::ReadStart ZkSession::BeginRead() const {
  absl::MutexLock lock(&mu_);
  return ReadStart{attached_, generation_.load()};
}

void ZkSession::Fence(size_t member, uint64_t sequence, const ReadStart& start) {
  if (sequence == 0 || start.member != member) return;
  auto moved = [this, &start] {
    return generation_.load() != start.generation || over_.load();
  };
  if (moved()) return;
  // Bounded: an event the member sent just before a stream broke can be lost, and a reply
  // must not wait for it forever. The watches it concerned are re-checked after re-attaching.
  absl::Time deadline = absl::Now() + client_->options_.call_timeout;
  if (events_.OnEventThread()) {
    // The caller is a callback: later events cannot run before it returns. Wait until they
    // were received (so the watches they fire are known), as ZooKeeper's client does.
    absl::MutexLock lock(&mu_);
    auto received = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return watches_.max_seen(member) >= sequence || moved() || stopping_;
    };
    mu_.AwaitWithDeadline(absl::Condition(&received), deadline);
    return;
  }
  (void)events_.AwaitDelivered(member, sequence, deadline, moved);
}

void ZkSession::AddWatch(WatchKind kind, const std::string& path, size_t member, int64_t zxid,
                         uint64_t sequence, const ReadStart& start, Watcher watcher) {
  absl::MutexLock lock(&mu_);
  if (over_.load()) {
    Deliver({WatchRegistry::Fired{std::move(watcher),
                                  {WatchEvent::Type::kSessionExpired, path, 0}}});
    return;
  }
  bool current = attached_ == member && start.member == member &&
                 generation_.load() == start.generation;
  Deliver(watches_.Add(kind, path, {member, zxid, sequence, current}, std::move(watcher)));
}

namespace {

// A read request of the session that leaves a watch.
template <typename Request>
Request WatchingRead(int64_t session_id, const std::string& path, bool linearizable) {
  Request request;
  request.set_session_id(session_id);
  request.set_path(path);
  request.set_watch(true);
  request.mutable_read_options()->set_linearizable(linearizable);
  return request;
}

// Reads (kind, path) again on `stub`, leaving a watch: the node's Stat (nullopt: no node) and
// the reply's header. Local unless the member answered from a state older than `since`.
absl::Status RecheckRead(v1::ZooKeeper::Stub* stub, int64_t session_id, WatchKind kind,
                         const std::string& path, int64_t since, absl::Duration timeout,
                         std::optional<v1::Stat>* stat, v1::ResponseHeader* header) {
  for (bool linearizable : {false, true}) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoMilliseconds(timeout));
    grpc::Status status;
    stat->reset();
    if (kind == WatchKind::kChild) {
      auto request = WatchingRead<v1::GetChildrenRequest>(session_id, path, linearizable);
      v1::GetChildrenResponse response;
      status = stub->GetChildren(&context, request, &response);
      if (status.ok()) {
        *stat = response.stat();
        *header = response.header();
      }
    } else {
      auto request = WatchingRead<v1::ExistsRequest>(session_id, path, linearizable);
      v1::ExistsResponse response;
      status = stub->Exists(&context, request, &response);
      if (status.ok()) {
        if (response.has_stat()) *stat = response.stat();
        *header = response.header();
      }
    }
    absl::Status result = FromGrpcStatus(status);
    if (ErrorCodeOf(result) == v1::ERROR_CODE_NO_NODE) {
      // No node, no watch left: a data or child watch fires NodeDeleted anyway. The member's
      // state is unknown here, so ask the leader's view before concluding.
      if (linearizable) {
        header->set_zxid(since);
        header->set_watch_sequence(0);
        return absl::OkStatus();
      }
      continue;
    }
    if (!result.ok()) return result;
    if (header->zxid() >= since) return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace

bool ZkSession::RecheckWatches() {
  std::vector<WatchRegistry::Stale> stale;
  ReadStart start;
  {
    absl::MutexLock lock(&mu_);
    if (!attached_ || !watches_.HasStale()) return true;
    stale = watches_.StaleWatches();
    start = ReadStart{attached_, generation_.load()};
  }
  ZkClient::Member* m = client_->MemberAt(*start.member);
  for (const WatchRegistry::Stale& s : stale) {
    std::optional<v1::Stat> stat;
    v1::ResponseHeader header;
    absl::Status read =
        RecheckRead(m->stub.get(), id_, s.kind, s.path, s.zxid,
                    std::min(client_->options_.call_timeout, LeftToLive()), &stat, &header);
    if (!read.ok()) {
      if (ErrorCodeOf(read) == v1::ERROR_CODE_SESSION_EXPIRED) ExpiredByAnswer(read);
      return false;
    }
    client_->See(m, header);
    absl::MutexLock lock(&mu_);
    bool current = attached_ == start.member && generation_.load() == start.generation;
    WatchRegistry::Read r{*start.member, header.zxid(), header.watch_sequence(), current};
    Deliver(watches_.Rechecked(s.kind, s.path, r, stat));
    if (!current) return false;
  }
  return true;
}

}  // namespace dcos::zk::client
