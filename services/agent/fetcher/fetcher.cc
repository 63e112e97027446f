#include "services/agent/fetcher/fetcher.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include <google/protobuf/util/json_util.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/agent/fetcher/archive.h"
#include "services/agent/fetcher/uri.h"

namespace dcos::agent::fetcher {
namespace {

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// Copies the local file `from` to the open `out_fd`, within the byte limit.
absl::Status CopyLocal(const std::string& from, int out_fd, uint64_t max_bytes,
                       uint64_t* written) {
  int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return absl::NotFoundError(absl::StrCat("cannot open ", from, ": ",
                                                      std::strerror(errno)));
  struct stat st {};
  if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(in);
    return absl::FailedPreconditionError(absl::StrCat(from, " is not a regular file"));
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    close(in);
    return absl::ResourceExhaustedError(absl::StrCat("larger than ", max_bytes, " bytes"));
  }
  char buf[64 << 10];
  *written = 0;
  for (;;) {
    ssize_t n = read(in, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = Errno("reading", from);
      close(in);
      return s;
    }
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out_fd, buf + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        close(in);
        return absl::InternalError(absl::StrCat("writing: ", std::strerror(errno)));
      }
      done += w;
    }
    *written += static_cast<uint64_t>(n);
  }
  close(in);
  return absl::OkStatus();
}

absl::Status FetchUriInner(const common::v1::CommandURI& uri, const std::string& sandbox,
                           const FetchOptions& options, FILE* log) {
  absl::StatusOr<ParsedUri> parsed = ParseUri(uri.value());
  if (!parsed.ok()) return parsed.status();
  if (parsed->scheme == ParsedUri::Scheme::kHttps) {
    return absl::UnimplementedError(
        "unsupported scheme 'https': this agent's fetcher speaks file and http only");
  }
  absl::StatusOr<std::string> name = OutputName(uri);
  if (!name.ok()) return name.status();
  const std::filesystem::path final_path = std::filesystem::path(sandbox) / *name;
  std::error_code error;
  std::filesystem::create_directories(final_path.parent_path(), error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot create ", final_path.parent_path().string(),
                                            ": ", error.message()));
  }
  const std::string tmp = final_path.string() + ".fetching";
  int out = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (out < 0) return Errno("cannot create", tmp);
  uint64_t written = 0;
  absl::Status got =
      parsed->scheme == ParsedUri::Scheme::kFile
          ? CopyLocal(parsed->path, out, options.http.max_bytes, &written)
          : HttpGet(*parsed, options.http, out, &written);
  if (got.ok() && fsync(out) != 0) got = Errno("fsync", tmp);
  if (close(out) != 0 && got.ok()) got = Errno("close", tmp);
  if (got.ok() && uri.executable() && chmod(tmp.c_str(), 0755) != 0) got = Errno("chmod", tmp);
  if (got.ok() && rename(tmp.c_str(), final_path.c_str()) != 0) got = Errno("rename", tmp);
  if (!got.ok()) {
    unlink(tmp.c_str());
    return got;
  }
  std::fprintf(log, "dcos-fetcher: fetched %s -> %s (%llu bytes%s)\n", uri.value().c_str(),
               name->c_str(), static_cast<unsigned long long>(written),
               uri.executable() ? ", executable" : "");
  const bool extract = !uri.has_extract() || uri.extract();
  ArchiveKind kind = ArchiveKindOf(*name);
  if (extract && kind != ArchiveKind::kNone) {
    std::fflush(log);
    absl::Status unpacked = ExtractArchive(final_path.string(), kind, sandbox);
    if (!unpacked.ok()) {
      return absl::Status(unpacked.code(),
                          absl::StrCat("extracting ", *name, ": ", unpacked.message()));
    }
    std::fprintf(log, "dcos-fetcher: extracted %s (%s) into the sandbox\n", name->c_str(),
                 ArchiveKindName(kind));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status FetchUri(const common::v1::CommandURI& uri, const std::string& sandbox,
                      const FetchOptions& options, FILE* log) {
  std::fprintf(log, "dcos-fetcher: fetching %s\n", uri.value().c_str());
  std::fflush(log);
  absl::Status s = FetchUriInner(uri, sandbox, options, log);
  if (!s.ok()) {
    s = absl::Status(s.code(), absl::StrCat("fetching '", uri.value(), "': ", s.message()));
    std::fprintf(log, "dcos-fetcher: %s\n", std::string(s.message()).c_str());
  }
  std::fflush(log);
  return s;
}

std::vector<std::string> SupervisorFetchArgs(
    const std::string& fetcher_path,
    const google::protobuf::RepeatedPtrField<common::v1::CommandURI>& uris,
    const FetchOptions& options) {
  std::vector<std::string> args = {
      "--fetcher=" + fetcher_path,
      absl::StrCat("--fetch=--timeout_ms=", absl::ToInt64Milliseconds(options.timeout)),
      absl::StrCat("--fetch=--stall_timeout_ms=",
                   absl::ToInt64Milliseconds(options.http.stall_timeout)),
      absl::StrCat("--fetch=--max_bytes=", options.http.max_bytes)};
  for (const common::v1::CommandURI& uri : uris) {
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(uri, &json);
    args.push_back("--fetch=--uri=" + json);
  }
  return args;
}

absl::Status ParseFetcherArgs(const std::vector<std::string>& args,
                              std::vector<common::v1::CommandURI>* uris, FetchOptions* options) {
  for (const std::string& arg : args) {
    absl::string_view value = arg;
    int64_t ms = 0;
    if (absl::ConsumePrefix(&value, "--uri=")) {
      common::v1::CommandURI uri;
      if (!google::protobuf::util::JsonStringToMessage(std::string(value), &uri).ok()) {
        return absl::InvalidArgumentError(absl::StrCat("--uri: not a CommandURI: ", value));
      }
      uris->push_back(std::move(uri));
    } else if (absl::ConsumePrefix(&value, "--timeout_ms=") && absl::SimpleAtoi(value, &ms) &&
               ms > 0) {
      options->timeout = absl::Milliseconds(ms);
    } else if (absl::ConsumePrefix(&value, "--stall_timeout_ms=") &&
               absl::SimpleAtoi(value, &ms) && ms > 0) {
      options->http.stall_timeout = absl::Milliseconds(ms);
    } else if (absl::ConsumePrefix(&value, "--max_bytes=") &&
               absl::SimpleAtoi(value, &options->http.max_bytes)) {
    } else {
      return absl::InvalidArgumentError(absl::StrCat("bad argument '", arg, "'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace dcos::agent::fetcher
