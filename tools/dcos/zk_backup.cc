#include "tools/dcos/zk_backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include <grpcpp/create_channel.h>

#include "absl/strings/str_cat.h"
#include "protos/zk/v1/ensemble.grpc.pb.h"
#include "services/zk-ensemble/backup_file.h"

namespace dcos::cli {
namespace {

namespace v1 = zk::v1;

// Writes `bytes` to `path` atomically: a temporary file, fsync, rename.
absl::Status WriteAtomically(const std::string& path, const std::string& bytes) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot create ", tmp));
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n <= 0) {
      ::close(fd);
      return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
    }
    written += static_cast<size_t>(n);
  }
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot fsync or rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

}  // namespace

int RunZkBackup(const Context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 1 || args[0].empty() || args[0][0] == '-') {
    *ctx.err << "dcos zk backup: usage: dcos zk backup FILE\n";
    return kExitUsage;
  }
  std::string errors;
  for (const std::string& address : ctx.zk_ensemble) {
    auto stub =
        v1::Ensemble::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    grpc::ClientContext call;
    call.set_deadline(absl::ToChronoTime(absl::Now() + ctx.timeout));
    auto reader = stub->Backup(&call, v1::BackupRequest());
    std::string bytes;
    v1::BackupChunk chunk;
    while (reader->Read(&chunk)) zk::AppendChunk(chunk, &bytes);
    grpc::Status s = reader->Finish();
    if (!s.ok()) {
      absl::StrAppend(&errors, "\n  ", address, ": ", s.error_message());
      continue;
    }
    absl::StatusOr<zk::Backup> backup = zk::ParseBackup(bytes);
    if (!backup.ok()) {
      absl::StrAppend(&errors, "\n  ", address, ": ", backup.status().message());
      continue;
    }
    absl::Status written = WriteAtomically(args[0], bytes);
    if (!written.ok()) {
      *ctx.err << "dcos zk backup: " << written.message() << "\n";
      return kExitError;
    }
    *ctx.out << "Backup of zxid " << backup->header.zxid() << ": "
             << backup->header.znode_count() << " znodes, " << backup->data.size()
             << " bytes -> " << args[0] << "\n";
    return kExitOk;
  }
  *ctx.err << "dcos zk backup: no member could take a backup:" << errors << "\n";
  return kExitError;
}

}  // namespace dcos::cli
