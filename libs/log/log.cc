#include "libs/log/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace dcos::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::atomic<int> g_format{static_cast<int>(Format::kText)};

// Guards the component name and the sink; also serializes calls to the sink.
absl::Mutex g_mu;
std::string* g_component ABSL_GUARDED_BY(g_mu) = new std::string;
std::function<void(absl::string_view)>* g_sink ABSL_GUARDED_BY(g_mu) = nullptr;

// Writes all of `data` to stderr; one write(2) unless the kernel takes it in parts.
void WriteStderr(absl::string_view data) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // Nowhere left to report the failure.
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

absl::StatusOr<Level> ParseLevel(absl::string_view s) {
  std::string v = absl::AsciiStrToLower(s);
  if (v == "debug") return Level::kDebug;
  if (v == "info") return Level::kInfo;
  if (v == "warning" || v == "warn") return Level::kWarning;
  if (v == "error") return Level::kError;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown log level \"", s, "\"; valid levels: debug, info, warning (or warn), error"));
}

absl::StatusOr<Format> ParseFormat(absl::string_view s) {
  std::string v = absl::AsciiStrToLower(s);
  if (v == "text") return Format::kText;
  if (v == "json") return Format::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log format \"", s, "\"; valid formats: text, json"));
}

void SetLevel(Level level) { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }

Level GetLevel() { return static_cast<Level>(g_level.load(std::memory_order_relaxed)); }

bool IsEnabled(Level level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void SetFormat(Format format) {
  g_format.store(static_cast<int>(format), std::memory_order_relaxed);
}

void SetComponent(std::string name) {
  absl::MutexLock lock(&g_mu);
  *g_component = std::move(name);
}

void SetSinkForTest(std::function<void(absl::string_view line)> sink) {
  absl::MutexLock lock(&g_mu);
  delete g_sink;
  g_sink = sink ? new std::function<void(absl::string_view)>(std::move(sink)) : nullptr;
}

Line::Line(Level level, absl::string_view msg) : enabled_(IsEnabled(level)) {
  if (!enabled_) return;
  record_.level = level;
  record_.msg = std::string(msg);
}

Line::~Line() {
  if (!enabled_) return;
  record_.time = absl::Now();
  Format format = static_cast<Format>(g_format.load(std::memory_order_relaxed));
  absl::MutexLock lock(&g_mu);
  record_.component = *g_component;
  std::string line = FormatRecord(format, record_);
  if (g_sink != nullptr) {
    (*g_sink)(line);
    return;
  }
  line.push_back('\n');
  WriteStderr(line);
}

Line& Line::AddLiteral(absl::string_view key, std::string value) {
  record_.fields.push_back(FieldValue{std::string(key), std::move(value), true});
  return *this;
}

Line& Line::Field(absl::string_view key, absl::string_view value) {
  if (!enabled_) return *this;
  record_.fields.push_back(FieldValue{std::string(key), std::string(value), false});
  return *this;
}

Line& Line::Field(absl::string_view key, const char* value) {
  return Field(key, absl::string_view(value == nullptr ? "" : value));
}

Line& Line::Field(absl::string_view key, const std::string& value) {
  return Field(key, absl::string_view(value));
}

Line& Line::Field(absl::string_view key, int value) {
  return Field(key, static_cast<long long>(value));  // NOLINT(runtime/int)
}

Line& Line::Field(absl::string_view key, long value) {  // NOLINT(runtime/int)
  return Field(key, static_cast<long long>(value));     // NOLINT(runtime/int)
}

Line& Line::Field(absl::string_view key, long long value) {  // NOLINT(runtime/int)
  if (!enabled_) return *this;
  return AddLiteral(key, absl::StrCat(value));
}

Line& Line::Field(absl::string_view key, unsigned value) {
  return Field(key, static_cast<unsigned long long>(value));  // NOLINT(runtime/int)
}

Line& Line::Field(absl::string_view key, unsigned long value) {  // NOLINT(runtime/int)
  return Field(key, static_cast<unsigned long long>(value));     // NOLINT(runtime/int)
}

Line& Line::Field(absl::string_view key, unsigned long long value) {  // NOLINT(runtime/int)
  if (!enabled_) return *this;
  return AddLiteral(key, absl::StrCat(value));
}

Line& Line::Field(absl::string_view key, double value) {
  if (!enabled_) return *this;
  if (std::isnan(value)) return Field(key, absl::string_view("nan"));
  if (std::isinf(value)) return Field(key, absl::string_view(value > 0 ? "inf" : "-inf"));
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);  // shortest round-trip form
  return AddLiteral(key, std::string(buf, ec == std::errc() ? end : buf));
}

Line& Line::Field(absl::string_view key, bool value) {
  if (!enabled_) return *this;
  return AddLiteral(key, value ? "true" : "false");
}

Line& Line::Field(absl::string_view key, const absl::Status& value) {
  if (!enabled_) return *this;
  return Field(key, absl::string_view(value.ok() ? std::string("OK") : value.ToString()));
}

Line& Line::Field(absl::string_view key, absl::Duration value) {
  if (!enabled_) return *this;
  return Field(key, absl::string_view(absl::FormatDuration(value)));
}

Line Debug(absl::string_view msg) { return Line(Level::kDebug, msg); }
Line Info(absl::string_view msg) { return Line(Level::kInfo, msg); }
Line Warn(absl::string_view msg) { return Line(Level::kWarning, msg); }
Line Error(absl::string_view msg) { return Line(Level::kError, msg); }

}  // namespace dcos::log
