// Writes the seed corpus of the DNS message fuzzer: real queries and responses made with the
// writer, and malformed packets made byte by byte. Regenerate with
//   bazel run //libs/dns/fuzz:make_corpus -- $PWD/libs/dns/testdata/corpus
// (files are only added or overwritten; crash reproducers kept there are left alone).

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/dns/hostile_packets.h"
#include "libs/dns/wire_test_util.h"
#include "libs/dns/writer.h"

namespace dcos::dns {
namespace {

using testing::N;

std::vector<std::pair<std::string, std::vector<uint8_t>>> files;

void Add(std::string name, std::vector<uint8_t> bytes) {
  files.emplace_back(std::move(name), std::move(bytes));
}

void AddMessage(std::string name, const Message& m, size_t limit = kMaxMessageSize) {
  absl::StatusOr<std::vector<uint8_t>> wire = Encode(m, WriterOptions{limit, true});
  if (!wire.ok()) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), wire.status().ToString().c_str());
    std::exit(1);
  }
  Add(std::move(name), *std::move(wire));
}

Message Answer(Message query) {
  query.header.qr = true;
  query.header.aa = true;
  query.header.ra = true;
  return query;
}

void Queries() {
  const std::pair<const char*, RRType> types[] = {
      {"a", RRType::kA},     {"aaaa", RRType::kAAAA}, {"srv", RRType::kSRV},
      {"soa", RRType::kSOA}, {"ns", RRType::kNS},     {"any", RRType::kANY},
      {"ptr", RRType::kPTR}, {"axfr", RRType::kAXFR}, {"txt", RRType::kTXT}};
  for (const auto& [label, type] : types) {
    AddMessage(absl::StrCat("query-", label), testing::Query("web.marathon.mesos", type));
    AddMessage(absl::StrCat("query-", label, "-edns"),
               testing::Query("web.marathon.mesos", type, 7, Edns{4096, 0, true, {}}));
  }
  AddMessage("query-srv-name", testing::Query("_web._tcp.marathon.mesos", RRType::kSRV));
  AddMessage("query-mixed-case", testing::Query("WeB.MaRaThOn.MeSoS", RRType::kA));
  AddMessage("query-outside", testing::Query("www.example.com", RRType::kA));
  AddMessage("query-root", testing::Query(".", RRType::kNS));
  AddMessage("query-edns-v1", testing::Query("leader.mesos", RRType::kA, 9, Edns{1232, 1, false, {}}));
  AddMessage("query-edns-cookie",
             testing::Query("leader.mesos", RRType::kA, 9,
                            Edns{1232, 0, false, {EdnsOption{10, "\x01\x02\x03\x04\x05\x06\x07\x08"}}}));
  AddMessage("query-edns-small", testing::Query("slave.mesos", RRType::kA, 9, Edns{100, 0, false, {}}));
  Message chaos = testing::Query("version.bind", RRType::kTXT);
  chaos.questions[0].klass = RRClass::kCH;
  AddMessage("query-chaos", chaos);
  Message none = testing::Query("a.mesos", RRType::kA);
  none.questions.clear();
  AddMessage("query-no-question", none);
  Message two = testing::Query("a.mesos", RRType::kA);
  two.questions.push_back(Question{N("b.mesos"), RRType::kAAAA, RRClass::kIN});
  AddMessage("query-two-questions", two);
  Message notify = testing::Query("mesos", RRType::kSOA);
  notify.header.opcode = Opcode::kNotify;
  AddMessage("query-notify", notify);
  Message update = testing::Query("mesos", RRType::kSOA);
  update.header.opcode = Opcode::kUpdate;
  AddMessage("query-update", update);
  Message status = testing::Query("mesos", RRType::kA);
  status.header.opcode = Opcode::kStatus;
  AddMessage("query-status", status);
  std::string l63(63, 'x');
  AddMessage("query-long-name", testing::Query(absl::StrCat(l63, ".", l63, ".", l63, ".mesos"),
                                               RRType::kA));
}

void Responses() {
  Message a = Answer(testing::Query("web.marathon.mesos", RRType::kA));
  a.answers.push_back(testing::A("web.marathon.mesos", 60, "10.0.3.1"));
  a.answers.push_back(testing::A("web.marathon.mesos", 60, "10.0.3.2"));
  AddMessage("response-a", a);

  Message srv = Answer(testing::Query("_web._tcp.marathon.mesos", RRType::kSRV, 3,
                                      Edns{1232, 0, false, {}}));
  for (int i = 0; i < 3; ++i) {
    std::string target = absl::StrCat("web-abcd", i, "-s", i, ".marathon.slave.mesos");
    srv.answers.push_back(testing::Srv("_web._tcp.marathon.mesos", 60, 0, 1,
                                       static_cast<uint16_t>(31000 + i), target));
    srv.additional.push_back(testing::A(target, 60, absl::StrCat("10.0.3.", i + 1)));
  }
  AddMessage("response-srv", srv);

  Message nx = Answer(testing::Query("nope.mesos", RRType::kA));
  nx.header.rcode = Rcode::kNXDomain;
  nx.authority.push_back(testing::Soa("mesos", 60, "ns1.mesos", "root.ns1.mesos", 12, 60));
  AddMessage("response-nxdomain", nx);

  Message soa = Answer(testing::Query("mesos", RRType::kSOA));
  soa.answers.push_back(testing::Soa("mesos", 60, "ns1.mesos", "root.ns1.mesos", 12, 60));
  soa.authority.push_back(testing::Ns("mesos", 60, "ns1.mesos"));
  soa.additional.push_back(testing::A("ns1.mesos", 60, "127.0.5.1"));
  AddMessage("response-soa", soa);

  Message v6 = Answer(testing::Query("web.marathon.mesos", RRType::kAAAA));
  v6.answers.push_back(
      testing::Aaaa("web.marathon.mesos", 60, {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  AddMessage("response-aaaa", v6);

  Message badvers = Answer(testing::Query("leader.mesos", RRType::kA, 4, Edns{1232, 0, false, {}}));
  badvers.header.rcode = Rcode::kBadVers;
  AddMessage("response-badvers", badvers);

  Message big = Answer(testing::Query("slave.mesos", RRType::kA));
  for (int i = 0; i < 200; ++i) {
    big.answers.push_back(testing::A("slave.mesos", 60, absl::StrCat("10.0.", i / 250, ".", i % 250)));
  }
  AddMessage("response-truncated", big, 512);
  AddMessage("response-large-tcp", big);

  Message other = Answer(testing::Query("a.mesos", RRType::kANY));
  other.answers.push_back(ResourceRecord{N("a.mesos"), RRType::kCNAME, RRClass::kIN, 5,
                                         NameData{N("b.mesos")}});
  other.answers.push_back(ResourceRecord{N("1.0.0.10.in-addr.arpa"), RRType::kPTR,
                                         RRClass::kIN, 5, NameData{N("a.mesos")}});
  other.answers.push_back(ResourceRecord{N("a.mesos"), RRType::kTXT, RRClass::kIN, 5,
                                         OpaqueData{"\x05hello"}});
  AddMessage("response-other-types", other);
}

void Malformed() {
  for (const testing::HostilePacket& h : testing::HostilePackets()) {
    Add(absl::StrCat("bad-", h.name), h.bytes);
  }
}

}  // namespace
}  // namespace dcos::dns

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus <directory>\n");
    return 2;
  }
  dcos::dns::Queries();
  dcos::dns::Responses();
  dcos::dns::Malformed();
  for (const auto& [name, bytes] : dcos::dns::files) {
    std::string path = absl::StrCat(argv[1], "/", name, ".bin");
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      return 1;
    }
  }
  std::printf("wrote %zu files to %s\n", dcos::dns::files.size(), argv[1]);
  return 0;
}
