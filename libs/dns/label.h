#pragma once

// Turning free-form names (task, framework, port names) into host name labels, the way
// Mesos-DNS did (records/labels in mesosphere/mesos-dns), with one deliberate difference:
// a byte that is not a letter, digit, '-', '.' or '_' becomes '-' (Mesos-DNS dropped it), so
// "my app" and "myapp" do not collide.
//
//   RFC 1123: lower-case; [a-z0-9-] kept; '.', '_' and every other byte become '-'; leading and
//             trailing '-' trimmed; at most 63 bytes (trailing '-' trimmed again after the cut).
//   RFC 952:  the same, but at most 24 bytes and starting with a letter (leading digits and '-'
//             trimmed).
// The result may be empty (e.g. for "---" or "__"); callers decide what an empty label means.

#include <string>

#include "absl/strings/string_view.h"

namespace dcos::dns {

enum class LabelRule {
  kRfc1123,
  kRfc952,
};

// One label from `text`.
std::string SanitizeLabel(absl::string_view text, LabelRule rule = LabelRule::kRfc1123);

// A dotted fragment of one or more labels: `text` split on '.', each part sanitised, empty
// parts dropped, joined with '.' ("Foo.Bar..baz" -> "foo.bar.baz"; Marathon's group path
// "bar.foo" stays two labels). May be empty.
std::string SanitizeDomainFragment(absl::string_view text, LabelRule rule = LabelRule::kRfc1123);

}  // namespace dcos::dns
