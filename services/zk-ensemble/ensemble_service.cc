#include "services/zk-ensemble/ensemble_service.h"

#include <thread>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "libs/clock/clock.h"
#include "libs/status/grpc_status.h"
#include "services/zk-ensemble/backup_stream.h"
#include "services/zk-ensemble/ensemble_status.h"
#include "services/zk-ensemble/leader_redirect.h"

namespace dcos::zk {

EnsembleService::EnsembleService(EnsembleOptions options, ZkStateMachine* state_machine,
                                 std::function<v1::Member()> self_report)
    : options_(std::move(options)), sm_(state_machine), self_report_(std::move(self_report)) {}

EnsembleService::~EnsembleService() = default;

internal::v1::ZkInternal::Stub* EnsembleService::InternalStub(uint64_t id,
                                                              const std::string& address) {
  absl::MutexLock lock(&stubs_mu_);
  auto& stub = stubs_[id];
  if (!stub) {
    stub = internal::v1::ZkInternal::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  }
  return stub.get();
}

grpc::Status EnsembleService::Status(grpc::ServerContext*, const v1::StatusRequest*,
                                     v1::StatusResponse* response) {
  if (options_.restore != nullptr && options_.restore->AwaitingRestore()) {
    *response = AwaitingRestoreStatus(self_report_(), options_.cluster_id,
                                      restore_running_.load());
    return grpc::Status::OK;
  }
  raft::RaftNode* node = node_.load();
  EnsembleFacts facts;
  facts.cluster_id = options_.cluster_id;
  facts.addresses = options_.addresses->All();
  facts.healthy_max_lag = options_.healthy_max_lag;
  std::map<uint64_t, v1::Member> reports;
  if (node != nullptr) {
    raft::CoreStatus self = node->Status();
    facts.answered_by = self.id;
    facts.conf = self.conf;
    reports[self.id] = self_report_();
  }
  // Ask every peer at once; each answer lands in its own slot.
  std::vector<std::pair<uint64_t, v1::Member>> answers(facts.addresses.size());
  std::vector<char> answered(facts.addresses.size(), 0);
  std::vector<std::thread> askers;
  size_t slot = 0;
  for (const auto& [id, address] : facts.addresses) {
    if (reports.count(id) > 0) {
      ++slot;
      continue;
    }
    askers.emplace_back([&, id = id, stub = InternalStub(id, address), slot] {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + options_.status_timeout));
      internal::v1::LocalStatusRequest request;
      v1::Member member;
      if (stub->LocalStatus(&context, request, &member).ok() && member.id() == id) {
        answers[slot] = {id, std::move(member)};
        answered[slot] = 1;
      }
    });
    ++slot;
  }
  for (std::thread& t : askers) t.join();
  for (size_t i = 0; i < answers.size(); ++i) {
    if (answered[i]) reports[answers[i].first] = std::move(answers[i].second);
  }
  *response = AggregateStatus(facts, reports);
  return grpc::Status::OK;
}

grpc::Status EnsembleService::RequireLeader(raft::CoreStatus* status) const {
  raft::RaftNode* node = node_.load();
  if (node == nullptr) {
    return RedirectToLeader(absl::UnavailableError("starting"), 0, options_.addresses->All());
  }
  *status = node->Status();
  if (status->role != raft::Role::kLeader) {
    return RedirectToLeader(absl::UnavailableError("not the leader"), status->leader,
                            options_.addresses->All());
  }
  return grpc::Status::OK;
}

grpc::Status EnsembleService::TransferLeadership(grpc::ServerContext* context,
                                                 const v1::TransferLeadershipRequest* request,
                                                 v1::TransferLeadershipResponse* response) {
  raft::CoreStatus status;
  grpc::Status leader = RequireLeader(&status);
  if (!leader.ok()) return leader;
  uint64_t target = request->target_id();
  auto is_voter = [&](uint64_t id) {
    return std::find(status.conf.voters().begin(), status.conf.voters().end(), id) !=
           status.conf.voters().end();
  };
  // target 0: HandOffLeadership picks the most up-to-date voter heard from lately.
  if (target == status.id) {
    response->set_new_leader_id(status.id);
    response->set_term(status.term);
    return grpc::Status::OK;
  } else if (target != 0 && !is_voter(target)) {
    bool learner = std::find(status.conf.learners().begin(), status.conf.learners().end(),
                             target) != status.conf.learners().end();
    if (learner) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          absl::StrCat("member ", target, " is a learner, not a voter"));
    }
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("member ", target, " is not in the ensemble"));
  } else if (target != 0) {
    auto progress = status.progress.find(target);
    if (progress == status.progress.end() || !progress->second.recent_active) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          absl::StrCat("member ", target, " has not been heard from lately"));
    }
  }

  absl::StatusOr<uint64_t> leader_now = HandOffLeadership(context, target, 0);
  if (!leader_now.ok()) return status::ToGrpc(leader_now.status());
  response->set_new_leader_id(*leader_now);
  response->set_term(node_.load()->Status().term);
  return grpc::Status::OK;
}

absl::StatusOr<uint64_t> EnsembleService::HandOffLeadership(grpc::ServerContext* context,
                                                            uint64_t target, uint64_t avoid) {
  raft::RaftNode* node = node_.load();
  if (target == 0) {
    raft::CoreStatus status = node->Status();
    uint64_t best_match = 0;
    for (const auto& [id, progress] : status.progress) {
      bool voter = std::find(status.conf.voters().begin(), status.conf.voters().end(), id) !=
                   status.conf.voters().end();
      if (id == status.id || id == avoid || !voter || !progress.recent_active) continue;
      if (target == 0 || progress.match > best_match) {
        target = id;
        best_match = progress.match;
      }
    }
    if (target == 0) {
      return absl::FailedPreconditionError("no other healthy voter to hand leadership to");
    }
  }
  auto started = std::make_shared<std::pair<absl::Notification, absl::Status>>();
  node->TransferLeadership(target, [started](absl::Status s) {
    started->second = std::move(s);
    started->first.Notify();
  });
  if (!started->first.WaitForNotificationWithTimeout(options_.request_timeout)) {
    return absl::DeadlineExceededError("the transfer did not start");
  }
  if (!started->second.ok()) return started->second;
  // Wait until this member hears from the new leader.
  absl::Time deadline = absl::Now() + options_.transfer_timeout;
  while (absl::Now() < deadline && !context->IsCancelled()) {
    if (node->Status().leader == target) return target;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("member ", target, " did not take over within ",
                   absl::FormatDuration(options_.transfer_timeout)));
}

absl::Status EnsembleService::ReadBarrier() const {
  raft::RaftNode* node = node_.load();
  if (node == nullptr) return absl::UnavailableError("starting");
  auto waiter = std::make_shared<std::pair<absl::Notification, absl::Status>>();
  node->ReadIndex([waiter](absl::Status s) {
    waiter->second = std::move(s);
    waiter->first.Notify();
  });
  if (!waiter->first.WaitForNotificationWithTimeout(options_.request_timeout)) {
    return absl::UnavailableError("no quorum: no read point within the request timeout");
  }
  return waiter->second;
}

grpc::Status EnsembleService::Backup(grpc::ServerContext*, const v1::BackupRequest*,
                                     grpc::ServerWriter<v1::BackupChunk>* writer) {
  absl::Status barrier = ReadBarrier();
  if (!barrier.ok()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat("backup needs a quorum: ", barrier.message()));
  }
  BackupImage image = sm_->Backup();
  v1::BackupChunk header;
  v1::BackupHeader* h = header.mutable_header();
  h->set_format_version(kBackupFormat);
  h->set_zxid(image.zxid);
  h->set_cluster_id(options_.cluster_id);
  h->mutable_created_at()->set_seconds(
      absl::ToUnixSeconds(clock::RealClock::Default()->Now()));
  h->set_znode_count(image.znodes);
  h->set_total_bytes(image.tree.size());
  if (!writer->Write(header)) return grpc::Status::OK;
  const size_t chunk = std::min<size_t>(options_.backup_chunk_bytes, 1 << 20);
  for (size_t offset = 0; offset < image.tree.size(); offset += chunk) {
    v1::BackupChunk data;
    data.set_data(image.tree.substr(offset, chunk));
    if (!writer->Write(data)) return grpc::Status::OK;
  }
  v1::BackupChunk trailer;
  trailer.mutable_trailer()->set_sha256(Sha256(image.tree));
  writer->Write(trailer);
  return grpc::Status::OK;
}

}  // namespace dcos::zk
