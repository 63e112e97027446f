#include "services/agent/fetcher/http_get.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace dcos::agent::fetcher {
namespace {

constexpr size_t kMaxHeaderBytes = 64 << 10;
constexpr int kMaxRedirects = 5;

int PollMs(absl::Duration d) { return static_cast<int>(absl::ToInt64Milliseconds(d)); }

// A connected socket, closed on destruction.
class Connection {
 public:
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }

  absl::Status Connect(const ParsedUri& url, absl::Duration timeout) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(url.port);
    int rc = getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) {
      return absl::UnavailableError(
          absl::StrCat("no address for ", url.host, ": ", gai_strerror(rc)));
    }
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found, freeaddrinfo);
    std::string last = "no address";
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                      a->ai_protocol);
      if (fd < 0) {
        last = std::strerror(errno);
        continue;
      }
      int err = 0;
      if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
        err = errno;
        if (err == EINPROGRESS) {
          pollfd p{fd, POLLOUT, 0};
          int ready = poll(&p, 1, PollMs(timeout));
          socklen_t len = sizeof(err);
          if (ready == 0) {
            err = ETIMEDOUT;
          } else if (ready < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
            err = errno;
          }
        }
      }
      if (err == 0) {
        fd_ = fd;
        return absl::OkStatus();
      }
      last = std::strerror(err);
      close(fd);
    }
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", url.host, ":", url.port, ": ", last));
  }

  absl::Status WriteAll(absl::string_view data, absl::Duration timeout) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return absl::UnavailableError(absl::StrCat("sending the request: ", std::strerror(errno)));
      }
      pollfd p{fd_, POLLOUT, 0};
      if (poll(&p, 1, PollMs(timeout)) == 0) {
        return absl::DeadlineExceededError(
            absl::StrCat("no progress sending the request for ", absl::FormatDuration(timeout)));
      }
    }
    return absl::OkStatus();
  }

  // Appends what arrives to *buffer; 0 at the end of the stream.
  absl::StatusOr<size_t> Read(std::string* buffer, absl::Duration timeout) {
    char chunk[64 << 10];
    for (;;) {
      ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n >= 0) {
        buffer->append(chunk, static_cast<size_t>(n));
        return static_cast<size_t>(n);
      }
      if (errno != EAGAIN && errno != EINTR) {
        return absl::UnavailableError(absl::StrCat("reading the response: ", std::strerror(errno)));
      }
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, PollMs(timeout)) == 0) {
        return absl::DeadlineExceededError(
            absl::StrCat("no data for ", absl::FormatDuration(timeout)));
      }
    }
  }

 private:
  int fd_ = -1;
};

struct Head {
  int status = 0;
  std::string reason;
  std::optional<uint64_t> content_length;
  bool chunked = false;
  std::string location;
};

absl::StatusOr<Head> ParseHead(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  Head h;
  std::vector<absl::string_view> status = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  if (status.size() < 2 || !absl::StartsWith(status[0], "HTTP/1.") ||
      !absl::SimpleAtoi(status[1], &h.status) || h.status < 100 || h.status > 999) {
    return absl::DataLossError(absl::StrCat("malformed status line '", lines[0], "'"));
  }
  if (status.size() == 3) h.reason = std::string(status[2]);
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) continue;
    std::string name = absl::AsciiStrToLower(lines[i].substr(0, colon));
    absl::string_view value = absl::StripAsciiWhitespace(lines[i].substr(colon + 1));
    if (name == "content-length") {
      uint64_t n = 0;
      if (!absl::SimpleAtoi(value, &n)) {
        return absl::DataLossError(absl::StrCat("bad Content-Length '", value, "'"));
      }
      h.content_length = n;
    } else if (name == "transfer-encoding") {
      h.chunked = absl::StrContains(absl::AsciiStrToLower(value), "chunked");
    } else if (name == "location") {
      h.location = std::string(value);
    }
  }
  return h;
}

// Writes body bytes to the file, counting them against the limit.
class BodySink {
 public:
  BodySink(int fd, uint64_t max) : fd_(fd), max_(max) {}
  absl::Status Put(absl::string_view data) {
    if (written_ + data.size() > max_) {
      return absl::ResourceExhaustedError(absl::StrCat("larger than ", max_, " bytes"));
    }
    while (!data.empty()) {
      ssize_t n = write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return absl::InternalError(absl::StrCat("writing: ", std::strerror(errno)));
      data.remove_prefix(static_cast<size_t>(n));
      written_ += static_cast<size_t>(n);
    }
    return absl::OkStatus();
  }
  uint64_t written() const { return written_; }

 private:
  int fd_;
  uint64_t max_;
  uint64_t written_ = 0;
};

// Reads more into *buffer; an error at the end of the stream.
absl::Status More(Connection& c, std::string* buffer, absl::Duration timeout) {
  absl::StatusOr<size_t> n = c.Read(buffer, timeout);
  if (!n.ok()) return n.status();
  if (*n == 0) return absl::UnavailableError("connection closed before the response ended");
  return absl::OkStatus();
}

absl::Status ReadChunked(Connection& c, std::string& buffer, const HttpLimits& limits,
                         BodySink& sink) {
  for (;;) {
    size_t eol;
    while ((eol = buffer.find("\r\n")) == std::string::npos) {
      if (buffer.size() > 1024) return absl::DataLossError("malformed chunk size line");
      absl::Status more = More(c, &buffer, limits.stall_timeout);
      if (!more.ok()) return more;
    }
    absl::string_view size_text = absl::string_view(buffer).substr(0, eol);
    size_text = size_text.substr(0, size_text.find(';'));
    uint64_t size = 0;
    if (!absl::SimpleHexAtoi(absl::StripAsciiWhitespace(size_text), &size)) {
      return absl::DataLossError(absl::StrCat("malformed chunk size '", size_text, "'"));
    }
    buffer.erase(0, eol + 2);
    if (size == 0) return absl::OkStatus();  // trailers are not read: the connection closes
    if (sink.written() + size > limits.max_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat("larger than ", limits.max_bytes, " bytes"));
    }
    while (size > 0) {
      if (buffer.empty()) {
        absl::Status more = More(c, &buffer, limits.stall_timeout);
        if (!more.ok()) return more;
      }
      size_t take = static_cast<size_t>(std::min<uint64_t>(size, buffer.size()));
      absl::Status put = sink.Put(absl::string_view(buffer).substr(0, take));
      if (!put.ok()) return put;
      buffer.erase(0, take);
      size -= take;
    }
    while (buffer.size() < 2) {
      absl::Status more = More(c, &buffer, limits.stall_timeout);
      if (!more.ok()) return more;
    }
    if (buffer.compare(0, 2, "\r\n") != 0) return absl::DataLossError("chunk not ended by CRLF");
    buffer.erase(0, 2);
  }
}

// One request; *redirect set (and OK returned) for a redirect to follow.
absl::Status GetOnce(const ParsedUri& url, const HttpLimits& limits, int out_fd,
                     uint64_t* written, std::string* redirect) {
  Connection c;
  absl::Status connected = c.Connect(url, limits.stall_timeout);
  if (!connected.ok()) return connected;
  const bool v6 = absl::StrContains(url.host, ':');
  std::string host = v6 ? absl::StrCat("[", url.host, "]") : url.host;
  if (url.port != 80) absl::StrAppend(&host, ":", url.port);
  absl::Status sent = c.WriteAll(absl::StrCat("GET ", url.target, " HTTP/1.1\r\nHost: ", host,
                                              "\r\nUser-Agent: dcos-fetcher\r\nAccept: */*\r\n"
                                              "Connection: close\r\n\r\n"),
                                 limits.stall_timeout);
  if (!sent.ok()) return sent;
  std::string buffer;
  size_t end;
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (buffer.size() > kMaxHeaderBytes) return absl::DataLossError("response headers too large");
    absl::Status more = More(c, &buffer, limits.stall_timeout);
    if (!more.ok()) return more;
  }
  absl::StatusOr<Head> head = ParseHead(absl::string_view(buffer).substr(0, end));
  if (!head.ok()) return head.status();
  buffer.erase(0, end + 4);
  if (head->status >= 300 && head->status < 400 && head->status != 304 &&
      !head->location.empty()) {
    *redirect = head->location;
    return absl::OkStatus();
  }
  if (head->status < 200 || head->status > 299) {
    std::string what = absl::StrCat("HTTP ", head->status,
                                    head->reason.empty() ? "" : " ", head->reason);
    return head->status == 404 ? absl::NotFoundError(what) : absl::FailedPreconditionError(what);
  }
  BodySink sink(out_fd, limits.max_bytes);
  absl::Status body;
  if (head->chunked) {
    body = ReadChunked(c, buffer, limits, sink);
  } else if (head->content_length.has_value()) {
    const uint64_t length = *head->content_length;
    if (length > limits.max_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat("larger than ", limits.max_bytes,
                                                       " bytes (Content-Length ", length, ")"));
    }
    while (body.ok() && sink.written() < length) {
      if (buffer.empty()) body = More(c, &buffer, limits.stall_timeout);
      if (!body.ok()) break;
      size_t take = static_cast<size_t>(std::min<uint64_t>(length - sink.written(), buffer.size()));
      body = sink.Put(absl::string_view(buffer).substr(0, take));
      buffer.erase(0, take);
    }
  } else {
    for (;;) {
      body = sink.Put(buffer);
      buffer.clear();
      if (!body.ok()) break;
      absl::StatusOr<size_t> n = c.Read(&buffer, limits.stall_timeout);
      if (!n.ok()) {
        body = n.status();
        break;
      }
      if (*n == 0) break;
    }
  }
  *written = sink.written();
  return body;
}

}  // namespace

absl::Status HttpGet(const ParsedUri& url, const HttpLimits& limits, int out_fd,
                     uint64_t* written) {
  ParsedUri next = url;
  for (int hop = 0; hop <= kMaxRedirects; ++hop) {
    std::string redirect;
    *written = 0;
    if (ftruncate(out_fd, 0) != 0 || lseek(out_fd, 0, SEEK_SET) != 0) {
      return absl::InternalError(absl::StrCat("cannot reset the output: ", std::strerror(errno)));
    }
    absl::Status got = GetOnce(next, limits, out_fd, written, &redirect);
    if (!got.ok() || redirect.empty()) return got;
    if (absl::StartsWith(redirect, "/")) {
      next.target = redirect;
      continue;
    }
    absl::StatusOr<ParsedUri> to = ParseUri(redirect);
    if (!to.ok()) return absl::DataLossError(absl::StrCat("bad redirect: ", to.status().message()));
    if (to->scheme != ParsedUri::Scheme::kHttp) {
      return absl::UnimplementedError(
          absl::StrCat("redirected to '", redirect, "': only http:// redirects are followed"));
    }
    next = *to;
  }
  return absl::FailedPreconditionError(absl::StrCat("more than ", kMaxRedirects, " redirects"));
}

}  // namespace dcos::agent::fetcher
