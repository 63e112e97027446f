#include "libs/config/host_port.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace dcos::config {
namespace {

absl::Status Bad(absl::string_view value, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("\"", value, "\" is not a valid host:port: ", why));
}

}  // namespace

absl::Status ValidateHostPort(absl::string_view value) {
  absl::string_view host;
  absl::string_view port;
  if (!value.empty() && value.front() == '[') {
    size_t close = value.find(']');
    if (close == absl::string_view::npos) return Bad(value, "missing ']'");
    host = value.substr(1, close - 1);
    absl::string_view rest = value.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return Bad(value, "missing ':port' after ']'");
    port = rest.substr(1);
    if (host.empty()) return Bad(value, "empty IPv6 address");
    size_t zone = host.find('%');
    absl::string_view addr = host.substr(0, zone);
    if (addr.find(':') == absl::string_view::npos) return Bad(value, "brackets need an IPv6 address");
    for (char c : addr) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
        return Bad(value, "invalid character in IPv6 address");
      }
    }
    if (zone != absl::string_view::npos && zone + 1 == host.size()) {
      return Bad(value, "empty IPv6 zone");
    }
  } else {
    size_t colon = value.rfind(':');
    if (colon == absl::string_view::npos) return Bad(value, "missing ':port'");
    host = value.substr(0, colon);
    port = value.substr(colon + 1);
    if (host.empty()) return Bad(value, "missing host (use 0.0.0.0 for all interfaces)");
    if (host.find(':') != absl::string_view::npos) {
      return Bad(value, "write IPv6 addresses in brackets, e.g. [::1]:5050");
    }
    for (char c : host) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' &&
          c != '_') {
        return Bad(value, "invalid character in host");
      }
    }
  }
  if (port.empty()) return Bad(value, "missing port");
  if (port.size() > 5) return Bad(value, "port is out of range [0, 65535]");
  int p = 0;
  for (char c : port) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return Bad(value, "port is not a number");
    }
    p = p * 10 + (c - '0');
  }
  if (p > 65535) return Bad(value, "port is out of range [0, 65535]");
  return absl::OkStatus();
}

}  // namespace dcos::config
