#include "services/zk-ensemble/ensemble_status.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/zk-ensemble/leader_redirect.h"

namespace dcos::zk {
namespace {

bool Contains(const google::protobuf::RepeatedField<uint64_t>& ids, uint64_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

v1::Member::Role RoleOf(const raft::CoreStatus& s) {
  switch (s.role) {
    case raft::Role::kLeader:
      return v1::Member::ROLE_LEADER;
    case raft::Role::kCandidate:
    case raft::Role::kPreCandidate:
      return v1::Member::ROLE_CANDIDATE;
    case raft::Role::kFollower:
      break;
  }
  return Contains(s.conf.learners(), s.id) ? v1::Member::ROLE_LEARNER : v1::Member::ROLE_FOLLOWER;
}

}  // namespace

v1::Member SelfReport(const raft::CoreStatus& status, const SelfFacts& facts) {
  v1::Member m;
  m.set_id(status.id);
  FillAddress(facts.address, m.mutable_client_address());
  FillAddress(facts.address, m.mutable_peer_address());
  m.set_role(RoleOf(status));
  m.set_term(status.term);
  m.set_commit_index(status.commit);
  m.set_applied_index(status.applied);
  m.set_sessions(facts.sessions);
  m.set_znode_count(facts.znodes);
  m.set_watch_count(facts.watches);
  if (!facts.waiting.empty()) {
    m.set_serving_state(v1::Member::SERVING_STATE_NOT_SERVING);
    m.set_description(facts.waiting);
  } else if (!facts.fatal.ok()) {
    m.set_serving_state(v1::Member::SERVING_STATE_NOT_SERVING);
    m.set_description(absl::StrCat("stopped by a storage error: ", facts.fatal.message()));
  } else if (status.leader == 0) {
    m.set_serving_state(v1::Member::SERVING_STATE_NOT_SERVING);
    m.set_description("no leader known (election in progress or no quorum)");
  } else {
    m.set_serving_state(v1::Member::SERVING_STATE_SERVING);
    m.set_description("serving");
  }
  return m;
}

v1::StatusResponse AggregateStatus(const EnsembleFacts& facts,
                                   const std::map<uint64_t, v1::Member>& reports) {
  v1::StatusResponse out;
  out.set_answered_by(facts.answered_by);
  out.set_cluster_id(facts.cluster_id);

  std::set<uint64_t> ids(facts.conf.voters().begin(), facts.conf.voters().end());
  ids.insert(facts.conf.learners().begin(), facts.conf.learners().end());
  if (ids.empty()) {
    for (const auto& [id, address] : facts.addresses) ids.insert(id);
  }

  const v1::Member* leader = nullptr;
  for (const auto& [id, m] : reports) {
    if (m.role() == v1::Member::ROLE_LEADER && (leader == nullptr || m.term() > leader->term())) {
      leader = &m;
    }
  }
  *out.mutable_leader() = LeaderInfoFor(leader == nullptr ? 0 : leader->id(), facts.addresses);

  size_t healthy_voters = 0;
  for (uint64_t id : ids) {
    v1::Member* m = out.add_members();
    auto report = reports.find(id);
    if (report == reports.end()) {
      m->set_id(id);
      auto address = facts.addresses.find(id);
      if (address != facts.addresses.end()) {
        FillAddress(address->second, m->mutable_client_address());
        FillAddress(address->second, m->mutable_peer_address());
      }
      m->set_role(v1::Member::ROLE_UNREACHABLE);
      m->set_serving_state(v1::Member::SERVING_STATE_DOWN);
      m->set_description("unreachable: did not answer");
      continue;
    }
    *m = report->second;
    if (leader != nullptr && m->id() != leader->id()) {
      uint64_t commit = leader->commit_index();
      m->set_lag(commit > m->applied_index() ? commit - m->applied_index() : 0);
    }
    bool serving = m->serving_state() == v1::Member::SERVING_STATE_SERVING;
    m->set_healthy(serving && leader != nullptr && m->lag() <= facts.healthy_max_lag);
    if (serving && m->lag() > facts.healthy_max_lag) {
      m->set_description(absl::StrCat("catching up: ", m->lag(), " entries behind"));
    } else if (m->role() == v1::Member::ROLE_LEADER && serving) {
      m->set_description("serving as leader");
    }
    if (m->healthy() && Contains(facts.conf.voters(), id)) ++healthy_voters;
  }
  size_t voters = static_cast<size_t>(facts.conf.voters_size());
  out.set_has_quorum(leader != nullptr && voters > 0 && healthy_voters * 2 > voters);
  return out;
}

v1::StatusResponse AwaitingRestoreStatus(v1::Member self, uint64_t cluster_id, bool receiving) {
  v1::StatusResponse out;
  out.set_answered_by(self.id());
  out.set_cluster_id(cluster_id);
  out.set_awaiting_restore(true);
  out.mutable_leader()->set_service("dcos-zk");
  self.set_role(v1::Member::ROLE_UNSPECIFIED);
  self.set_serving_state(v1::Member::SERVING_STATE_NOT_SERVING);
  self.set_healthy(false);
  if (receiving) self.set_description("receiving a restore (Ensemble.Restore under way)");
  *out.add_members() = std::move(self);
  return out;
}

}  // namespace dcos::zk
