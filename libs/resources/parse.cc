// Resources::Parse: the Mesos text grammar.
//
//   resources := entry (';' entry)*          empty entries are skipped
//   entry     := name [ '(' role ')' ] ':' value
//   value     := scalar | '[' [range (',' range)*] ']' | '{' [item (',' item)*] '}'
//   range     := uint64 '-' uint64            begin <= end
//
// Whitespace around names, values, ranges and items is ignored.

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/resources/resources.h"
#include "libs/status/status_macros.h"

namespace dcos::resources {
namespace {

absl::Status EntryError(absl::string_view entry, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("resource '", entry, "': ", what));
}

absl::StatusOr<Ranges> ParseRanges(absl::string_view entry, absl::string_view body) {
  std::vector<Range> out;
  if (absl::StripAsciiWhitespace(body).empty()) return Ranges();
  for (absl::string_view part : absl::StrSplit(body, ',')) {
    part = absl::StripAsciiWhitespace(part);
    std::pair<absl::string_view, absl::string_view> ends = absl::StrSplit(part, absl::MaxSplits('-', 1));
    Range r;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(ends.first), &r.begin) ||
        !absl::SimpleAtoi(absl::StripAsciiWhitespace(ends.second), &r.end)) {
      return EntryError(entry, absl::StrCat("invalid range '", part,
                                            "' (expected begin-end, e.g. 31000-32000)"));
    }
    if (r.begin > r.end) {
      return EntryError(entry, absl::StrCat("invalid range '", part, "': begin > end"));
    }
    out.push_back(r);
  }
  return Ranges(std::move(out));
}

absl::StatusOr<Set> ParseSet(absl::string_view entry, absl::string_view body) {
  Set out;
  if (absl::StripAsciiWhitespace(body).empty()) return out;
  for (absl::string_view part : absl::StrSplit(body, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (part.empty()) return EntryError(entry, "empty set item");
    out.emplace_back(part);
  }
  std::sort(out.begin(), out.end());
  auto dup = std::adjacent_find(out.begin(), out.end());
  if (dup != out.end()) return EntryError(entry, absl::StrCat("duplicate set item '", *dup, "'"));
  return out;
}

absl::StatusOr<Resource> ParseEntry(absl::string_view entry, absl::string_view default_role) {
  size_t colon = entry.find(':');
  if (colon == absl::string_view::npos) {
    return EntryError(entry, "missing ':' (expected name:value, e.g. cpus:4)");
  }
  absl::string_view head = absl::StripAsciiWhitespace(entry.substr(0, colon));
  absl::string_view value = absl::StripAsciiWhitespace(entry.substr(colon + 1));

  absl::string_view name = head;
  std::string role(default_role);
  size_t paren = head.find('(');
  if (paren != absl::string_view::npos) {
    if (head.back() != ')') return EntryError(entry, "role must be closed with ')'");
    name = absl::StripAsciiWhitespace(head.substr(0, paren));
    role = std::string(absl::StripAsciiWhitespace(head.substr(paren + 1, head.size() - paren - 2)));
  }
  if (absl::Status s = ValidateResourceName(name); !s.ok()) return EntryError(entry, s.message());
  if (absl::Status s = ValidateRole(role); !s.ok()) return EntryError(entry, s.message());
  if (value.empty()) return EntryError(entry, "missing value after ':'");

  if (value.front() == '[') {
    if (value.back() != ']') return EntryError(entry, "ranges must end with ']'");
    DCOS_ASSIGN_OR_RETURN(Ranges ranges, ParseRanges(entry, value.substr(1, value.size() - 2)));
    return Resource::OfRanges(std::string(name), std::move(ranges), std::move(role));
  }
  if (value.front() == '{') {
    if (value.back() != '}') return EntryError(entry, "set must end with '}'");
    DCOS_ASSIGN_OR_RETURN(Set set, ParseSet(entry, value.substr(1, value.size() - 2)));
    return Resource::OfSet(std::string(name), std::move(set), std::move(role));
  }
  double scalar = 0;
  if (!absl::SimpleAtod(value, &scalar)) {
    return EntryError(entry, absl::StrCat("invalid scalar '", value,
                                          "' (expected a number such as 4 or 0.5)"));
  }
  if (absl::Status s = ValidateScalar(scalar, "value"); !s.ok()) {
    return EntryError(entry, s.message());
  }
  return Resource::Scalar(std::string(name), ScalarToMilli(scalar), std::move(role));
}

}  // namespace

absl::StatusOr<Resources> Resources::Parse(absl::string_view text,
                                           absl::string_view default_role) {
  if (absl::Status s = ValidateRole(default_role); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("default role: ", s.message()));
  }
  Resources out;
  absl::flat_hash_map<std::string, ValueType> types;
  for (absl::string_view entry : absl::StrSplit(text, ';')) {
    entry = absl::StripAsciiWhitespace(entry);
    if (entry.empty()) continue;
    DCOS_ASSIGN_OR_RETURN(Resource r, ParseEntry(entry, default_role));
    auto [it, inserted] = types.emplace(r.name(), r.type());
    if (!inserted && it->second != r.type()) {
      return EntryError(entry, absl::StrCat("type differs from an earlier '", r.name(),
                                            "' entry (scalar, ranges and set do not mix)"));
    }
    out.Add(r);
  }
  return out;
}

}  // namespace dcos::resources
