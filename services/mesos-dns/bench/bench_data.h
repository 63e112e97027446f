#pragma once

// What dcos-dns's load tests feed to dnsperf and to the peer servers they compare with: the
// query list (every A and SRV name served, shuffled, plus names that do not exist) and the
// record set as an RFC 1035 master file. Test-only.

#include <cstdint>
#include <string>
#include <vector>

#include "services/mesos-dns/core/record_set.h"

namespace dcos::dns::bench {

// dnsperf input lines ("web.marathon.mesos A"): every A and SRV RRset of `records` with at most
// `max_rrset` records (a name like slave.mesos, with every agent, is a TCP-sized answer left to
// its own test), shuffled with `seed`, plus missing_ratio * total lines for names that do not
// exist under <domain> (so 1/9 extra makes them 10% of all).
std::vector<std::string> QueryLines(const core::RecordSet& records, size_t max_rrset,
                                    double missing_ratio, uint64_t seed);

// The whole record set as a master file with absolute names (SOA first), for BIND and NSD.
std::string ZoneFile(const core::RecordSet& records);

}  // namespace dcos::dns::bench
