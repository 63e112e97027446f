// Ensemble.Restore: a backup streamed into a member that awaits one (zk.restore_mode).

#include "absl/strings/str_cat.h"
#include "libs/log/log.h"
#include "libs/status/grpc_status.h"
#include "services/zk-ensemble/backup_stream.h"
#include "services/zk-ensemble/ensemble_service.h"

namespace dcos::zk {
namespace {

grpc::Status Refused(const absl::Status& error) {
  log::Warn("restore refused").Field("error", error);
  return status::ToGrpc(absl::Status(
      error.code(),
      absl::StrCat(error.message(), "; nothing was restored (the member still awaits a restore)")));
}

}  // namespace

grpc::Status EnsembleService::CheckRestorable() const {
  if (options_.restore == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this member was not started in restore mode; restore into a new member "
                        "started with --zk.restore_mode on an empty raft.dir");
  }
  if (!options_.restore->AwaitingRestore()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this member awaits no restore: it holds state (restored already, or "
                        "started on a raft.dir that was not empty)");
  }
  return grpc::Status::OK;
}

grpc::Status EnsembleService::Restore(grpc::ServerContext* context,
                                      grpc::ServerReader<v1::BackupChunk>* reader,
                                      v1::RestoreResponse* response) {
  if (grpc::Status restorable = CheckRestorable(); !restorable.ok()) return restorable;
  if (restore_running_.exchange(true)) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "another Restore is under way on this member");
  }
  struct Release {
    std::atomic<bool>* running;
    ~Release() { running->store(false); }
  } release{&restore_running_};

  BackupAssembler assembler;
  v1::BackupChunk chunk;
  bool header_checked = false;
  while (reader->Read(&chunk)) {
    absl::Status added = assembler.Add(std::move(chunk));
    if (!added.ok()) return Refused(added);
    if (!header_checked && assembler.header().has_value()) {
      header_checked = true;
      absl::Status new_ensemble = CheckRestoreCluster(*assembler.header(), options_.cluster_id);
      if (!new_ensemble.ok()) return Refused(new_ensemble);
    }
  }
  if (context->IsCancelled()) {
    return Refused(absl::CancelledError("the call was cancelled"));
  }
  absl::StatusOr<zk::Backup> backup = assembler.Finish();  // `Backup` alone is the RPC
  if (!backup.ok()) return Refused(backup.status());
  absl::Status installed = options_.restore->Install(*backup);
  if (!installed.ok()) {
    // A tree that does not restore, or a storage error before the snapshot was in place.
    if (options_.restore->AwaitingRestore()) return Refused(installed);
    log::Error("restore: installed but not started").Field("error", installed);
    return status::ToGrpc(installed);
  }
  response->set_zxid(backup->header.zxid());
  response->set_znode_count(backup->header.znode_count());
  response->set_cluster_id(options_.cluster_id);
  return grpc::Status::OK;
}

}  // namespace dcos::zk
