#include "services/agent/fetcher/uri.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace dcos::agent::fetcher {
namespace {

absl::Status Invalid(absl::string_view uri, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("'", uri, "': ", why));
}

// "host[:port]" or "[v6][:port]" into *out.
absl::Status ParseAuthority(absl::string_view uri, absl::string_view authority,
                            uint16_t default_port, ParsedUri* out) {
  if (absl::StrContains(authority, '@')) return Invalid(uri, "user info is not supported");
  absl::string_view host = authority, port;
  if (absl::StartsWith(authority, "[")) {
    size_t close = authority.find(']');
    if (close == absl::string_view::npos) return Invalid(uri, "unclosed '[' in the host");
    host = authority.substr(1, close - 1);
    absl::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return Invalid(uri, "junk after the IPv6 address");
      port = rest.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != absl::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return Invalid(uri, "no host");
  out->host = std::string(host);
  out->port = default_port;
  if (!port.empty()) {
    uint32_t p = 0;
    if (!absl::SimpleAtoi(port, &p) || p == 0 || p > 65535) {
      return Invalid(uri, absl::StrCat("bad port '", port, "'"));
    }
    out->port = static_cast<uint16_t>(p);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ParsedUri> ParseUri(absl::string_view uri) {
  ParsedUri out;
  if (uri.empty()) return absl::InvalidArgumentError("empty URI");
  for (char c : uri) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == ' ') {
      return Invalid(uri, "contains spaces or control characters");
    }
  }
  if (absl::StartsWith(uri, "/")) {
    out.path = std::string(uri);
    return out;
  }
  size_t sep = uri.find("://");
  if (sep == absl::string_view::npos) {
    return Invalid(uri, "neither an absolute path nor scheme://...");
  }
  std::string scheme = absl::AsciiStrToLower(uri.substr(0, sep));
  absl::string_view rest = uri.substr(sep + 3);
  if (scheme == "file") {
    if (absl::StartsWith(rest, "localhost/")) rest.remove_prefix(9);
    if (!absl::StartsWith(rest, "/")) return Invalid(uri, "a file URI needs an absolute path");
    out.path = std::string(rest);
    return out;
  }
  if (scheme != "http" && scheme != "https") {
    return absl::UnimplementedError(absl::StrCat("'", uri, "': unsupported scheme '", scheme,
                                                 "' (file, http and https are)"));
  }
  out.scheme = scheme == "http" ? ParsedUri::Scheme::kHttp : ParsedUri::Scheme::kHttps;
  size_t slash = rest.find_first_of("/?#");
  absl::string_view authority = rest.substr(0, slash);
  absl::Status a = ParseAuthority(uri, authority, scheme == "http" ? 80 : 443, &out);
  if (!a.ok()) return a;
  absl::string_view target =
      slash == absl::string_view::npos ? absl::string_view("/") : rest.substr(slash);
  target = target.substr(0, target.find('#'));
  out.target = absl::StartsWith(target, "/") ? std::string(target) : absl::StrCat("/", target);
  return out;
}

bool StaysInside(absl::string_view relative_path) {
  if (relative_path.empty() || absl::StartsWith(relative_path, "/")) return false;
  if (absl::StrContains(relative_path, '\0')) return false;
  bool any = false;
  for (absl::string_view part : absl::StrSplit(relative_path, '/')) {
    if (part == "..") return false;
    if (!part.empty() && part != ".") any = true;
  }
  return any;
}

absl::StatusOr<std::string> OutputName(const common::v1::CommandURI& uri) {
  if (!uri.output_file().empty()) {
    if (!StaysInside(uri.output_file())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "output_file '", uri.output_file(), "' must be a relative path inside the sandbox"));
    }
    return uri.output_file();
  }
  absl::StatusOr<ParsedUri> parsed = ParseUri(uri.value());
  if (!parsed.ok()) return parsed.status();
  absl::string_view path = parsed->scheme == ParsedUri::Scheme::kFile
                               ? absl::string_view(parsed->path)
                               : absl::string_view(parsed->target);
  path = path.substr(0, path.find('?'));
  absl::string_view name = path.substr(path.rfind('/') + 1);
  if (name.empty() || name == "." || name == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat("'", uri.value(), "' names no file: give output_file"));
  }
  return std::string(name);
}

ArchiveKind ArchiveKindOf(absl::string_view file_name) {
  std::string name = absl::AsciiStrToLower(file_name);
  auto ends = [&](absl::string_view suffix) { return absl::EndsWith(name, suffix); };
  if (ends(".tar")) return ArchiveKind::kTar;
  if (ends(".tar.gz") || ends(".tgz")) return ArchiveKind::kTarGz;
  if (ends(".tar.bz2") || ends(".tbz2") || ends(".tbz")) return ArchiveKind::kTarBz2;
  if (ends(".tar.xz") || ends(".txz")) return ArchiveKind::kTarXz;
  if (ends(".zip")) return ArchiveKind::kZip;
  return ArchiveKind::kNone;
}

const char* ArchiveKindName(ArchiveKind kind) {
  switch (kind) {
    case ArchiveKind::kNone: return "none";
    case ArchiveKind::kTar: return "tar";
    case ArchiveKind::kTarGz: return "tar.gz";
    case ArchiveKind::kTarBz2: return "tar.bz2";
    case ArchiveKind::kTarXz: return "tar.xz";
    case ArchiveKind::kZip: return "zip";
  }
  return "?";
}

absl::Status ValidateUris(
    const google::protobuf::RepeatedPtrField<common::v1::CommandURI>& uris) {
  for (int i = 0; i < uris.size(); ++i) {
    const std::string field = absl::StrCat("task.command.uris[", i, "]");
    if (uris[i].value().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".value: required"));
    }
    if (!uris[i].output_file().empty() && !StaysInside(uris[i].output_file())) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".output_file: '", uris[i].output_file(),
          "' must be a relative path inside the sandbox (no '..', not absolute)"));
    }
    absl::StatusOr<ParsedUri> parsed = ParseUri(uris[i].value());
    if (!parsed.ok() && parsed.status().code() == absl::StatusCode::kInvalidArgument) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".value: ", parsed.status().message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace dcos::agent::fetcher
