#include "tools/bench/zk_workload.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tools/bench/bench_process.h"

namespace dcos::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

// One closed-loop requester: at most one op of its own in flight, so its fields are touched
// by one thread at a time (the hand-off goes through the driver, which synchronizes).
struct Slot {
  int index = 0;
  int conn = 0;
  uint64_t n = 0;  // ops issued so far
  std::string path;
  SteadyClock::time_point started;
  std::vector<double> latencies_us;
  uint64_t ops_in_window = 0;
  uint64_t errors = 0;
};

// The state of one RunPhase, shared with every callback (which may outlive RunPhase when the
// driver never answers).
struct Run {
  uint64_t id = 0;  // distinct per RunPhase, so scratch nodes never collide with leftovers
  ZkDriver* driver = nullptr;
  Phase phase = Phase::kSet;
  RunOptions options;
  std::vector<std::unique_ptr<Slot>> slots;
  SteadyClock::time_point window_start, window_end;
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable idle;
  int active = 0;  // slots not finished, guarded by mu
};

// Completions that run inside Issue on this thread are queued here and issued by the loop
// below once Issue returns, so a driver that fails at once cannot grow the stack.
thread_local bool tl_in_issue = false;
thread_local std::vector<Slot*> tl_deferred;

ZkOp NextOp(Phase phase, Slot& s) {
  uint64_t n = s.n++;
  switch (phase) {
    case Phase::kSet:
      return ZkOp::kSet;
    case Phase::kGet:
      return ZkOp::kGet;
    case Phase::kCreateDelete:
      return n % 2 == 0 ? ZkOp::kCreate : ZkOp::kDelete;
    case Phase::kMix: {
      uint64_t i = n % 10;
      if (i == 8) return ZkOp::kCreate;
      if (i == 9) return ZkOp::kDelete;
      return i % 2 == 0 ? ZkOp::kGet : ZkOp::kSet;
    }
  }
  return ZkOp::kGet;
}

void IssueLoop(const std::shared_ptr<Run>& run, Slot* first);

void OnDone(const std::shared_ptr<Run>& run, Slot* s, bool ok) {
  auto now = SteadyClock::now();
  if (now >= run->window_start && now <= run->window_end) {
    ++s->ops_in_window;
    if (!ok) ++s->errors;
    if (ok && s->started >= run->window_start) {
      s->latencies_us.push_back(std::chrono::duration<double, std::micro>(now - s->started).count());
    }
  }
  if (tl_in_issue) {
    tl_deferred.push_back(s);
    return;
  }
  IssueLoop(run, s);
}

void IssueLoop(const std::shared_ptr<Run>& run, Slot* first) {
  std::vector<Slot*> work = {first};
  while (!work.empty()) {
    Slot* s = work.back();
    work.pop_back();
    if (run->stopping.load() || SteadyClock::now() > run->window_end) {
      std::lock_guard<std::mutex> lock(run->mu);
      if (--run->active == 0) run->idle.notify_all();
      continue;
    }
    ZkOp op = NextOp(run->phase, *s);
    const RunOptions& o = run->options;
    if (op == ZkOp::kSet || op == ZkOp::kGet) {
      s->path = absl::StrCat(o.key_prefix, s->index % o.keys);
    } else if (op == ZkOp::kCreate) {
      s->path = absl::StrCat(o.scratch_prefix, run->id, "-", s->index, "-", s->n);
    }  // a delete removes the node the slot created last
    s->started = SteadyClock::now();
    tl_in_issue = true;
    run->driver->Issue(s->conn, op, s->path, o.data,
                       [run, s](bool ok) { OnDone(run, s, ok); });
    tl_in_issue = false;
    work.insert(work.end(), tl_deferred.begin(), tl_deferred.end());
    tl_deferred.clear();
  }
}

}  // namespace

Percentiles Summarize(std::vector<double> us) {
  Percentiles p;
  if (us.empty()) return p;
  std::sort(us.begin(), us.end());
  auto at = [&](double q) {
    return us[std::min(us.size() - 1, static_cast<size_t>(q * static_cast<double>(us.size())))];
  };
  p.p50 = at(0.50);
  p.p99 = at(0.99);
  p.p999 = at(0.999);
  return p;
}

const char* PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kSet:
      return "set";
    case Phase::kGet:
      return "get";
    case Phase::kCreateDelete:
      return "create+delete";
    case Phase::kMix:
      return "mix 4get:4set:1c:1d";
  }
  return "?";
}

std::optional<Phase> PhaseNamed(absl::string_view name) {
  for (Phase phase : {Phase::kSet, Phase::kGet, Phase::kCreateDelete, Phase::kMix}) {
    if (name == PhaseName(phase) || (phase == Phase::kMix && name == "mix")) return phase;
  }
  return std::nullopt;
}

absl::Status RunPhase(ZkDriver& driver, Phase phase, const RunOptions& options,
                      PhaseResult* result) {
  driver.TakeFirstError();
  static std::atomic<uint64_t> next_id{0};
  auto run = std::make_shared<Run>();
  run->id = ++next_id;
  run->driver = &driver;
  run->phase = phase;
  run->options = options;
  auto start = SteadyClock::now();
  run->window_start = start + absl::ToChronoNanoseconds(options.warmup);
  run->window_end = run->window_start + absl::ToChronoNanoseconds(options.measure);
  for (int i = 0; i < options.in_flight; ++i) {
    auto s = std::make_unique<Slot>();
    s->index = i;
    s->conn = i % driver.connections();
    run->slots.push_back(std::move(s));
  }
  run->active = options.in_flight;
  for (auto& s : run->slots) IssueLoop(run, s.get());

  // Wait out the window (waking up for Ctrl-C), then for the last ops to finish.
  while (SteadyClock::now() < run->window_end && !g_stop_requested.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  run->stopping.store(true);
  {
    std::unique_lock<std::mutex> lock(run->mu);
    if (!run->idle.wait_for(lock, std::chrono::seconds(60), [&] { return run->active == 0; })) {
      return absl::DeadlineExceededError(
          absl::StrCat(run->active, " requests never finished in phase ", PhaseName(phase)));
    }
  }
  if (g_stop_requested.load()) return absl::AbortedError("stop requested");
  std::vector<double> all;
  PhaseResult r;
  for (auto& s : run->slots) {
    all.insert(all.end(), s->latencies_us.begin(), s->latencies_us.end());
    r.ops += s->ops_in_window;
    r.errors += s->errors;
  }
  r.ops_per_second = static_cast<double>(r.ops) / absl::ToDoubleSeconds(options.measure);
  r.first_error = driver.TakeFirstError();
  r.latency = Summarize(std::move(all));
  *result = r;
  return absl::OkStatus();
}

absl::StatusOr<int> CreateMany(ZkDriver& driver, const std::string& prefix, int count,
                               const std::string& data, int in_flight) {
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    int next = 0;
    int created = 0;
    int lanes = 0;  // lanes still issuing
  };
  auto st = std::make_shared<State>();
  // A lane issues its next create when the previous one succeeded; a failure ends the lane
  // (so a driver that fails at once, inside Issue, cannot recurse).
  auto lane = std::make_shared<std::function<void(int)>>();
  std::weak_ptr<std::function<void(int)>> weak_lane = lane;
  *lane = [&driver, st, prefix, count, &data, weak_lane](int conn) {
    int n;
    {
      std::lock_guard<std::mutex> lock(st->mu);
      if (st->next >= count || g_stop_requested.load()) {
        if (--st->lanes == 0) st->cv.notify_all();
        return;
      }
      n = st->next++;
    }
    driver.Issue(conn, ZkOp::kCreate, absl::StrCat(prefix, n), &data,
                 [st, conn, weak_lane](bool ok) {
                   if (!ok) {
                     std::lock_guard<std::mutex> lock(st->mu);
                     if (--st->lanes == 0) st->cv.notify_all();
                     return;
                   }
                   {
                     std::lock_guard<std::mutex> lock(st->mu);
                     ++st->created;
                   }
                   if (auto f = weak_lane.lock()) (*f)(conn);
                 });
  };
  st->lanes = in_flight;
  for (int i = 0; i < in_flight; ++i) (*lane)(i % driver.connections());
  std::unique_lock<std::mutex> lock(st->mu);
  if (!st->cv.wait_for(lock, std::chrono::minutes(5), [&] { return st->lanes == 0; })) {
    return absl::DeadlineExceededError(absl::StrCat("creating ", count, " nodes under ", prefix));
  }
  if (g_stop_requested.load()) return absl::AbortedError("stop requested");
  return st->created;
}

}  // namespace dcos::bench
