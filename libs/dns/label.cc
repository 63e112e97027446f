#include "libs/dns/label.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/dns/types.h"

namespace dcos::dns {
namespace {

char MapByte(char c) {
  if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 'a');
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return c;
  return '-';
}

bool IsLetter(char c) { return c >= 'a' && c <= 'z'; }

}  // namespace

std::string SanitizeLabel(absl::string_view text, LabelRule rule) {
  std::string mapped;
  mapped.reserve(text.size());
  for (char c : text) mapped.push_back(MapByte(c));

  size_t begin = 0;
  if (rule == LabelRule::kRfc952) {
    while (begin < mapped.size() && !IsLetter(mapped[begin])) ++begin;
  } else {
    while (begin < mapped.size() && mapped[begin] == '-') ++begin;
  }
  size_t max_length = rule == LabelRule::kRfc952 ? 24 : kMaxLabelLength;
  size_t end = std::min(mapped.size(), begin + max_length);
  while (end > begin && mapped[end - 1] == '-') --end;
  return mapped.substr(begin, end - begin);
}

std::string SanitizeDomainFragment(absl::string_view text, LabelRule rule) {
  std::vector<std::string> labels;
  for (absl::string_view part : absl::StrSplit(text, '.')) {
    std::string label = SanitizeLabel(part, rule);
    if (!label.empty()) labels.push_back(std::move(label));
  }
  return absl::StrJoin(labels, ".");
}

}  // namespace dcos::dns
