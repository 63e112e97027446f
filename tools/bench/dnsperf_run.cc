#include "tools/bench/dnsperf_run.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace dcos::bench {
namespace {

// The first number after `label` on its line.
bool NumberAfter(const std::string& text, absl::string_view label, double* out) {
  size_t at = absl::string_view(text).find(label);
  if (at == std::string::npos) return false;
  absl::string_view rest = absl::string_view(text).substr(at + label.size());
  rest = absl::StripLeadingAsciiWhitespace(rest);
  return absl::SimpleAtod(rest.substr(0, rest.find_first_of(" \n(")), out);
}

}  // namespace

absl::StatusOr<DnsperfResult> ParseDnsperf(const std::string& output) {
  const size_t stats = output.find("Statistics:");
  if (stats == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("no statistics in dnsperf's output: ",
                                                   output.substr(0, 400)));
  }
  const std::string s = output.substr(stats);
  DnsperfResult r;
  double sent = 0, completed = 0, lost = 0;
  if (!NumberAfter(s, "Queries sent:", &sent) ||
      !NumberAfter(s, "Queries completed:", &completed) ||
      !NumberAfter(s, "Queries lost:", &lost) || !NumberAfter(s, "Queries per second:", &r.qps) ||
      !NumberAfter(s, "Average Latency (s):", &r.avg_latency_s)) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected dnsperf summary: ", s));
  }
  r.sent = static_cast<uint64_t>(sent);
  r.completed = static_cast<uint64_t>(completed);
  r.lost = static_cast<uint64_t>(lost);
  (void)NumberAfter(s, "(min", &r.min_latency_s);
  (void)NumberAfter(s, ", max", &r.max_latency_s);
  (void)NumberAfter(s, "Latency StdDev (s):", &r.stddev_latency_s);
  // "Response codes:       NOERROR 815949 (90.00%), NXDOMAIN 90672 (10.00%)"
  const size_t codes = s.find("Response codes:");
  if (codes != std::string::npos) {
    absl::string_view line = absl::string_view(s).substr(codes + 15);
    line = line.substr(0, line.find('\n'));
    for (absl::string_view part : absl::StrSplit(line, ',', absl::SkipWhitespace())) {
      std::vector<absl::string_view> words =
          absl::StrSplit(absl::StripAsciiWhitespace(part), ' ', absl::SkipEmpty());
      uint64_t n = 0;
      if (words.size() >= 2 && absl::SimpleAtoi(words[1], &n)) r.rcodes[std::string(words[0])] = n;
    }
  }
  return r;
}

absl::StatusOr<std::unique_ptr<ChildProcess>> StartDnsperf(const DnsperfOptions& o,
                                                           const std::string& name,
                                                           const std::string& log_dir) {
  std::vector<std::string> args = {"-s", o.server, "-p", std::to_string(o.port),
                                   "-d", o.queries, "-l", absl::StrCat(o.seconds),
                                   "-c", std::to_string(o.clients),
                                   "-q", std::to_string(o.outstanding),
                                   "-T", std::to_string(o.threads)};
  if (o.edns) args.push_back("-e");
  if (o.max_qps > 0) {
    args.push_back("-Q");
    args.push_back(absl::StrCat(static_cast<int64_t>(o.max_qps)));
  }
  return ChildProcess::Start({name, o.binary, args, log_dir});
}

absl::StatusOr<DnsperfResult> RunDnsperf(const DnsperfOptions& o, const std::string& name,
                                         const std::string& log_dir) {
  auto child = StartDnsperf(o, name, log_dir);
  if (!child.ok()) return child.status();
  const absl::Time deadline = absl::Now() + absl::Seconds(o.seconds + 30);
  while ((*child)->Running()) {
    if (absl::Now() > deadline || g_stop_requested.load()) {
      (*child)->Kill();
      return absl::DeadlineExceededError("dnsperf did not finish");
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return ParseDnsperf((*child)->LogTail(1 << 16));
}

}  // namespace dcos::bench
