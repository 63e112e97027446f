#include "services/mesos-dns/server/ares_forwarder.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/mesos-dns/core/config.h"

namespace dcos::dns::server {
namespace {

// "ip" -> "ip:53", "[v6]:p" and "ip:p" kept, a bare IPv6 literal bracketed: the form
// ares_set_servers_ports_csv takes.
absl::StatusOr<std::string> ResolverEntry(const std::string& text) {
  absl::StatusOr<std::pair<RData, uint16_t>> hp = core::ParseHostPort(text);
  if (!hp.ok()) return hp.status();
  const uint16_t port = hp->second == 0 ? 53 : hp->second;
  if (std::holds_alternative<AaaaData>(hp->first)) {
    std::string ip = text;
    if (!ip.empty() && ip[0] == '[') ip = ip.substr(1, ip.find(']') - 1);
    return absl::StrCat("[", ip, "]:", port);
  }
  return absl::StrCat(text.substr(0, text.find(':')), ":", port);
}

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

}  // namespace

absl::StatusOr<std::unique_ptr<AresForwarder>> AresForwarder::Create(
    const AresForwarderOptions& options) {
  if (options.resolvers.empty()) {
    return absl::InvalidArgumentError("resolvers: at least one is needed");
  }
  std::vector<std::string> entries;
  for (size_t i = 0; i < options.resolvers.size(); ++i) {
    absl::StatusOr<std::string> e = ResolverEntry(options.resolvers[i]);
    if (!e.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("resolvers[", i, "]: ", e.status().message()));
    }
    entries.push_back(*e);
  }
  InitLibraryOnce();
  std::unique_ptr<AresForwarder> f(new AresForwarder(options));
  ares_options o{};
  o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
  o.timeout = static_cast<int>(absl::ToInt64Milliseconds(options.timeout_per_resolver));
  o.tries = 1;  // one round over the resolvers, in order
  const int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  if (int rc = ares_init_options(&f->channel_, &o, mask); rc != ARES_SUCCESS) {
    return absl::InternalError(absl::StrCat("ares_init_options: ", ares_strerror(rc)));
  }
  const std::string csv = absl::StrJoin(entries, ",");
  if (int rc = ares_set_servers_ports_csv(f->channel_, csv.c_str()); rc != ARES_SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat("resolvers \"", csv, "\": ", ares_strerror(rc)));
  }
  f->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (f->wake_fd_ < 0) return absl::InternalError("eventfd failed");
  f->thread_ = std::thread([forwarder = f.get()] { forwarder->Run(); });
  return f;
}

AresForwarder::~AresForwarder() {
  stopping_.store(true);
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof(one));
  }
  if (thread_.joinable()) thread_.join();
  // Nothing runs the channel any more: fail what is left.
  if (channel_ != nullptr) ares_destroy(channel_);  // pending callbacks get ARES_EDESTRUCTION
  std::deque<Request> left;
  {
    absl::MutexLock lock(&mu_);
    left.swap(queued_);
  }
  for (Request& r : left) r.done(absl::CancelledError("forwarder stopped"));
  if (wake_fd_ >= 0) close(wake_fd_);
}

void AresForwarder::Forward(std::vector<uint8_t> query, Done done) {
  if (stopping_.load()) {
    done(absl::CancelledError("forwarder stopped"));
    return;
  }
  if (pending_.fetch_add(1) >= options_.max_pending) {
    pending_.fetch_sub(1);
    done(absl::UnavailableError("too many forwarded queries pending"));
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    queued_.push_back(Request{std::move(query), std::move(done)});
  }
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

void AresForwarder::OnAnswer(void* arg, int status, int timeouts, unsigned char* answer,
                             int length) {
  std::unique_ptr<Request> request(static_cast<Request*>(arg));
  if (status == ARES_SUCCESS && answer != nullptr && length > 0) {
    request->done(std::vector<uint8_t>(answer, answer + length));
  } else if (status == ARES_ETIMEOUT) {
    request->done(absl::DeadlineExceededError(
        absl::StrCat("every upstream resolver timed out (", timeouts, " timeouts)")));
  } else if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
    request->done(absl::CancelledError("forwarder stopped"));
  } else {
    request->done(absl::UnavailableError(absl::StrCat("upstream: ", ares_strerror(status))));
  }
}

void AresForwarder::StartQueued() {
  std::deque<Request> ready;
  {
    absl::MutexLock lock(&mu_);
    ready.swap(queued_);
  }
  for (Request& r : ready) {
    auto* request = new Request(std::move(r));
    // Counted until its callback: pending_ is decremented there via the wrapper below.
    Done done = std::move(request->done);
    request->done = [this, done = std::move(done)](absl::StatusOr<std::vector<uint8_t>> a) {
      pending_.fetch_sub(1);
      done(std::move(a));
    };
    ares_send(channel_, request->query.data(), static_cast<int>(request->query.size()), OnAnswer,
              request);
  }
}

void AresForwarder::Run() {
  while (!stopping_.load()) {
    StartQueued();
    ares_socket_t sockets[ARES_GETSOCK_MAXNUM];
    const int bits = ares_getsock(channel_, sockets, ARES_GETSOCK_MAXNUM);
    pollfd fds[ARES_GETSOCK_MAXNUM + 1];
    int n = 0;
    fds[n++] = pollfd{wake_fd_, POLLIN, 0};
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short events = 0;
      if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
      if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
      if (events != 0) fds[n++] = pollfd{sockets[i], events, 0};
    }
    timeval max{0, 200 * 1000};
    timeval tv{};
    const timeval* t = ares_timeout(channel_, &max, &tv);
    const int timeout_ms = static_cast<int>(t->tv_sec * 1000 + t->tv_usec / 1000);
    const int ready = poll(fds, static_cast<nfds_t>(n), timeout_ms);
    if (ready < 0) continue;
    if (fds[0].revents & POLLIN) {
      uint64_t count;
      (void)!read(wake_fd_, &count, sizeof(count));
    }
    bool any = false;
    for (int i = 1; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      any = true;
      const ares_socket_t r = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd
                                                                              : ARES_SOCKET_BAD;
      const ares_socket_t w = (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
      ares_process_fd(channel_, r, w);
    }
    // Timeouts are processed by a call with no sockets.
    if (!any) ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  }
}

}  // namespace dcos::dns::server
