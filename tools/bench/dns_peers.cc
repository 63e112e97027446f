#include "tools/bench/dns_peers.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"

namespace dcos::bench {
namespace {

constexpr char kSetpriv[] = "/usr/bin/setpriv";

// Makes `dir` and the files in it belong to nobody when running as root.
absl::Status HandToNobody(const std::string& dir) {
  if (geteuid() != 0) return absl::OkStatus();
  const passwd* user = getpwnam("nobody");
  const group* grp = getgrnam("nogroup");
  if (user == nullptr || grp == nullptr) {
    return absl::FailedPreconditionError("no user nobody / group nogroup to run the peers as");
  }
  std::error_code error;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, error)) {
    if (chown(entry.path().c_str(), user->pw_uid, grp->gr_gid) != 0) {
      return absl::InternalError(absl::StrCat("chown ", entry.path().string()));
    }
  }
  if (chown(dir.c_str(), user->pw_uid, grp->gr_gid) != 0) {
    return absl::InternalError(absl::StrCat("chown ", dir));
  }
  // The directory above (a private temp dir) must let nobody through.
  const std::filesystem::path parent = std::filesystem::path(dir).parent_path();
  struct stat st;
  if (stat(parent.c_str(), &st) == 0 && chmod(parent.c_str(), st.st_mode | S_IXOTH) != 0) {
    return absl::InternalError(absl::StrCat("chmod o+x ", parent.string()));
  }
  return absl::OkStatus();
}

// `binary args...`, behind setpriv to nobody when running as root.
absl::StatusOr<std::unique_ptr<ChildProcess>> StartAsNobody(const std::string& name,
                                                            const std::string& binary,
                                                            std::vector<std::string> args,
                                                            const std::string& dir) {
  if (access(binary.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(binary, " is missing (Debian package ", name == "named" ? "bind9" : "nsd",
                     "; tools/bench/run_dns_bench.sh installs it)"));
  }
  DCOS_RETURN_IF_ERROR(HandToNobody(dir));
  ChildProcess::Options o{name, binary, std::move(args), dir};
  if (geteuid() == 0) {
    o.args.insert(o.args.begin(), {"--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                   "--inh-caps=-all", "--", binary});
    o.binary = kSetpriv;
  }
  return ChildProcess::Start(o);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> StartBind(const PeerOptions& o) {
  const std::string conf = absl::StrCat(o.dir, "/named.conf");
  DCOS_RETURN_IF_ERROR(WriteFile(absl::StrCat(o.dir, "/", o.zone, ".zone"), o.zone_text));
  DCOS_RETURN_IF_ERROR(WriteFile(
      conf, absl::StrCat("options {\n"
                         "  directory \"", o.dir, "\";\n"
                         "  pid-file \"", o.dir, "/named.pid\";\n"
                         "  session-keyfile \"", o.dir, "/session.key\";\n"
                         "  listen-on port ", o.port, " { ", o.ip, "; };\n"
                         "  listen-on-v6 { none; };\n"
                         "  recursion no;\n"
                         "  dnssec-validation no;\n"
                         "  notify no;\n"
                         "  allow-transfer { none; };\n"
                         // 9.18.28+ refuses RRsets over 100 records (slave.mesos has one per
                         // agent) unless told otherwise.
                         "  max-records-per-type 0;\n"
                         "  max-types-per-name 0;\n"
                         "};\n"
                         "controls { };\n"
                         "zone \"", o.zone, "\" {\n"
                         "  type primary;\n"
                         "  file \"", o.dir, "/", o.zone, ".zone\";\n"
                         "};\n")));
  return StartAsNobody("named", "/usr/sbin/named",
                       {"-g", "-c", conf, "-n", std::to_string(o.threads)}, o.dir);
}

absl::StatusOr<std::unique_ptr<ChildProcess>> StartNsd(const PeerOptions& o) {
  const std::string conf = absl::StrCat(o.dir, "/nsd.conf");
  DCOS_RETURN_IF_ERROR(WriteFile(absl::StrCat(o.dir, "/", o.zone, ".zone"), o.zone_text));
  DCOS_RETURN_IF_ERROR(WriteFile(
      conf, absl::StrCat("server:\n"
                         "  ip-address: ", o.ip, "@", o.port, "\n"
                         "  port: ", o.port, "\n"
                         "  do-ip6: no\n"
                         "  server-count: ", o.threads, "\n"
                         "  reuseport: yes\n"
                         "  username: \"\"\n"
                         "  chroot: \"\"\n"
                         "  zonesdir: \"", o.dir, "\"\n"
                         "  database: \"\"\n"
                         "  zonelistfile: \"", o.dir, "/zone.list\"\n"
                         "  pidfile: \"", o.dir, "/nsd.pid\"\n"
                         "  xfrdfile: \"", o.dir, "/xfrd.state\"\n"
                         "  xfrdir: \"", o.dir, "\"\n"
                         "  verbosity: 1\n"
                         "  rrl-ratelimit: 0\n"
                         "  rrl-whitelist-ratelimit: 0\n"
                         "remote-control:\n"
                         "  control-enable: no\n"
                         "zone:\n"
                         "  name: \"", o.zone, "\"\n"
                         "  zonefile: \"", o.zone, ".zone\"\n")));
  return StartAsNobody("nsd", "/usr/sbin/nsd", {"-d", "-c", conf}, o.dir);
}

}  // namespace dcos::bench
