#include "services/mesos-dns/bench/udp_client.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "absl/strings/str_cat.h"
#include "libs/dns/parser.h"
#include "libs/dns/writer.h"

namespace dcos::dns::bench {

absl::StatusOr<std::optional<std::vector<uint8_t>>> UdpExchange(
    const std::string& ip, int port, const std::vector<uint8_t>& packet, absl::Duration timeout) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("\"", ip, "\" is not an IPv4 address"));
  }
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  std::optional<std::vector<uint8_t>> out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      send(fd, packet.data(), packet.size(), 0) != static_cast<ssize_t>(packet.size())) {
    const int error = errno;
    close(fd);
    return absl::InternalError(absl::StrCat("send: ", std::strerror(error)));
  }
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) == 1) {
    std::vector<uint8_t> buf(65536);
    const ssize_t r = recv(fd, buf.data(), buf.size(), 0);
    if (r > 0) {
      buf.resize(static_cast<size_t>(r));
      out = std::move(buf);
    }
  }
  close(fd);
  return out;
}

absl::StatusOr<std::optional<Message>> UdpQuery(const std::string& ip, int port,
                                                const std::string& name, RRType type,
                                                absl::Duration timeout) {
  static thread_local std::mt19937 ids(std::random_device{}());
  Message query;
  query.header.id = static_cast<uint16_t>(ids());
  query.header.rd = true;
  absl::StatusOr<Name> n = Name::FromText(name);
  if (!n.ok()) return n.status();
  query.questions.push_back(Question{*n, type, RRClass::kIN});
  query.edns = Edns{};
  absl::StatusOr<std::vector<uint8_t>> packet = Encode(query);
  if (!packet.ok()) return packet.status();
  absl::StatusOr<std::optional<std::vector<uint8_t>>> bytes =
      UdpExchange(ip, port, *packet, timeout);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return std::optional<Message>();
  absl::StatusOr<Message> m = ParseMessage(**bytes);
  if (!m.ok()) return m.status();
  if (m->header.id != query.header.id) {
    return absl::InternalError(absl::StrCat("answer ID ", m->header.id, " for query ID ",
                                            query.header.id));
  }
  return std::optional<Message>(*std::move(m));
}

}  // namespace dcos::dns::bench
