#include "services/mesos-dns/server/udp_listener.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/types/span.h"
#include "services/mesos-dns/core/relay.h"

namespace dcos::dns::server {
namespace {

// Datagrams per recvmmsg / sendmmsg.
constexpr int kBatch = 32;
// Largest query read whole; longer ones arrive cut (MSG_TRUNC) and get FORMERR.
constexpr size_t kMaxQuery = 4096;

}  // namespace

absl::StatusOr<std::unique_ptr<UdpListener>> UdpListener::Start(
    const SocketAddress& address, int threads, const SnapshotHolder* records,
    Forwarder* forwarder, const core::ResponderOptions& options, ServerStats* stats,
    const clock::Clock* clock) {
  std::unique_ptr<UdpListener> l(new UdpListener(records, forwarder, options, stats, clock));
  // Our sockets share the port through SO_REUSEPORT: first make sure nobody else holds it.
  absl::StatusOr<uint16_t> free_port = ClaimFreePort(address, SOCK_DGRAM);
  if (!free_port.ok()) return free_port.status();
  SocketAddress bind_to = address.WithPort(*free_port);
  for (int i = 0; i < std::max(threads, 1); ++i) {
    absl::StatusOr<int> fd = BoundSocket(bind_to, SOCK_DGRAM, /*reuse_port=*/true,
                                         /*non_blocking=*/false);
    if (!fd.ok()) {
      l->Stop();
      return fd.status();
    }
    l->fds_.push_back(*fd);
    if (i == 0) l->port_ = LocalPort(*fd);
    // Wake up now and then to notice Stop().
    timeval timeout{0, 100 * 1000};
    setsockopt(*fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  for (int fd : l->fds_) l->threads_.emplace_back([listener = l.get(), fd] { listener->Run(fd); });
  return l;
}

UdpListener::~UdpListener() { Stop(); }

void UdpListener::Stop() {
  stopping_.store(true);
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  absl::MutexLock lock(&mu_);
  if (stopped_) return;
  stopped_ = true;
  // Forwarded queries still in flight reply on these sockets: let them finish first.
  mu_.Await(absl::Condition(
      +[](int* in_flight) { return *in_flight == 0; }, &in_flight_));
  for (int fd : fds_) close(fd);
}

void UdpListener::Forward(int fd, const sockaddr_storage& from, socklen_t from_length,
                          std::vector<uint8_t> query) {
  {
    absl::MutexLock lock(&mu_);
    ++in_flight_;
  }
  std::vector<uint8_t> copy = query;
  forwarder_->Forward(std::move(query), [this, fd, from, from_length, query = std::move(copy)](
                                            absl::StatusOr<std::vector<uint8_t>> upstream) {
    std::vector<uint8_t> out;
    stats_->CountRcode(
        core::RelayUpstreamAnswer(query, upstream, core::Transport::kUdp, options_, &out));
    if (!out.empty()) {
      sendto(fd, out.data(), out.size(), MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&from),
             from_length);
    }
    absl::MutexLock lock(&mu_);
    --in_flight_;
  });
}

void UdpListener::Run(int fd) {
  struct Slot {
    sockaddr_storage from;
    uint8_t in[kMaxQuery];
    std::vector<uint8_t> out;
  };
  std::vector<Slot> slots(kBatch);
  mmsghdr in_msgs[kBatch];
  iovec in_iov[kBatch];
  mmsghdr out_msgs[kBatch];
  iovec out_iov[kBatch];
  core::Responder responder(options_);
  SnapshotReader reader(records_);
  LocalStats local;
  uint32_t counter = static_cast<uint32_t>(fd) * 7919u;

  while (!stopping_.load(std::memory_order_relaxed)) {
    for (int i = 0; i < kBatch; ++i) {
      in_iov[i] = iovec{slots[i].in, kMaxQuery};
      std::memset(&in_msgs[i], 0, sizeof(mmsghdr));
      in_msgs[i].msg_hdr.msg_name = &slots[i].from;
      in_msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
      in_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = recvmmsg(fd, in_msgs, kBatch, MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;  // timeout (EAGAIN), EINTR, or a transient error
    const absl::Time read_at = clock_->Now();
    const core::RecordSet& records = reader.Get();
    int replies = 0;
    for (int i = 0; i < n; ++i) {
      ++local.udp_queries;
      absl::Span<const uint8_t> packet(slots[i].in, in_msgs[i].msg_len);
      core::Outcome outcome =
          responder.Answer(records, packet, core::Transport::kUdp, counter++, &slots[i].out);
      local.Count(outcome);
      if (outcome.disposition == core::Disposition::kReply) {
        out_iov[replies] = iovec{slots[i].out.data(), slots[i].out.size()};
        std::memset(&out_msgs[replies], 0, sizeof(mmsghdr));
        out_msgs[replies].msg_hdr.msg_name = &slots[i].from;
        out_msgs[replies].msg_hdr.msg_namelen = in_msgs[i].msg_hdr.msg_namelen;
        out_msgs[replies].msg_hdr.msg_iov = &out_iov[replies];
        out_msgs[replies].msg_hdr.msg_iovlen = 1;
        ++replies;
      } else if (outcome.disposition == core::Disposition::kForward && forwarder_ != nullptr) {
        Forward(fd, slots[i].from, in_msgs[i].msg_hdr.msg_namelen,
                std::vector<uint8_t>(packet.begin(), packet.end()));
      }
    }
    local.FlushTo(*stats_);  // before the answers leave: a client that got one sees it counted
    for (int sent = 0; sent < replies;) {
      const int r = sendmmsg(fd, out_msgs + sent, replies - sent, 0);
      if (r <= 0) {
        if (r < 0 && errno == EINTR) continue;
        break;  // a full socket buffer: UDP answers may be lost, clients retry
      }
      sent += r;
    }
    stats_->ObserveLatency(clock_->Now() - read_at, static_cast<uint64_t>(replies));
  }
}

}  // namespace dcos::dns::server
