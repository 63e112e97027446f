#include "libs/log/format.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace dcos::log {
namespace {

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

void AppendHexEscape(std::string* out, const char* prefix, unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%s%02x", prefix, c);
  out->append(buf);
}

// Escapes for the text format, shared by quoted values and the bare message.
void AppendTextEscaped(std::string* out, absl::string_view s, bool escape_quotes) {
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\\':
        if (escape_quotes) {
          out->append("\\\\");
        } else {
          out->push_back(ch);
        }
        break;
      case '"':
        if (escape_quotes) {
          out->append("\\\"");
        } else {
          out->push_back(ch);
        }
        break;
      default:
        if (IsControl(c)) {
          AppendHexEscape(out, "\\x", c);
        } else {
          out->push_back(ch);
        }
    }
  }
}

bool NeedsQuotes(absl::string_view s) {
  if (s.empty()) return true;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (ch == ' ' || ch == '"' || ch == '=' || IsControl(c)) return true;
  }
  return false;
}

}  // namespace

absl::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarning: return "WARNING";
    case Level::kError: return "ERROR";
  }
  return "UNKNOWN";
}

std::string FormatTimestamp(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

void AppendJsonString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          AppendHexEscape(out, "\\u00", c);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

void AppendTextValue(std::string* out, absl::string_view s) {
  if (!NeedsQuotes(s)) {
    out->append(s.data(), s.size());
    return;
  }
  out->push_back('"');
  AppendTextEscaped(out, s, /*escape_quotes=*/true);
  out->push_back('"');
}

std::string FormatText(const Record& record) {
  std::string out = FormatTimestamp(record.time);
  absl::StrAppend(&out, " ", LevelName(record.level));
  if (!record.component.empty()) {
    out.push_back(' ');
    AppendTextEscaped(&out, record.component, /*escape_quotes=*/false);
  }
  out.push_back(' ');
  AppendTextEscaped(&out, record.msg, /*escape_quotes=*/false);
  for (const FieldValue& f : record.fields) {
    out.push_back(' ');
    AppendTextEscaped(&out, f.key, /*escape_quotes=*/false);
    out.push_back('=');
    AppendTextValue(&out, f.value);
  }
  return out;
}

std::string FormatJson(const Record& record) {
  std::string out = "{\"ts\":";
  AppendJsonString(&out, FormatTimestamp(record.time));
  std::string level(LevelName(record.level));
  for (char& c : level) c = static_cast<char>(c - 'A' + 'a');
  out.append(",\"level\":");
  AppendJsonString(&out, level);
  if (!record.component.empty()) {
    out.append(",\"component\":");
    AppendJsonString(&out, record.component);
  }
  out.append(",\"msg\":");
  AppendJsonString(&out, record.msg);
  for (const FieldValue& f : record.fields) {
    out.push_back(',');
    AppendJsonString(&out, f.key);
    out.push_back(':');
    if (f.json_literal) {
      out.append(f.value);
    } else {
      AppendJsonString(&out, f.value);
    }
  }
  out.push_back('}');
  return out;
}

std::string FormatRecord(Format format, const Record& record) {
  return format == Format::kJson ? FormatJson(record) : FormatText(record);
}

}  // namespace dcos::log
