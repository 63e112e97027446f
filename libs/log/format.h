#pragma once

// Pure formatting of one log record into one line (no trailing newline). No I/O, no clock:
// log.cc stamps the time and writes the line; tests call these directly with a fixed time.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace dcos::log {

enum class Level { kDebug, kInfo, kWarning, kError };
enum class Format { kText, kJson };

// One key/value pair. `json_literal` values (numbers, booleans) are written unquoted in JSON;
// every other value is a string.
struct FieldValue {
  std::string key;
  std::string value;
  bool json_literal = false;
};

struct Record {
  absl::Time time;
  Level level = Level::kInfo;
  std::string component;  // omitted from the line when empty
  std::string msg;
  std::vector<FieldValue> fields;
};

// "DEBUG", "INFO", "WARNING", "ERROR".
absl::string_view LevelName(Level level);

// `2026-11-25T20:20:01.123456Z INFO dcos-master listening addr=127.0.0.1:5050 port=5050`.
// The message is written as is except that control characters are escaped, so a record is
// always one line. A value is double-quoted (with \" \\ \n \r \t \xNN escapes) when it is empty
// or contains a space, '"', '=', or a control character.
std::string FormatText(const Record& record);

// `{"ts":"...","level":"info","component":"dcos-master","msg":"listening","port":5050}`.
std::string FormatJson(const Record& record);

std::string FormatRecord(Format format, const Record& record);

// Appends `s` as a JSON string literal, quotes included.
void AppendJsonString(std::string* out, absl::string_view s);

// Appends `s` for the text format: bare when safe, otherwise quoted and escaped.
void AppendTextValue(std::string* out, absl::string_view s);

// RFC 3339 in UTC with microseconds: 2026-11-25T20:20:01.123456Z.
std::string FormatTimestamp(absl::Time t);

}  // namespace dcos::log
