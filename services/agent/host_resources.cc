#include "services/agent/host_resources.h"

#include <sched.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/status/status_macros.h"

namespace dcos::agent {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kGiB = 1024 * kMiB;

// Keeps `reserve` for the host when total >= 2 * reserve, else half of it.
uint64_t LeaveForHost(uint64_t total, uint64_t reserve) {
  return total >= 2 * reserve ? total - reserve : total / 2;
}

absl::Status AttributeError(absl::string_view entry, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("attribute '", entry, "': ", what));
}

}  // namespace

absl::StatusOr<uint64_t> ParseMeminfoTotal(absl::string_view meminfo) {
  for (absl::string_view line : absl::StrSplit(meminfo, '\n')) {
    if (!absl::ConsumePrefix(&line, "MemTotal:")) continue;
    std::vector<absl::string_view> words =
        absl::StrSplit(absl::StripAsciiWhitespace(line), ' ', absl::SkipEmpty());
    uint64_t kib = 0;
    if (words.size() != 2 || words[1] != "kB" || !absl::SimpleAtoi(words[0], &kib)) {
      return absl::InvalidArgumentError(
          absl::StrCat("/proc/meminfo: malformed MemTotal line '", line, "'"));
    }
    return kib * 1024;
  }
  return absl::InvalidArgumentError("/proc/meminfo: no MemTotal line");
}

absl::StatusOr<HostProbe> ProbeHost(const std::string& work_dir) {
  HostProbe probe;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) {
    return absl::InternalError(absl::StrCat("sched_getaffinity: ", std::strerror(errno)));
  }
  probe.cpus = CPU_COUNT(&set);
  std::ifstream in("/proc/meminfo");
  if (!in) return absl::InternalError("cannot read /proc/meminfo");
  std::stringstream text;
  text << in.rdbuf();
  DCOS_ASSIGN_OR_RETURN(probe.mem_total_bytes, ParseMeminfoTotal(text.str()));
  struct statvfs fs;
  if (statvfs(work_dir.c_str(), &fs) != 0) {
    return absl::InternalError(
        absl::StrCat("statvfs ", work_dir, " (agent.work_dir): ", std::strerror(errno)));
  }
  probe.disk_total_bytes = static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize;
  return probe;
}

resources::Resources DetectedResources(const HostProbe& probe) {
  using resources::Resource;
  resources::Resources r;
  r.Add(Resource::Scalar("cpus", static_cast<int64_t>(probe.cpus) * 1000));
  r.Add(Resource::Scalar("mem", static_cast<int64_t>(LeaveForHost(probe.mem_total_bytes, kGiB) /
                                                     kMiB * 1000)));
  r.Add(Resource::Scalar(
      "disk", static_cast<int64_t>(LeaveForHost(probe.disk_total_bytes, 5 * kGiB) / kMiB * 1000)));
  r.Add(Resource::OfRanges("ports", resources::Ranges({{31000, 32000}})));
  return r;
}

absl::StatusOr<resources::Resources> AgentResources(absl::string_view flag,
                                                    const HostProbe& probe) {
  absl::StatusOr<resources::Resources> configured = resources::Resources::Parse(flag);
  if (!configured.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("agent.resources: ", configured.status().message()));
  }
  std::set<std::string> named;
  for (const resources::Resource& r : *configured) named.insert(r.name());
  resources::Resources total = *configured;
  for (const resources::Resource& r : DetectedResources(probe)) {
    if (named.count(r.name()) == 0) total.Add(r);
  }
  if (total.ScalarMilli("cpus") <= 0 || total.ScalarMilli("mem") <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "agent.resources: the agent would offer no cpus or no mem (", total.ToString(), ")"));
  }
  return total;
}

absl::StatusOr<std::vector<common::v1::Attribute>> ParseAttributes(absl::string_view text) {
  std::vector<common::v1::Attribute> out;
  std::set<std::string> names;
  for (absl::string_view entry : absl::StrSplit(text, ';')) {
    entry = absl::StripAsciiWhitespace(entry);
    if (entry.empty()) continue;
    std::pair<absl::string_view, absl::string_view> nv =
        absl::StrSplit(entry, absl::MaxSplits(':', 1));
    absl::string_view name = absl::StripAsciiWhitespace(nv.first);
    absl::string_view value = absl::StripAsciiWhitespace(nv.second);
    if (!absl::StrContains(entry, ':')) {
      return AttributeError(entry, "expected name:value, e.g. rack:r1");
    }
    if (name.empty() || name.size() > 128) {
      return AttributeError(entry, "the name must be 1..128 bytes");
    }
    for (char c : name) {
      if (absl::ascii_isspace(static_cast<unsigned char>(c)) || absl::ascii_iscntrl(c)) {
        return AttributeError(entry, "the name may not contain whitespace");
      }
    }
    if (value.empty()) return AttributeError(entry, "empty value");
    if (!names.insert(std::string(name)).second) {
      return AttributeError(entry, absl::StrCat("'", name, "' is given more than once"));
    }
    common::v1::Attribute a;
    a.set_name(std::string(name));
    double scalar = 0;
    if (value.front() == '[' || value.front() == '{') {
      // The resource grammar's ranges and sets, parsed under a placeholder name.
      absl::StatusOr<resources::Resources> parsed =
          resources::Resources::Parse(absl::StrCat("a:", value));
      if (!parsed.ok() || parsed->size() > 1) {
        return AttributeError(entry, value.front() == '['
                                         ? "invalid ranges (expected e.g. [1-3,5-6])"
                                         : "invalid set (expected e.g. {a,b})");
      }
      google::protobuf::RepeatedPtrField<common::v1::Resource> protos;
      parsed->ToProto(&protos);
      if (value.front() == '[') {
        a.set_type(common::v1::Value::TYPE_RANGES);
        if (!protos.empty()) *a.mutable_ranges() = protos[0].ranges();
      } else {
        a.set_type(common::v1::Value::TYPE_SET);
        if (!protos.empty()) *a.mutable_set() = protos[0].set();
      }
    } else if (absl::SimpleAtod(value, &scalar) && std::isfinite(scalar)) {
      a.set_type(common::v1::Value::TYPE_SCALAR);
      a.mutable_scalar()->set_value(scalar);
    } else {
      a.set_type(common::v1::Value::TYPE_TEXT);
      a.mutable_text()->set_value(std::string(value));
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::string AttributesToString(const std::vector<common::v1::Attribute>& attributes) {
  return absl::StrJoin(attributes, ";", [](std::string* out, const common::v1::Attribute& a) {
    absl::StrAppend(out, a.name(), ":");
    switch (a.type()) {
      case common::v1::Value::TYPE_SCALAR:
        absl::StrAppend(out, a.scalar().value());
        break;
      case common::v1::Value::TYPE_RANGES:
        absl::StrAppend(out, "[",
                        absl::StrJoin(a.ranges().range(), ",",
                                      [](std::string* o, const common::v1::Value::Range& r) {
                                        absl::StrAppend(o, r.begin(), "-", r.end());
                                      }),
                        "]");
        break;
      case common::v1::Value::TYPE_SET:
        absl::StrAppend(out, "{", absl::StrJoin(a.set().item(), ","), "}");
        break;
      default:
        absl::StrAppend(out, a.text().value());
    }
  });
}

}  // namespace dcos::agent
