#pragma once

// Record generation: the Mesos-DNS naming scheme as pure functions from the cluster state's
// protos to records. No state; the record builder calls these for whatever changed.
//
// For a RUNNING task T (task name, or DiscoveryInfo.name when set, as a dotted fragment of
// sanitised labels) of framework F on an agent whose id ends in "-S<k>", in domain D, with
// C = "<first label of T>-<hash>-s<k>" followed by T's other labels, where <hash> is the first
// five zbase32 characters of SHA-1(task id) (Mesos-DNS's canonical, unique per task):
//
//   T.F.D, C.F.D                      A/AAAA  the task's address (IpSource order)
//   T.F.slave.D, C.F.slave.D          A/AAAA  the agent's address
//   _T._tcp.F.slave.D, _T._udp...     SRV     0 <weight> <port> C.F.slave.D, for every port of
//                                             the task's "ports" resources
//   _T._tcp.F.D, _T._udp.F.D          SRV     the same, when DiscoveryInfo has no ports
//   _T._<proto>.F.D                   SRV     0 <weight> <port> C.F.D, for each DiscoveryInfo
//   _<name>._T._<proto>.F.D                   port (protocol "tcp" when empty; the second name
//                                             only for named ports)
// and for the cluster:
//   leader.D, master.D                A/AAAA  the leading master
//   _leader._tcp.D, _leader._udp.D    SRV     0 <weight> <port> leader.D
//   master.D, master<N>.D             A/AAAA  the configured static masters (N from 0 in
//                                             config order; the leader gets the next N when
//                                             it is not among them)
//   slave.D                           A/AAAA  every agent not unreachable or gone
//   _slave._tcp.D                     SRV     0 <weight> <port> slave.D
//   F.D                               A/AAAA  the framework's host, when it is an IP literal
//   D                                 NS      the SOA mname
//   <mname>                           A/AAAA  this server (self_addresses), if inside D
// A task is published when its state is TASK_RUNNING, its DiscoveryInfo visibility is not
// FRAMEWORK, and, with healthy_only, when it has no health check or its latest status says
// healthy. Names that would exceed DNS limits are left out.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "libs/dns/message.h"
#include "protos/common/v1/master_info.pb.h"
#include "protos/common/v1/task.pb.h"
#include "protos/master/v1/cluster_state.pb.h"
#include "services/mesos-dns/core/config.h"

namespace dcos::dns::core {

// One record as generated: lower-case owner name inside the zone, type and data. TTL and class
// come from the zone.
struct Record {
  Name name;
  RRType type = RRType::kA;
  RData data;

  friend bool operator==(const Record&, const Record&) = default;
};

// First 5 zbase32 characters of SHA-1(task_id) (Mesos-DNS's hashString).
std::string TaskIdHash(absl::string_view task_id);

// The last '-'-separated field of an agent id, sanitised ("...-S12" -> "s12").
std::string AgentIdTail(absl::string_view agent_id, LabelRule rule);

// Whether `task` gets records at all (state, visibility, health).
bool IsPublished(const Zone& zone, const common::v1::Task& task);

// The task's records. `framework_name` is FrameworkInfo.name (sanitised here); `agent_address`
// the agent's address (AData/AaaaData) or null when unknown. Empty when !IsPublished or the
// framework name sanitises to nothing. Uses the last entry of task.statuses as the latest
// status (container addresses and health).
std::vector<Record> TaskRecords(const Zone& zone, const common::v1::Task& task,
                                absl::string_view framework_name, const RData* agent_address);

// The agent's address, if AgentInfo.address.ip is an IP literal and the agent is not
// unreachable or gone.
std::optional<RData> AgentAddress(const master::v1::Agent& agent);
std::vector<Record> AgentRecords(const Zone& zone, const master::v1::Agent& agent);

std::vector<Record> FrameworkRecords(const Zone& zone, const common::v1::FrameworkInfo& info);

// Master records from the static masters and the leader (null when no leader is known).
std::vector<Record> MasterRecords(const Zone& zone, const common::v1::MasterInfo* leader);

// NS at the apex and the server's own address records. (The SOA record is the record set's:
// its serial changes with every published change.)
std::vector<Record> ZoneRecords(const Zone& zone);

}  // namespace dcos::dns::core
