#include "services/mesos-dns/dns_metrics.h"

#include <algorithm>

namespace dcos::dns {
namespace {

prometheus::Counter* OneCounter(prometheus::Registry& r, const char* name, const char* help) {
  return &prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}

prometheus::Gauge* OneGauge(prometheus::Registry& r, const char* name, const char* help) {
  return &prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

const prometheus::Histogram::BucketBoundaries kLagBounds = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

}  // namespace

DnsMetrics::DnsMetrics(prometheus::Registry& r)
    : queries_(prometheus::BuildCounter()
                   .Name("dcos_dns_queries_total")
                   .Help("DNS queries by question type")
                   .Register(r)),
      responses_(prometheus::BuildCounter()
                     .Name("dcos_dns_responses_total")
                     .Help("DNS answers by RCODE (forwarded answers included)")
                     .Register(r)),
      requests_(prometheus::BuildCounter()
                    .Name("dcos_dns_requests_total")
                    .Help("DNS packets read, by transport")
                    .Register(r)),
      forwarded_(OneCounter(r, "dcos_dns_forwarded_total",
                            "Queries for names outside the domain sent upstream")),
      truncated_(OneCounter(r, "dcos_dns_truncated_total",
                            "Answers cut to fit (TC set, or additional records left out)")),
      dropped_(OneCounter(r, "dcos_dns_dropped_total",
                          "Packets not answered (not even a header, or a response)")),
      tcp_rejected_(OneCounter(r, "dcos_dns_tcp_rejected_total",
                               "TCP connections refused: too many open")),
      tcp_connections_(OneGauge(r, "dcos_dns_tcp_connections", "Open DNS TCP connections")),
      answer_seconds_(&prometheus::BuildHistogram()
                           .Name("dcos_dns_answer_seconds")
                           .Help("Time from reading a query to sending its answer (answers "
                                 "from the record set; forwarded ones not included)")
                           .Register(r)
                           .Add({}, prometheus::Histogram::BucketBoundaries(
                                        server::kLatencyBounds.begin(),
                                        server::kLatencyBounds.end()))),
      records_(OneGauge(r, "dcos_dns_records", "Records served (distinct name, type, data)")),
      names_(OneGauge(r, "dcos_dns_names", "Names served (empty non-terminals included)")),
      serial_(OneGauge(r, "dcos_dns_soa_serial", "SOA serial of the records served")),
      lag_(prometheus::BuildHistogram()
               .Name("dcos_dns_freshness_lag_seconds")
               .Help("From a task event (origin=received: dcos-dns receiving it; "
                     "origin=status: the status timestamp its agent set) to the records "
                     "reflecting it being served")
               .Register(r)),
      lag_received_(&lag_.Add({{"origin", "received"}}, kLagBounds)),
      lag_status_(&lag_.Add({{"origin", "status"}}, kLagBounds)),
      connected_(OneGauge(r, "dcos_dns_master_connected",
                          "1 while subscribed to the leading master's event stream")),
      subscribes_(OneCounter(r, "dcos_dns_master_subscribes_total",
                             "Subscribe calls made to masters")),
      resyncs_(OneCounter(r, "dcos_dns_resyncs_total",
                          "Full resynchronisations (SUBSCRIBED states applied)")),
      last_event_(OneGauge(r, "dcos_dns_master_last_event_timestamp_seconds",
                           "When the last event from a master arrived (Unix seconds)")),
      zk_following_(OneGauge(r, "dcos_dns_zk_following",
                             "1 while the masters' election in dcos-zk is followed")) {}

void DnsMetrics::OnPublish(const driver::PublishInfo& info) {
  if (info.records != nullptr) {
    records_->Set(static_cast<double>(info.records->record_count()));
    names_->Set(static_cast<double>(info.records->name_count()));
    serial_->Set(static_cast<double>(info.records->serial()));
  }
  for (absl::Duration d : info.since_received) lag_received_->Observe(absl::ToDoubleSeconds(d));
  for (absl::Duration d : info.since_status) {
    lag_status_->Observe(std::max(0.0, absl::ToDoubleSeconds(d)));
  }
}

void DnsMetrics::Advance(prometheus::Counter* c, uint64_t total, uint64_t& last) {
  if (total > last) c->Increment(static_cast<double>(total - last));
  last = total;
}

void DnsMetrics::Sync(const server::ServerStats& s, const driver::DriverStatus& status) {
  absl::MutexLock lock(&mu_);
  Advance(&requests_.Add({{"transport", "udp"}}), s.udp_queries.load(), last_.udp);
  Advance(&requests_.Add({{"transport", "tcp"}}), s.tcp_queries.load(), last_.tcp);
  Advance(forwarded_, s.forwarded.load(), last_.forwarded);
  Advance(truncated_, s.truncated.load(), last_.truncated);
  Advance(dropped_, s.dropped.load(), last_.dropped);
  Advance(tcp_rejected_, s.tcp_rejected.load(), last_.tcp_rejected);
  tcp_connections_->Set(static_cast<double>(s.tcp_connections.load()));
  for (size_t i = 0; i < s.by_rcode.size(); ++i) {
    const uint64_t total = s.by_rcode[i].load();
    if (total == last_.by_rcode[i]) continue;
    Advance(&responses_.Add({{"rcode", RcodeName(static_cast<Rcode>(i))}}), total,
            last_.by_rcode[i]);
  }
  for (size_t i = 0; i < s.by_qtype.size(); ++i) {
    const uint64_t total = s.by_qtype[i].load();
    if (total == last_.by_qtype[i]) continue;
    const std::string qtype =
        i < server::kCountedQtypes.size() ? RRTypeName(server::kCountedQtypes[i]) : "other";
    Advance(&queries_.Add({{"qtype", qtype}}), total, last_.by_qtype[i]);
  }
  std::vector<double> increments(last_.latency.size(), 0);
  bool any = false;
  for (size_t i = 0; i < last_.latency.size(); ++i) {
    const uint64_t total = s.latency_buckets[i].load();
    increments[i] = static_cast<double>(total - last_.latency[i]);
    any = any || total != last_.latency[i];
    last_.latency[i] = total;
  }
  const uint64_t sum = s.latency_sum_ns.load();
  if (any) {
    answer_seconds_->ObserveMultiple(increments,
                                     static_cast<double>(sum - last_.latency_sum_ns) * 1e-9);
  }
  last_.latency_sum_ns = sum;

  connected_->Set(status.connected ? 1 : 0);
  zk_following_->Set(status.zk_following ? 1 : 0);
  Advance(subscribes_, status.attempts, last_.subscribes);
  Advance(resyncs_, status.resyncs, last_.resyncs);
  if (status.last_event != absl::InfinitePast()) {
    last_event_->Set(absl::ToDoubleSeconds(status.last_event - absl::UnixEpoch()));
  }
}

}  // namespace dcos::dns
