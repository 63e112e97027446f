#include "services/mesos-dns/bench/bench_data.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"

namespace dcos::dns::bench {
namespace {

std::string NoDot(const Name& name) {
  std::string text = name.ToText();
  if (text.size() > 1 && text.back() == '.') text.pop_back();
  return text;
}

}  // namespace

std::vector<std::string> QueryLines(const core::RecordSet& records, size_t max_rrset,
                                    double missing_ratio, uint64_t seed) {
  std::vector<std::string> lines;
  records.ForEach([&](const core::NameEntry& e) {
    for (const RRset& set : e.rrsets) {
      if ((set.type == RRType::kA || set.type == RRType::kSRV) && set.data.size() <= max_rrset) {
        lines.push_back(absl::StrCat(NoDot(e.name), " ", RRTypeName(set.type)));
      }
    }
  });
  // ForEach's order depends on hashing: sort first so that the seed alone decides the order.
  std::sort(lines.begin(), lines.end());
  const size_t missing = static_cast<size_t>(static_cast<double>(lines.size()) * missing_ratio);
  const std::string domain = NoDot(records.domain());
  for (size_t i = 0; i < missing; ++i) {
    lines.push_back(absl::StrCat("missing-", i, ".marathon.", domain, i % 2 ? " A" : " SRV"));
  }
  std::shuffle(lines.begin(), lines.end(), std::mt19937_64(seed));
  return lines;
}

std::string ZoneFile(const core::RecordSet& records) {
  std::vector<std::string> lines;
  records.ForEach([&](const core::NameEntry& e) {
    for (const RRset& set : e.rrsets) {
      if (set.type == RRType::kSOA) continue;
      for (const RData& d : set.data) {
        lines.push_back(absl::StrCat(e.name.ToText(), " ", set.ttl, " IN ", RRTypeName(set.type),
                                     " ", RDataToText(d)));
      }
    }
  });
  std::sort(lines.begin(), lines.end());
  const RRset& soa = records.soa();
  std::string out = absl::StrCat("; ", lines.size() + 1, " records\n", soa.name.ToText(), " ",
                                 soa.ttl, " IN SOA ", RDataToText(soa.data[0]), "\n");
  for (const std::string& l : lines) absl::StrAppend(&out, l, "\n");
  return out;
}

}  // namespace dcos::dns::bench
