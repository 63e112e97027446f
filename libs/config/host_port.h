#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace dcos::config {

// Accepts "host:port" (host a name or IPv4 address) and "[ipv6]:port" ("[::1]:5050",
// "[fe80::1%eth0]:80"); port is 0..65535 in decimal. InvalidArgument otherwise, with a message
// saying what is wrong. Meant for Field::Check().
absl::Status ValidateHostPort(absl::string_view value);

}  // namespace dcos::config
