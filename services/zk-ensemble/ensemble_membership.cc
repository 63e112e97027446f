// EnsembleService: AddMember and RemoveMember (the rules are in membership_rules.h).

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "libs/log/log.h"
#include "libs/status/grpc_status.h"
#include "services/zk-ensemble/ensemble_service.h"
#include "services/zk-ensemble/leader_redirect.h"
#include "services/zk-ensemble/membership_rules.h"

namespace dcos::zk {
namespace {

using ::dcos::raft::v1::CONF_CHANGE_TYPE_REMOVE_NODE;

// Holds the one-change-at-a-time flag while it lives.
class ChangeSlot {
 public:
  explicit ChangeSlot(std::atomic<bool>* running) : running_(running) {
    bool expected = false;
    held_ = running_->compare_exchange_strong(expected, true);
  }
  ~ChangeSlot() {
    if (held_) running_->store(false);
  }
  bool held() const { return held_; }

 private:
  std::atomic<bool>* running_;
  bool held_ = false;
};

grpc::Status Busy() {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                      "RECONFIG_IN_PROGRESS: another membership change is in progress; retry "
                      "when it has finished");
}

template <typename T>
struct Waiter {
  absl::Notification done;
  T result;
};

}  // namespace

std::set<uint64_t> EnsembleService::HealthyVoters(const raft::ConfState& conf) {
  v1::StatusResponse view;
  Status(nullptr, nullptr, &view);
  return zk::HealthyVoters(view, conf);
}

absl::Status EnsembleService::CheckWithFreshViews(const std::function<absl::Status()>& check) {
  absl::Time deadline = absl::Now() + options_.health_window;
  while (true) {
    absl::Status verdict = check();
    // Only a quorum verdict can be a moment's view (a member slow to answer, one that just
    // restarted); the others are facts of the configuration.
    if (verdict.ok() || verdict.message().find("NEW_CONFIG_NO_QUORUM") == absl::string_view::npos ||
        absl::Now() >= deadline) {
      return verdict;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

absl::Status EnsembleService::ProposeChange(const raft::ConfChange& change,
                                            absl::Duration timeout) {
  auto waiter = std::make_shared<Waiter<absl::StatusOr<uint64_t>>>();
  node_.load()->ProposeConfChange(change, [waiter](absl::StatusOr<uint64_t> r) {
    waiter->result = std::move(r);
    waiter->done.Notify();
  });
  if (!waiter->done.WaitForNotificationWithTimeout(timeout)) {
    return absl::DeadlineExceededError("the membership change was not applied in time");
  }
  return waiter->result.status();
}

grpc::Status EnsembleService::AddMember(grpc::ServerContext*, const v1::AddMemberRequest* request,
                                        v1::AddMemberResponse* response) {
  const uint64_t id = request->id();
  if (id == 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "id: required (the new member's raft.id, unique and never reused)");
  }
  absl::StatusOr<std::string> address = HostPortOf(request->peer_address(), "peer_address");
  if (!address.ok()) return status::ToGrpc(address.status());
  if (request->has_client_address()) {
    absl::StatusOr<std::string> client = HostPortOf(request->client_address(), "client_address");
    if (!client.ok()) return status::ToGrpc(client.status());
    if (*client != *address) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("client_address: ", *client, " must equal peer_address ",
                                       *address, " (one gRPC server serves both)"));
    }
  }
  ChangeSlot slot(&change_running_);
  if (!slot.held()) return Busy();
  raft::CoreStatus status;
  grpc::Status leader = RequireLeader(&status);
  if (!leader.ok()) return leader;
  absl::Status allowed = CheckWithFreshViews([&] {
    std::set<uint64_t> healthy = HealthyVoters(status.conf);
    return CheckAdd(node_.load()->Status(), id, *address, options_.addresses->All(), healthy);
  });
  if (!allowed.ok()) return status::ToGrpc(allowed);

  log::Info("adding a member").Field("member", id).Field("address", *address);
  int ticks = static_cast<int>(options_.add_member_timeout / options_.tick);
  auto waiter = std::make_shared<Waiter<absl::StatusOr<uint64_t>>>();
  node_.load()->AddVoter(id, *address, ticks, [waiter](absl::StatusOr<uint64_t> r) {
    waiter->result = std::move(r);
    waiter->done.Notify();
  });
  if (!waiter->done.WaitForNotificationWithTimeout(options_.add_member_timeout +
                                                   options_.request_timeout)) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                        absl::StrCat("member ", id, " was not added in time; check Status"));
  }
  if (waiter->result.status().code() == absl::StatusCode::kDeadlineExceeded) {
    // It never caught up (not running, not started with raft.join, unreachable): undo.
    absl::Status undone = [&] {
      raft::ConfChange remove;
      auto* c = remove.add_changes();
      c->set_type(CONF_CHANGE_TYPE_REMOVE_NODE);
      c->set_node_id(id);
      return ProposeChange(remove, options_.request_timeout);
    }();
    log::Warn("a new member did not catch up; removed again")
        .Field("member", id)
        .Field("address", *address)
        .Field("undo", undone);
    return grpc::Status(
        grpc::StatusCode::DEADLINE_EXCEEDED,
        absl::StrCat("member ", id, " at ", *address, " did not catch up within ",
                     absl::FormatDuration(options_.add_member_timeout),
                     " (is it running, reachable, and started with --raft.join?); ",
                     undone.ok() ? "it was removed again"
                                 : absl::StrCat("removing it again failed: ", undone.message(),
                                                "; remove it with RemoveMember")));
  }
  if (!waiter->result.ok()) {
    return RedirectToLeader(waiter->result.status(), node_.load()->Status().leader,
                            options_.addresses->All());
  }
  v1::Member* member = response->mutable_member();
  member->set_id(id);
  FillAddress(*address, member->mutable_client_address());
  FillAddress(*address, member->mutable_peer_address());
  member->set_role(v1::Member::ROLE_FOLLOWER);
  member->set_description("added: caught up and promoted to voter");
  log::Info("member added").Field("member", id).Field("address", *address);
  return grpc::Status::OK;
}

grpc::Status EnsembleService::RemoveMember(grpc::ServerContext* context,
                                           const v1::RemoveMemberRequest* request,
                                           v1::RemoveMemberResponse*) {
  const uint64_t id = request->id();
  if (id == 0) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "id: required");
  ChangeSlot slot(&change_running_);
  if (!slot.held()) return Busy();
  raft::CoreStatus status;
  grpc::Status leader = RequireLeader(&status);
  if (!leader.ok()) return leader;
  absl::Status allowed = CheckWithFreshViews([&] {
    return CheckRemove(node_.load()->Status(), id, HealthyVoters(status.conf));
  });
  if (!allowed.ok()) return status::ToGrpc(allowed);

  if (id == status.id) {
    // The leader leaves: hand leadership to another voter, which then removes this one.
    absl::StatusOr<uint64_t> next = HandOffLeadership(context, 0, id);
    if (!next.ok()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          absl::StrCat("removing the leader needs another voter to lead first: ",
                                       next.status().message()));
    }
    log::Info("removing the leader: leadership handed over").Field("member", id).Field("to", *next);
    return ForwardRemove(*next, *request);
  }
  log::Info("removing a member").Field("member", id);
  raft::ConfChange remove;
  auto* c = remove.add_changes();
  c->set_type(CONF_CHANGE_TYPE_REMOVE_NODE);
  c->set_node_id(id);
  absl::Status removed = ProposeChange(remove, options_.request_timeout);
  if (!removed.ok()) {
    return RedirectToLeader(removed, node_.load()->Status().leader, options_.addresses->All());
  }
  log::Info("member removed").Field("member", id);
  return grpc::Status::OK;
}

grpc::Status EnsembleService::ForwardRemove(uint64_t leader,
                                            const v1::RemoveMemberRequest& request) {
  std::optional<std::string> address = options_.addresses->Get(leader);
  if (!address.has_value()) {
    return RedirectToLeader(absl::UnavailableError("not the leader"), leader,
                            options_.addresses->All());
  }
  auto stub = v1::Ensemble::NewStub(grpc::CreateChannel(*address, grpc::InsecureChannelCredentials()));
  grpc::Status last;
  absl::Time deadline = absl::Now() + options_.request_timeout;
  // The new leader accepts membership changes once it has committed an entry of its term.
  do {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(deadline));
    v1::RemoveMemberResponse response;
    last = stub->RemoveMember(&context, request, &response);
    if (last.error_code() != grpc::StatusCode::FAILED_PRECONDITION ||
        last.error_message().find("has not yet committed") == std::string::npos) {
      if (!last.ok()) {
        log::Warn("the new leader refused to remove the old one")
            .Field("leader", leader)
            .Field("error", last.error_message());
      }
      return last;
    }
    absl::SleepFor(options_.tick);
  } while (absl::Now() < deadline);
  log::Warn("the new leader did not remove the old one")
      .Field("leader", leader)
      .Field("error", last.error_message());
  return last;
}

}  // namespace dcos::zk
