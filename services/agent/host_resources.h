#pragma once

// What an agent advertises: its resources (detected from the host or configured in the Mesos
// grammar) and its attributes. The parsing and defaulting are pure; ProbeHost is the one
// function here that reads the host.
//
//   DCOS_ASSIGN_OR_RETURN(HostProbe probe, ProbeHost(work_dir));
//   DCOS_ASSIGN_OR_RETURN(Resources total, AgentResources(flag_text, probe));
//   DCOS_ASSIGN_OR_RETURN(auto attributes, ParseAttributes("rack:r1;zone:a"));

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/resources/resources.h"
#include "protos/common/v1/values.pb.h"

namespace dcos::agent {

// Facts about the host the agent runs on.
struct HostProbe {
  int cpus = 0;                    // CPUs this process may run on (sched_getaffinity)
  uint64_t mem_total_bytes = 0;    // MemTotal of /proc/meminfo
  uint64_t disk_total_bytes = 0;   // size of the file system holding the work dir (statvfs)
};

// The default port range offered when --agent.resources names no ports (Mesos's).
inline constexpr char kDefaultPorts[] = "[31000-32000]";

// Reads the host: CPU affinity, /proc/meminfo, statvfs(work_dir). Errors: INTERNAL naming the
// source that could not be read.
absl::StatusOr<HostProbe> ProbeHost(const std::string& work_dir);

// The MemTotal line of /proc/meminfo, in bytes. INVALID_ARGUMENT if absent or malformed.
absl::StatusOr<uint64_t> ParseMeminfoTotal(absl::string_view meminfo);

// What the agent offers of the host when nothing is configured (Mesos's rules):
//   cpus   every CPU it may run on
//   mem    total minus 1 GiB kept for the host (half of it when total < 2 GiB), in MiB
//   disk   total minus 5 GiB kept for the host (half of it when total < 10 GiB), in MiB
//   ports  [31000-32000]
resources::Resources DetectedResources(const HostProbe& probe);

// The agent's total resources from --agent.resources (`flag`, Mesos grammar, may be empty):
// every entry as given, and for each of cpus, mem, disk and ports that the flag does not name
// (under any role) the detected default. Errors: INVALID_ARGUMENT naming the flag and entry;
// also when the result has no cpus or no mem (a master refuses such an agent).
absl::StatusOr<resources::Resources> AgentResources(absl::string_view flag,
                                                    const HostProbe& probe);

// --agent.attributes: `name:value` entries separated by ';'. A value is ranges `[1-3]`, a set
// `{a,b}`, a scalar `4.5`, or else text `r1`. Names: 1..128 bytes without ':', ';' or
// whitespace, each at most once. Errors: INVALID_ARGUMENT quoting the entry.
absl::StatusOr<std::vector<common::v1::Attribute>> ParseAttributes(absl::string_view text);

// The text form of attributes, `rack:r1;zone:a` (for logs and error messages).
std::string AttributesToString(const std::vector<common::v1::Attribute>& attributes);

}  // namespace dcos::agent
