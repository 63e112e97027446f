#include "services/mesos-dns/server/tcp_listener.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/types/span.h"
#include "services/mesos-dns/core/relay.h"

namespace dcos::dns::server {
namespace {

constexpr uint64_t kListenId = 1;
constexpr uint64_t kWakeId = 2;
// A client that does not read its answers: past this much queued output it is dropped.
constexpr size_t kMaxQueuedOutput = 1 << 20;
constexpr size_t kReadChunk = 16 * 1024;

}  // namespace

absl::StatusOr<std::unique_ptr<TcpListener>> TcpListener::Start(
    const SocketAddress& address, const TcpOptions& tcp, const SnapshotHolder* records,
    Forwarder* forwarder, const core::ResponderOptions& options, ServerStats* stats,
    const clock::Clock* clock) {
  std::unique_ptr<TcpListener> l(
      new TcpListener(tcp, records, forwarder, options, stats, clock));
  absl::StatusOr<int> fd = BoundSocket(address, SOCK_STREAM, /*reuse_port=*/false,
                                       /*non_blocking=*/true);
  if (!fd.ok()) return fd.status();
  l->listen_fd_ = *fd;
  l->port_ = LocalPort(*fd);
  if (listen(*fd, 512) != 0) return ErrnoStatus("listen");
  l->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  l->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (l->epoll_fd_ < 0 || l->wake_fd_ < 0) return ErrnoStatus("epoll/eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenId;
  epoll_ctl(l->epoll_fd_, EPOLL_CTL_ADD, l->listen_fd_, &ev);
  ev.data.u64 = kWakeId;
  epoll_ctl(l->epoll_fd_, EPOLL_CTL_ADD, l->wake_fd_, &ev);
  l->responder_ = std::make_unique<core::Responder>(options);
  l->reader_ = std::make_unique<SnapshotReader>(records);
  l->last_sweep_ = clock->Now();
  l->thread_ = std::thread([listener = l.get()] { listener->Run(); });
  return l;
}

TcpListener::~TcpListener() {
  Stop();
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
  if (listen_fd_ >= 0) close(listen_fd_);
}

void TcpListener::Stop() {
  if (stopping_.exchange(true)) return;
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof(one));
  }
  if (thread_.joinable()) thread_.join();
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(+[](int* in_flight) { return *in_flight == 0; }, &in_flight_));
  }
  for (auto& [id, c] : connections_) close(c.fd);
  connections_.clear();
  stats_->tcp_connections.store(0);
}

void TcpListener::Run() {
  epoll_event events[64];
  while (!stopping_.load()) {
    const int n = epoll_wait(epoll_fd_, events, 64, 250);
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kListenId) {
        Accept();
        continue;
      }
      if (id == kWakeId) {
        uint64_t count;
        (void)!read(wake_fd_, &count, sizeof(count));
        DeliverForwarded();
        continue;
      }
      auto it = connections_.find(id);
      if (it == connections_.end()) continue;
      Connection& c = it->second;
      if (events[i].events & (EPOLLERR | EPOLLHUP)) {
        Close(id);
        continue;
      }
      if (events[i].events & EPOLLIN) {
        Read(id, c);
        if (!connections_.contains(id)) continue;
      }
      if (events[i].events & EPOLLOUT) {
        if (!Flush(c)) {
          Close(id);
          continue;
        }
        UpdateInterest(id, c);
      }
    }
    SweepIdle();
  }
}

void TcpListener::Accept() {
  while (true) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: no more; other errors: try again on the next event
    if (static_cast<int>(connections_.size()) >= tcp_.max_connections) {
      stats_->tcp_rejected.fetch_add(1, std::memory_order_relaxed);
      close(fd);
      continue;
    }
    const uint64_t id = next_id_++;
    Connection& c = connections_[id];
    c.fd = fd;
    c.last_active = clock_->Now();
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = id;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    stats_->tcp_connections.fetch_add(1, std::memory_order_relaxed);
  }
}

void TcpListener::Read(uint64_t id, Connection& c) {
  while (true) {
    const size_t old = c.in.size();
    c.in.resize(old + kReadChunk);
    const ssize_t r = read(c.fd, c.in.data() + old, kReadChunk);
    c.in.resize(old + (r > 0 ? static_cast<size_t>(r) : 0));
    if (r > 0) {
      c.last_active = clock_->Now();
      Answer(id, c);
      if (!connections_.contains(id)) return;
      continue;
    }
    if (r == 0) {
      c.peer_closed = true;
    } else if (errno == EINTR) {
      continue;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
      Close(id);
      return;
    }
    break;
  }
  if (!Flush(c) || (c.peer_closed && c.out.size() == c.out_offset)) {
    Close(id);
    return;
  }
  UpdateInterest(id, c);
}

void TcpListener::Answer(uint64_t id, Connection& c) {
  size_t consumed = 0;
  std::vector<uint8_t> answer;
  LocalStats local;
  uint64_t replies = 0;
  const absl::Time read_at = clock_->Now();
  bool zero_length = false;
  while (c.in.size() - consumed >= 2) {
    const size_t length = (size_t{c.in[consumed]} << 8) | c.in[consumed + 1];
    if (length == 0) {
      zero_length = true;
      break;
    }
    if (c.in.size() - consumed - 2 < length) break;
    absl::Span<const uint8_t> packet(c.in.data() + consumed + 2, length);
    consumed += 2 + length;
    ++local.tcp_queries;
    core::Outcome outcome = responder_->Answer(reader_->Get(), packet, core::Transport::kTcp,
                                               counter_++, &answer);
    local.Count(outcome);
    if (outcome.disposition == core::Disposition::kReply) {
      Queue(c, answer);
      ++replies;
    } else if (outcome.disposition == core::Disposition::kForward && forwarder_ != nullptr) {
      std::vector<uint8_t> query(packet.begin(), packet.end());
      {
        absl::MutexLock lock(&mu_);
        ++in_flight_;
      }
      forwarder_->Forward(query, [this, id, query](absl::StatusOr<std::vector<uint8_t>> upstream) {
        std::vector<uint8_t> out;
        stats_->CountRcode(core::RelayUpstreamAnswer(query, upstream, core::Transport::kTcp,
                                                     options_, &out));
        absl::MutexLock lock(&mu_);
        if (!out.empty()) forwarded_.emplace_back(id, std::move(out));
        const uint64_t one = 1;
        (void)!write(wake_fd_, &one, sizeof(one));
        --in_flight_;
      });
    }
  }
  stats_->ObserveLatency(clock_->Now() - read_at, replies);
  local.FlushTo(*stats_);
  if (zero_length) {
    Close(id);
    return;
  }
  c.in.erase(c.in.begin(), c.in.begin() + static_cast<ptrdiff_t>(consumed));
  if (c.out.size() - c.out_offset > kMaxQueuedOutput) Close(id);
}

void TcpListener::Queue(Connection& c, const std::vector<uint8_t>& message) {
  c.out.push_back(static_cast<uint8_t>(message.size() >> 8));
  c.out.push_back(static_cast<uint8_t>(message.size()));
  c.out.insert(c.out.end(), message.begin(), message.end());
}

bool TcpListener::Flush(Connection& c) {
  while (c.out_offset < c.out.size()) {
    const ssize_t w = send(c.fd, c.out.data() + c.out_offset, c.out.size() - c.out_offset,
                           MSG_NOSIGNAL);
    if (w > 0) {
      c.out_offset += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return false;
  }
  if (c.out_offset == c.out.size()) {
    c.out.clear();
    c.out_offset = 0;
  }
  return true;
}

void TcpListener::UpdateInterest(uint64_t id, Connection& c) {
  const bool want_write = c.out_offset < c.out.size();
  if (want_write == c.want_write) return;
  c.want_write = want_write;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | (want_write ? uint32_t{EPOLLOUT} : 0u);
  ev.data.u64 = id;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
}

void TcpListener::Close(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.fd, nullptr);
  close(it->second.fd);
  connections_.erase(it);
  stats_->tcp_connections.fetch_sub(1, std::memory_order_relaxed);
}

void TcpListener::DeliverForwarded() {
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> ready;
  {
    absl::MutexLock lock(&mu_);
    ready.swap(forwarded_);
  }
  for (auto& [id, answer] : ready) {
    auto it = connections_.find(id);
    if (it == connections_.end()) continue;  // the client went away
    Queue(it->second, answer);
    if (!Flush(it->second)) {
      Close(id);
      continue;
    }
    UpdateInterest(id, it->second);
  }
}

void TcpListener::SweepIdle() {
  const absl::Time now = clock_->Now();
  if (now - last_sweep_ < absl::Milliseconds(250)) return;
  last_sweep_ = now;
  std::vector<uint64_t> idle;
  for (const auto& [id, c] : connections_) {
    if (now - c.last_active > tcp_.idle_timeout) idle.push_back(id);
  }
  for (uint64_t id : idle) Close(id);
}

}  // namespace dcos::dns::server
