#include "tools/dcos/zk_status.h"

#include <grpcpp/create_channel.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "protos/zk/v1/ensemble.grpc.pb.h"

namespace dcos::cli {
namespace {

namespace v1 = zk::v1;

// "ROLE_LEADER" -> "leader".
std::string Short(const std::string& enum_name, absl::string_view prefix) {
  return absl::AsciiStrToLower(absl::StripPrefix(enum_name, prefix));
}

}  // namespace

void PrintEnsembleStatus(const v1::StatusResponse& status, std::ostream& out) {
  std::string leader = "none (election in progress or no quorum)";
  if (status.leader().known()) {
    leader = absl::StrCat(status.leader().leader_id(), " (", status.leader().address().ip(), ":",
                          status.leader().address().port(), ")");
  }
  if (status.awaiting_restore()) {
    out << "cluster " << status.cluster_id()
        << "  AWAITING A RESTORE (dcos zk restore FILE)  answered by " << status.answered_by()
        << "\n";
  } else {
    out << "cluster " << status.cluster_id() << "  leader " << leader << "  quorum "
        << (status.has_quorum() ? "yes" : "NO") << "  answered by " << status.answered_by()
        << "\n";
  }
  out << absl::StrFormat("%-4s %-22s %-12s %-12s %-7s %6s %9s %9s %7s %8s %8s %7s  %s\n", "ID",
                         "ADDRESS", "ROLE", "STATE", "HEALTHY", "TERM", "COMMIT", "APPLIED",
                         "LAG", "SESSIONS", "ZNODES", "WATCHES", "DESCRIPTION");
  for (const v1::Member& m : status.members()) {
    out << absl::StrFormat(
        "%-4d %-22s %-12s %-12s %-7s %6d %9d %9d %7d %8d %8d %7d  %s\n", m.id(),
        absl::StrCat(m.client_address().ip(), ":", m.client_address().port()),
        Short(v1::Member::Role_Name(m.role()), "ROLE_"),
        Short(v1::Member::ServingState_Name(m.serving_state()), "SERVING_STATE_"),
        m.healthy() ? "yes" : "no", m.term(), m.commit_index(), m.applied_index(), m.lag(),
        m.sessions(), m.znode_count(), m.watch_count(), m.description());
  }
}

int RunZkStatus(const Context& ctx, const std::vector<std::string>& args) {
  if (!args.empty()) {
    *ctx.err << "dcos zk status: takes no arguments\n";
    return kExitUsage;
  }
  std::string errors;
  for (const std::string& address : ctx.zk_ensemble) {
    auto stub = v1::Ensemble::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    grpc::ClientContext call;
    call.set_deadline(absl::ToChronoTime(absl::Now() + std::min(ctx.timeout, absl::Seconds(3))));
    v1::StatusResponse status;
    grpc::Status s = stub->Status(&call, v1::StatusRequest(), &status);
    if (s.ok()) {
      PrintEnsembleStatus(status, *ctx.out);
      return status.has_quorum() ? kExitOk : kExitError;
    }
    absl::StrAppend(&errors, "\n  ", address, ": ", s.error_message());
  }
  *ctx.err << "dcos zk status: no member answered:" << errors << "\n";
  return kExitError;
}

}  // namespace dcos::cli
