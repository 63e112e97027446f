#include "tools/dcos/zk_restore.h"

#include <fstream>
#include <iterator>

#include <grpcpp/create_channel.h>

#include "libs/status/grpc_status.h"
#include "protos/zk/v1/ensemble.grpc.pb.h"
#include "services/zk-ensemble/backup_file.h"

namespace dcos::cli {

namespace v1 = zk::v1;

int RunZkRestore(const Context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 1 || args[0].empty() || args[0][0] == '-') {
    *ctx.err << "dcos zk restore: usage: dcos --zk=HOST:PORT zk restore FILE\n";
    return kExitUsage;
  }
  if (ctx.zk_ensemble.size() != 1) {
    *ctx.err << "dcos zk restore: --zk must name exactly one member, the one started with "
                "--zk.restore_mode (it has " << ctx.zk_ensemble.size() << ")\n";
    return kExitUsage;
  }
  const std::string& file = args[0];
  const std::string& address = ctx.zk_ensemble[0];
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    *ctx.err << "dcos zk restore: cannot read " << file << "\n";
    return kExitError;
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Only the framing is read here; the member checks the chunks themselves.
  absl::StatusOr<std::vector<v1::BackupChunk>> chunks = zk::SplitChunks(bytes);
  if (!chunks.ok()) {
    *ctx.err << "dcos zk restore: " << file << ": " << chunks.status().message() << "\n";
    return kExitError;
  }

  auto stub =
      v1::Ensemble::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext call;
  call.set_deadline(absl::ToChronoTime(absl::Now() + ctx.timeout));
  v1::RestoreResponse response;
  auto writer = stub->Restore(&call, &response);
  for (const v1::BackupChunk& chunk : *chunks) {
    if (!writer->Write(chunk)) break;  // the member ended the call: Finish says why
  }
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  if (!s.ok()) {
    absl::Status error = status::FromGrpc(s);
    *ctx.err << "dcos zk restore: " << address << ": " << absl::StatusCodeToString(error.code())
             << ": " << error.message() << "\n";
    return kExitError;
  }
  *ctx.out << "Restored zxid " << response.zxid() << ": " << response.znode_count()
           << " znodes from " << file << " into " << address << ", a new ensemble (cluster "
           << response.cluster_id() << ") of one member; add the others with `dcos zk member "
           << "add` (started with --raft.join --raft.cluster_id=" << response.cluster_id() << ")\n";
  return kExitOk;
}

}  // namespace dcos::cli
