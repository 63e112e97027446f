// dcos-fetcher: fetches a task's URIs into its sandbox (the working directory), run by the
// task's supervisor before the task (supervisor_fetch.h), as the task's user.
//
//   dcos-fetcher --timeout_ms=N --stall_timeout_ms=N --max_bytes=N --uri=<CommandURI JSON>...
//
// Progress and errors go to stderr (the sandbox's stderr file). On failure the one-line reason
// ("fetching 'http://h/app.tgz': HTTP 404 Not Found") is written to fd 3 as well, and the exit
// status is 1 (2 for bad arguments). The whole run is bounded by --timeout_ms: past it the
// fetcher says which URI it was fetching and exits.

#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "services/agent/fetcher/fetcher.h"
#include "services/agent/supervisor_fetch.h"

namespace {

using dcos::agent::supervisor::kFetchMessageFd;

// What to say if the deadline passes now (written by the signal handler, so preformatted).
char g_timeout_message[2048] = "fetching: timed out";

void OnTimeout(int) {
  size_t n = strlen(g_timeout_message);
  ssize_t ignored = write(kFetchMessageFd, g_timeout_message, n);
  ignored = write(STDERR_FILENO, "dcos-fetcher: ", 14);
  ignored = write(STDERR_FILENO, g_timeout_message, n);
  ignored = write(STDERR_FILENO, "\n", 1);
  (void)ignored;
  _exit(1);
}

int Fail(const std::string& message, int code) {
  ssize_t ignored = write(kFetchMessageFd, message.data(), message.size());
  (void)ignored;
  std::fprintf(stderr, "dcos-fetcher: %s\n", message.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  namespace fetcher = dcos::agent::fetcher;
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<dcos::common::v1::CommandURI> uris;
  fetcher::FetchOptions options;
  absl::Status parsed = fetcher::ParseFetcherArgs(args, &uris, &options);
  if (!parsed.ok()) return Fail(std::string(parsed.message()), 2);
  char cwd[4096];
  if (getcwd(cwd, sizeof(cwd)) == nullptr) return Fail("cannot read the sandbox's path", 1);

  struct sigaction sa {};
  sa.sa_handler = OnTimeout;
  sigaction(SIGALRM, &sa, nullptr);
  itimerval timer{};
  const int64_t ms = absl::ToInt64Milliseconds(options.timeout);
  timer.it_value.tv_sec = ms / 1000;
  timer.it_value.tv_usec = (ms % 1000) * 1000;
  setitimer(ITIMER_REAL, &timer, nullptr);

  for (const auto& uri : uris) {
    std::snprintf(g_timeout_message, sizeof(g_timeout_message),
                  "fetching '%s': timed out (agent.fetch_timeout %s for the whole fetch)",
                  uri.value().c_str(), absl::FormatDuration(options.timeout).c_str());
    absl::Status fetched = fetcher::FetchUri(uri, cwd, options, stderr);
    if (!fetched.ok()) {
      std::string message(fetched.message());
      ssize_t ignored = write(kFetchMessageFd, message.data(), message.size());
      (void)ignored;
      return 1;
    }
  }
  return 0;
}
