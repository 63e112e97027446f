// `dcos task log` and `dcos task ls`: a task's sandbox, read through its agent's API. The task
// is found on the master (Operator.GetTasks: an exact id, or a prefix that names one task),
// its agent's address too (Operator.GetAgents); then Agent.ReadFile / Agent.ListFiles.

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "protos/agent/v1/agent.grpc.pb.h"
#include "protos/master/v1/operator.grpc.pb.h"
#include "tools/dcos/task_commands.h"

namespace dcos::cli {
namespace {

namespace mv1 = master::v1;
namespace av1 = agent::v1;
namespace cv1 = common::v1;

constexpr absl::Duration kFollowPoll = absl::Milliseconds(250);

void Deadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

// Where a task's sandbox can be read.
struct Located {
  cv1::Task task;
  bool terminal = false;
  std::string agent;  // host:port of its agent's API
};

absl::StatusOr<Located> Locate(const std::string& master, const std::string& task_id) {
  auto op = mv1::Operator::NewStub(grpc::CreateChannel(master, grpc::InsecureChannelCredentials()));
  mv1::GetTasksResponse tasks;
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    grpc::Status s = op->GetTasks(&ctx, {}, &tasks);
    if (!s.ok()) {
      return absl::UnavailableError(absl::StrCat("the master at ", master, ": ", s.error_message()));
    }
  }
  std::vector<Located> found;
  for (const auto* list : {&tasks.tasks(), &tasks.completed_tasks()}) {
    for (const cv1::Task& t : *list) {
      const std::string& id = t.task_id().value();
      if (id == task_id) {
        found = {{t, list == &tasks.completed_tasks(), ""}};
        break;
      }
      if (absl::StartsWith(id, task_id)) found.push_back({t, list == &tasks.completed_tasks(), ""});
    }
    if (found.size() == 1 && found[0].task.task_id().value() == task_id) break;
  }
  if (found.empty()) return absl::NotFoundError(absl::StrCat("no task '", task_id, "'"));
  if (found.size() > 1) {
    std::vector<std::string> ids;
    for (const Located& l : found) ids.push_back(l.task.task_id().value());
    return absl::InvalidArgumentError(
        absl::StrCat("'", task_id, "' names several tasks: ", absl::StrJoin(ids, ", ")));
  }
  Located l = found[0];
  mv1::GetAgentsResponse agents;
  grpc::ClientContext ctx;
  Deadline(&ctx);
  grpc::Status s = op->GetAgents(&ctx, {}, &agents);
  if (!s.ok()) return absl::UnavailableError(s.error_message());
  for (const mv1::Agent& a : agents.agents()) {
    if (a.agent_info().id().value() != l.task.agent_id().value()) continue;
    const cv1::Address& addr = a.agent_info().address();
    l.agent = absl::StrCat(addr.ip().empty() ? addr.hostname() : addr.ip(), ":", addr.port());
    return l;
  }
  return absl::NotFoundError(
      absl::StrCat("the agent ", l.task.agent_id().value(), " of task '", task_id, "' is not known"));
}

av1::FileLocation Where(const cv1::Task& task, const std::string& path) {
  av1::FileLocation l;
  *l.mutable_task_id() = task.task_id();
  *l.mutable_framework_id() = task.framework_id();
  l.set_path(path);
  return l;
}

absl::StatusOr<av1::ReadFileResponse> Read(av1::Agent::Stub& agent, const av1::FileLocation& where,
                                           uint64_t offset, std::optional<uint64_t> length) {
  av1::ReadFileRequest req;
  *req.mutable_location() = where;
  req.set_offset(offset);
  if (length.has_value()) req.set_length(*length);
  av1::ReadFileResponse resp;
  grpc::ClientContext ctx;
  Deadline(&ctx);
  grpc::Status s = agent.ReadFile(&ctx, req, &resp);
  if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  return resp;
}

// Flags --master, --follow, --lines=N and the positional arguments.
struct Parsed {
  std::string master;
  bool follow = false;
  int64_t lines = 10;
  std::vector<std::string> positional;
};

absl::StatusOr<Parsed> Parse(const Context& ctx, const std::vector<std::string>& args, bool log) {
  Parsed p;
  p.master = ctx.master.empty() ? kDefaultMaster : ctx.master;  // global --master / $DCOS_MASTER
  for (const std::string& a : args) {
    if (absl::StartsWith(a, "--master=")) {
      p.master = a.substr(9);
    } else if (log && a == "--follow") {
      p.follow = true;
    } else if (log && absl::StartsWith(a, "--lines=")) {
      if (!absl::SimpleAtoi(a.substr(8), &p.lines) || p.lines < 0) {
        return absl::InvalidArgumentError(absl::StrCat("--lines: \"", a.substr(8), "\" is not a count"));
      }
    } else if (absl::StartsWith(a, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag \"", a, "\""));
    } else {
      p.positional.push_back(a);
    }
  }
  if (p.positional.empty() || p.positional.size() > 2) {
    return absl::InvalidArgumentError(log ? "expected <task> [file]" : "expected <task> [path]");
  }
  return p;
}

// The last `lines` lines of `text` (all of it if it has fewer).
std::string LastLines(const std::string& text, int64_t lines) {
  size_t at = text.size();
  if (at > 0 && text[at - 1] == '\n') --at;
  for (int64_t n = 0; n < lines; ++n) {
    size_t nl = at == 0 ? std::string::npos : text.rfind('\n', at - 1);
    if (nl == std::string::npos) return text;
    at = nl;
  }
  return text.substr(at + 1);
}

std::string ModeString(uint32_t mode) {
  std::string s = S_ISDIR(mode) ? "d" : S_ISLNK(mode) ? "l" : "-";
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) s += (mode & (0400 >> i)) ? rwx[i] : '-';
  return s;
}

}  // namespace

int TaskLog(const Context& ctx, const std::vector<std::string>& args) {
  absl::StatusOr<Parsed> p = Parse(ctx, args, /*log=*/true);
  if (!p.ok()) {
    *ctx.err << "dcos task log: " << p.status().message()
             << "\nUsage: dcos task log [--follow] [--lines=N] [--master=HOST:PORT] <task> [file]\n";
    return kExitUsage;
  }
  absl::StatusOr<Located> where = Locate(p->master, p->positional[0]);
  if (!where.ok()) {
    *ctx.err << "dcos task log: " << where.status().message() << "\n";
    return kExitError;
  }
  const std::string file = p->positional.size() > 1 ? p->positional[1] : "stdout";
  auto agent = av1::Agent::NewStub(grpc::CreateChannel(where->agent, grpc::InsecureChannelCredentials()));
  const av1::FileLocation location = Where(where->task, file);
  absl::StatusOr<av1::ReadFileResponse> head = Read(*agent, location, 0, 0);
  if (!head.ok()) {
    *ctx.err << "dcos task log: " << file << " of " << where->task.task_id().value() << " on "
             << where->agent << ": " << head.status().message() << "\n";
    return kExitError;
  }
  // The tail: the last MiB is plenty for the last N lines of a log.
  uint64_t offset = head->size() > (1u << 20) ? head->size() - (1u << 20) : 0;
  absl::StatusOr<av1::ReadFileResponse> tail = Read(*agent, location, offset, std::nullopt);
  if (!tail.ok()) {
    *ctx.err << "dcos task log: " << tail.status().message() << "\n";
    return kExitError;
  }
  *ctx.out << LastLines(tail->data(), p->lines);
  ctx.out->flush();
  offset += tail->data().size();
  bool terminal = where->terminal;
  absl::Time next_state_check = absl::Now() + absl::Seconds(1);
  while (p->follow) {
    absl::StatusOr<av1::ReadFileResponse> more = Read(*agent, location, offset, std::nullopt);
    if (!more.ok()) {
      *ctx.err << "dcos task log: " << more.status().message() << "\n";
      return kExitError;
    }
    *ctx.out << more->data();
    ctx.out->flush();
    offset += more->data().size();
    if (more->data().empty()) {
      if (terminal) break;  // ended, and everything it wrote has been shown
      if (absl::Now() >= next_state_check) {
        absl::StatusOr<Located> now = Locate(p->master, where->task.task_id().value());
        terminal = now.ok() && now->terminal;
        next_state_check = absl::Now() + absl::Seconds(1);
        if (terminal) continue;  // one more read for what it wrote last
      }
      absl::SleepFor(kFollowPoll);  // tail -f: poll the file
    }
  }
  return kExitOk;
}

int TaskLs(const Context& ctx, const std::vector<std::string>& args) {
  absl::StatusOr<Parsed> p = Parse(ctx, args, /*log=*/false);
  if (!p.ok()) {
    *ctx.err << "dcos task ls: " << p.status().message()
             << "\nUsage: dcos task ls [--master=HOST:PORT] <task> [path]\n";
    return kExitUsage;
  }
  absl::StatusOr<Located> where = Locate(p->master, p->positional[0]);
  if (!where.ok()) {
    *ctx.err << "dcos task ls: " << where.status().message() << "\n";
    return kExitError;
  }
  auto agent = av1::Agent::NewStub(grpc::CreateChannel(where->agent, grpc::InsecureChannelCredentials()));
  av1::ListFilesRequest req;
  *req.mutable_location() = Where(where->task, p->positional.size() > 1 ? p->positional[1] : "");
  av1::ListFilesResponse resp;
  grpc::ClientContext call;
  Deadline(&call);
  grpc::Status s = agent->ListFiles(&call, req, &resp);
  if (!s.ok()) {
    *ctx.err << "dcos task ls: " << s.error_message() << "\n";
    return kExitError;
  }
  for (const av1::FileInfo& f : resp.files()) {
    std::string name = f.path().substr(f.path().rfind('/') + 1);
    *ctx.out << absl::StrFormat("%s %3d %-8s %-8s %10d %s %s\n", ModeString(f.mode()), f.nlink(),
                                f.uid(), f.gid(), f.size(),
                                absl::FormatTime("%Y-%m-%d %H:%M",
                                                 absl::FromUnixSeconds(f.mtime().seconds()),
                                                 absl::UTCTimeZone()),
                                name);
  }
  return kExitOk;
}

}  // namespace dcos::cli
