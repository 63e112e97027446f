#include "libs/dns/types.h"

#include "absl/strings/str_cat.h"

namespace dcos::dns {

std::string RRTypeName(RRType type) {
  switch (type) {
    case RRType::kA: return "A";
    case RRType::kNS: return "NS";
    case RRType::kCNAME: return "CNAME";
    case RRType::kSOA: return "SOA";
    case RRType::kPTR: return "PTR";
    case RRType::kMX: return "MX";
    case RRType::kTXT: return "TXT";
    case RRType::kAAAA: return "AAAA";
    case RRType::kSRV: return "SRV";
    case RRType::kOPT: return "OPT";
    case RRType::kIXFR: return "IXFR";
    case RRType::kAXFR: return "AXFR";
    case RRType::kANY: return "ANY";
  }
  return absl::StrCat("TYPE", static_cast<uint16_t>(type));
}

std::string RcodeName(Rcode rcode) {
  switch (rcode) {
    case Rcode::kNoError: return "NOERROR";
    case Rcode::kFormErr: return "FORMERR";
    case Rcode::kServFail: return "SERVFAIL";
    case Rcode::kNXDomain: return "NXDOMAIN";
    case Rcode::kNotImp: return "NOTIMP";
    case Rcode::kRefused: return "REFUSED";
    case Rcode::kBadVers: return "BADVERS";
  }
  return absl::StrCat("RCODE", static_cast<uint16_t>(rcode));
}

}  // namespace dcos::dns
