#include "libs/zk/recipes/sequential.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace dcos::zk::recipes {

std::optional<int64_t> SequenceOf(absl::string_view name) {
  constexpr size_t kDigits = 10;
  if (name.size() < kDigits + 1 || name[name.size() - kDigits - 1] != '-') return std::nullopt;
  absl::string_view digits = name.substr(name.size() - kDigits);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int64_t value = 0;
  if (!absl::SimpleAtoi(digits, &value)) return std::nullopt;
  return value;
}

std::string ContenderPrefix(absl::string_view prefix, uint64_t tag) {
  return absl::StrCat(prefix, absl::Hex(tag, absl::kZeroPad16), "-");
}

std::vector<std::string> QueueOrder(const std::vector<std::string>& children,
                                    absl::string_view prefix) {
  std::vector<std::pair<int64_t, std::string>> keyed;
  for (const std::string& c : children) {
    if (!absl::StartsWith(c, prefix)) continue;
    if (std::optional<int64_t> seq = SequenceOf(c)) keyed.emplace_back(*seq, c);
  }
  std::sort(keyed.begin(), keyed.end());
  std::vector<std::string> out;
  for (auto& [seq, name] : keyed) out.push_back(std::move(name));
  return out;
}

std::optional<std::string> FindOwn(const std::vector<std::string>& children,
                                   absl::string_view contender_prefix) {
  for (const std::string& c : children) {
    if (absl::StartsWith(c, contender_prefix) && SequenceOf(c)) return c;
  }
  return std::nullopt;
}

Place PlaceOf(const std::vector<std::string>& ordered, absl::string_view own) {
  Place place;
  auto it = std::find(ordered.begin(), ordered.end(), own);
  if (it == ordered.end()) return place;
  place.present = true;
  place.first = it == ordered.begin();
  if (!place.first) place.predecessor = *(it - 1);
  return place;
}

}  // namespace dcos::zk::recipes
