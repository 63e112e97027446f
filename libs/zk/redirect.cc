#include "libs/zk/redirect.h"

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/zk/errors.h"
#include "protos/common/v1/errors.pb.h"

namespace dcos::zk::client {
namespace {

constexpr absl::string_view kNotLeader = "not the leader";
constexpr absl::string_view kLeaderIs = "leader is member ";
constexpr absl::string_view kAt = " at ";

}  // namespace

bool IsHostPort(absl::string_view address) {
  size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) return false;
  absl::string_view host = address.substr(0, colon);
  if (host.front() == '[' && host.back() != ']') return false;
  if (host.front() != '[' && absl::StrContains(host, ':')) return false;
  for (char c : host) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) || absl::ascii_iscntrl(c)) {
      return false;
    }
  }
  uint32_t port = 0;
  absl::string_view port_text = address.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5) return false;
  for (char c : port_text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(port_text, &port) && port >= 1 && port <= 65535;
}

std::optional<LeaderHint> ParseLeaderRedirect(absl::string_view message) {
  if (!absl::StrContains(message, kNotLeader)) return std::nullopt;
  LeaderHint unknown;
  size_t at = message.find(kLeaderIs);
  if (at == absl::string_view::npos) return unknown;
  absl::string_view rest = message.substr(at + kLeaderIs.size());
  size_t digits = 0;
  while (digits < rest.size() && absl::ascii_isdigit(static_cast<unsigned char>(rest[digits]))) {
    ++digits;
  }
  uint64_t id = 0;
  if (digits == 0 || !absl::SimpleAtoi(rest.substr(0, digits), &id) || id == 0) return unknown;
  rest.remove_prefix(digits);
  if (!absl::StartsWith(rest, kAt)) return unknown;
  rest.remove_prefix(kAt.size());
  // The address runs to the first space, ';' or ',' (or the end); a trailing '.' is prose.
  size_t end = 0;
  while (end < rest.size() && !absl::ascii_isspace(static_cast<unsigned char>(rest[end])) &&
         rest[end] != ';' && rest[end] != ',') {
    ++end;
  }
  absl::string_view address = rest.substr(0, end);
  if (absl::EndsWith(address, ".")) address.remove_suffix(1);
  if (!IsHostPort(address)) return unknown;
  return LeaderHint{true, id, std::string(address)};
}

std::optional<LeaderHint> LeaderHintOf(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kUnavailable) return std::nullopt;
  if (auto payload = status.GetPayload(kLeaderInfoTypeUrl)) {
    common::v1::LeaderInfo info;
    if (info.ParseFromString(std::string(*payload))) {
      if (!info.known()) return LeaderHint{};
      // The hostname is what the ensemble was configured with, so it matches the client's list.
      std::string host = !info.address().hostname().empty() ? info.address().hostname()
                                                            : info.address().ip();
      if (absl::StrContains(host, ':') && !absl::StartsWith(host, "[")) {
        host = absl::StrCat("[", host, "]");
      }
      std::string address = absl::StrCat(host, ":", info.address().port());
      uint64_t id = 0;
      if (IsHostPort(address) && absl::SimpleAtoi(info.leader_id(), &id) && id != 0) {
        return LeaderHint{true, id, address};
      }
      // A malformed detail: fall back to the message.
    }
  }
  return ParseLeaderRedirect(status.message());
}

}  // namespace dcos::zk::client
