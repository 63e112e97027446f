#include "services/agent/fetcher/uri.h"

#include <catch2/catch.hpp>

#include "services/agent/fetcher/archive.h"
#include "services/agent/fetcher/fetcher.h"

namespace dcos::agent::fetcher {
namespace {

common::v1::CommandURI Uri(const std::string& value, const std::string& output_file = "") {
  common::v1::CommandURI uri;
  uri.set_value(value);
  uri.set_output_file(output_file);
  return uri;
}

TEST_CASE("ParseUri: local paths, file://, http(s):// with ports and targets") {
  auto local = ParseUri("/srv/app.tgz");
  REQUIRE(local.ok());
  CHECK(local->scheme == ParsedUri::Scheme::kFile);
  CHECK(local->path == "/srv/app.tgz");

  auto file = ParseUri("file:///srv/a%20b");
  REQUIRE(file.ok());
  CHECK(file->path == "/srv/a%20b");
  CHECK(ParseUri("file://localhost/srv/x")->path == "/srv/x");

  auto http = ParseUri("HTTP://example.org:8080/a/b.tar.gz?v=1#frag");
  REQUIRE(http.ok());
  CHECK(http->scheme == ParsedUri::Scheme::kHttp);
  CHECK(http->host == "example.org");
  CHECK(http->port == 8080);
  CHECK(http->target == "/a/b.tar.gz?v=1");

  auto bare = ParseUri("http://example.org");
  REQUIRE(bare.ok());
  CHECK(bare->port == 80);
  CHECK(bare->target == "/");
  CHECK(ParseUri("https://h/x")->port == 443);
  auto v6 = ParseUri("http://[::1]:9000/x");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->port == 9000);
}

TEST_CASE("ParseUri: bad input is refused, naming what is wrong") {
  CHECK(ParseUri("").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseUri("relative/path").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseUri("file://relative").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseUri("http://:80/x").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseUri("http://h:0/x").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseUri("http://h:99999/x").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseUri("http://u:p@h/x").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseUri("http://h/a b").status().code() == absl::StatusCode::kInvalidArgument);
  auto ftp = ParseUri("ftp://h/x");
  CHECK(ftp.status().code() == absl::StatusCode::kUnimplemented);
  CHECK_THAT(std::string(ftp.status().message()), Catch::Contains("unsupported scheme 'ftp'"));
}

TEST_CASE("StaysInside: relative paths without '..' only") {
  CHECK(StaysInside("a"));
  CHECK(StaysInside("dir/a.txt"));
  CHECK(StaysInside("./a"));
  CHECK(StaysInside("a/./b"));
  CHECK_FALSE(StaysInside(""));
  CHECK_FALSE(StaysInside("."));
  CHECK_FALSE(StaysInside("/etc/passwd"));
  CHECK_FALSE(StaysInside(".."));
  CHECK_FALSE(StaysInside("../x"));
  CHECK_FALSE(StaysInside("a/../../x"));
  CHECK_FALSE(StaysInside("a/.."));
}

TEST_CASE("OutputName: output_file, else the URI's last segment") {
  CHECK(*OutputName(Uri("http://h/d/app.tgz?x=1")) == "app.tgz");
  CHECK(*OutputName(Uri("/srv/run.sh")) == "run.sh");
  CHECK(*OutputName(Uri("http://h/d/app.tgz", "bin/app.tgz")) == "bin/app.tgz");
  CHECK(OutputName(Uri("http://h/d/")).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(OutputName(Uri("http://h")).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(OutputName(Uri("/x", "../escape")).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(OutputName(Uri("/x", "/etc/x")).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("ArchiveKindOf: by the name's ending") {
  CHECK(ArchiveKindOf("a.tar") == ArchiveKind::kTar);
  CHECK(ArchiveKindOf("a.tar.gz") == ArchiveKind::kTarGz);
  CHECK(ArchiveKindOf("A.TGZ") == ArchiveKind::kTarGz);
  CHECK(ArchiveKindOf("a.tar.bz2") == ArchiveKind::kTarBz2);
  CHECK(ArchiveKindOf("a.tbz2") == ArchiveKind::kTarBz2);
  CHECK(ArchiveKindOf("a.tar.xz") == ArchiveKind::kTarXz);
  CHECK(ArchiveKindOf("a.txz") == ArchiveKind::kTarXz);
  CHECK(ArchiveKindOf("a.zip") == ArchiveKind::kZip);
  CHECK(ArchiveKindOf("a.gz") == ArchiveKind::kNone);
  CHECK(ArchiveKindOf("run.sh") == ArchiveKind::kNone);
  CHECK(ArchiveKindOf("tar") == ArchiveKind::kNone);
}

TEST_CASE("archive members and links that would leave the sandbox are found") {
  CHECK(FirstEscapingMember("a\n./b/c\ndir/\n") == "");
  CHECK(FirstEscapingMember("./\na\n") == "");
  CHECK(FirstEscapingMember("a\n../evil\n") == "../evil");
  CHECK(FirstEscapingMember("a\n/etc/passwd\n") == "/etc/passwd");
  CHECK(FirstEscapingMember("d/../../x\n") == "d/../../x");
  CHECK(LinkStaysInside("a/link", "b"));
  CHECK(LinkStaysInside("a/link", "../b"));
  CHECK_FALSE(LinkStaysInside("a/link", "../../b"));
  CHECK_FALSE(LinkStaysInside("link", "/etc"));
  CHECK_FALSE(LinkStaysInside("link", ".."));
}

TEST_CASE("ValidateUris names the field of a bad URI; unsupported schemes wait for the fetch") {
  google::protobuf::RepeatedPtrField<common::v1::CommandURI> uris;
  *uris.Add() = Uri("http://h/ok");
  CHECK(ValidateUris(uris).ok());
  *uris.Add() = Uri("ftp://h/later");
  CHECK(ValidateUris(uris).ok());
  *uris.Add() = Uri("/x", "../../etc/cron.d/x");
  absl::Status bad = ValidateUris(uris);
  CHECK(bad.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(bad.message()), Catch::StartsWith("task.command.uris[2].output_file"));
  uris.RemoveLast();
  *uris.Add() = Uri("");
  CHECK_THAT(std::string(ValidateUris(uris).message()),
             Catch::StartsWith("task.command.uris[2].value: required"));
  uris.RemoveLast();
  *uris.Add() = Uri("not a uri");
  CHECK_THAT(std::string(ValidateUris(uris).message()),
             Catch::StartsWith("task.command.uris[2].value"));
}

TEST_CASE("the supervisor's fetch arguments come back as they went") {
  google::protobuf::RepeatedPtrField<common::v1::CommandURI> uris;
  *uris.Add() = Uri("http://h/a.tgz", "x/a.tgz");
  uris.Add()->set_value("/srv/run.sh");
  uris[1].set_executable(true);
  uris[1].set_extract(false);
  FetchOptions options;
  options.timeout = absl::Seconds(7);
  options.http.stall_timeout = absl::Milliseconds(1500);
  options.http.max_bytes = 12345;
  std::vector<std::string> args = SupervisorFetchArgs("/bin/dcos-fetcher", uris, options);
  REQUIRE(args[0] == "--fetcher=/bin/dcos-fetcher");
  std::vector<std::string> fetcher_args;
  for (size_t i = 1; i < args.size(); ++i) {
    REQUIRE(args[i].rfind("--fetch=", 0) == 0);
    fetcher_args.push_back(args[i].substr(8));
  }
  std::vector<common::v1::CommandURI> back;
  FetchOptions parsed;
  REQUIRE(ParseFetcherArgs(fetcher_args, &back, &parsed).ok());
  REQUIRE(back.size() == 2);
  CHECK(back[0].output_file() == "x/a.tgz");
  CHECK_FALSE(back[0].has_extract());
  CHECK(back[1].executable());
  CHECK(back[1].has_extract());
  CHECK_FALSE(back[1].extract());
  CHECK(parsed.timeout == absl::Seconds(7));
  CHECK(parsed.http.stall_timeout == absl::Milliseconds(1500));
  CHECK(parsed.http.max_bytes == 12345);
  CHECK(ParseFetcherArgs({"--bogus"}, &back, &parsed).code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dcos::agent::fetcher
