#pragma once

// Structured logging: one record per line, text or JSON-lines, to stderr.
//
//   dcos::log::Info("listening").Field("addr", addr).Field("port", 5050);
//
// The record is emitted when the temporary Line is destroyed, at the end of the full expression.
//
// Thread-safety: every function here may be called from any thread. The level check is one
// atomic load; a Line whose level is disabled formats nothing. Each enabled record is written
// with a single write(2) to stderr (or handed to the test sink under a lock), so records from
// different threads never interleave within a line.
//
// Process-wide state (level, format, component, sink) is meant to be set once at start-up, by
// main.cc from the configuration.

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/log/format.h"

namespace dcos::log {

// "debug", "info", "warning" (or "warn"), "error", case-insensitive. InvalidArgument otherwise,
// with a message listing the valid values.
absl::StatusOr<Level> ParseLevel(absl::string_view s);

// "text" or "json", case-insensitive. InvalidArgument otherwise.
absl::StatusOr<Format> ParseFormat(absl::string_view s);

// Records below this level are dropped. Default: kInfo.
void SetLevel(Level level);
Level GetLevel();
bool IsEnabled(Level level);

// Default: kText.
void SetFormat(Format format);

// Name written into every record, e.g. "dcos-master". Default: empty (omitted).
void SetComponent(std::string name);

// Sends every emitted line (without its trailing newline) to `sink` instead of stderr. Calls
// are serialized by an internal lock, so the sink needs no locking of its own; it must not log.
// nullptr restores stderr.
void SetSinkForTest(std::function<void(absl::string_view line)> sink);

// One log record, emitted (if its level is enabled) when destroyed. Build it with Debug(),
// Info(), Warn() or Error() as a temporary; it is neither copyable nor movable.
class Line {
 public:
  Line(Level level, absl::string_view msg);
  ~Line();

  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  Line& Field(absl::string_view key, absl::string_view value);
  Line& Field(absl::string_view key, const char* value);
  Line& Field(absl::string_view key, const std::string& value);
  Line& Field(absl::string_view key, int value);
  Line& Field(absl::string_view key, long value);                // NOLINT(runtime/int)
  Line& Field(absl::string_view key, long long value);           // NOLINT(runtime/int)
  Line& Field(absl::string_view key, unsigned value);
  Line& Field(absl::string_view key, unsigned long value);       // NOLINT(runtime/int)
  Line& Field(absl::string_view key, unsigned long long value);  // NOLINT(runtime/int)
  // Non-finite values are written as the strings "inf", "-inf", "nan".
  Line& Field(absl::string_view key, double value);
  Line& Field(absl::string_view key, bool value);
  // "OK", or the status's ToString() ("NOT_FOUND: no znode /a").
  Line& Field(absl::string_view key, const absl::Status& value);
  // absl::FormatDuration: "1.5s", "250ms".
  Line& Field(absl::string_view key, absl::Duration value);

 private:
  Line& AddLiteral(absl::string_view key, std::string value);

  bool enabled_;
  Record record_;
};

Line Debug(absl::string_view msg);
Line Info(absl::string_view msg);
Line Warn(absl::string_view msg);
Line Error(absl::string_view msg);

}  // namespace dcos::log
