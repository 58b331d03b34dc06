#include "loyalty-bench/bench_report.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace loyalty::tools {
namespace {

constexpr size_t kMaxErrorSamples = 5;

std::string number(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

std::string ms(int64_t micros) { return number(static_cast<double>(micros) / 1000.0, 3); }

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string latencyJson(const LatencyHistogram& h) {
  return "{\"p50\":" + ms(h.percentile(50)) + ",\"p90\":" + ms(h.percentile(90)) +
         ",\"p99\":" + ms(h.percentile(99)) + ",\"p999\":" + ms(h.percentile(99.9)) +
         ",\"max\":" + ms(h.max()) + "}";
}

std::string phaseFieldsJson(const PhaseResult& p) {
  std::string out = "\"throughput_per_s\":" + number(p.throughputPerS(), 1) +
                    ",\"requests\":" + std::to_string(p.answered) +
                    ",\"wall_s\":" + number(p.wallS, 3) +
                    ",\"latency_ms\":" + latencyJson(p.latency) +
                    ",\"errors\":" + std::to_string(p.errors) +
                    ",\"starved_connections\":" + std::to_string(p.starvedConnections) +
                    ",\"tills_starved\":" + std::to_string(p.tillsStarved) +
                    ",\"tills_never_answered\":" + std::to_string(p.tillsNeverAnswered) +
                    ",\"unsent\":" + std::to_string(p.unsent);
  if (p.transactions > 0) {
    out += ",\"transactions\":" + std::to_string(p.transactions) + ",\"writes_per_transaction\":" +
           number(static_cast<double>(p.answered + p.errors) /
                      static_cast<double>(p.transactions),
                  1);
  }
  out += ",\"ops\":{";
  bool first = true;
  for (const auto& [name, h] : p.ops) {
    out += (first ? "" : ",") + jsonString(name) + ":{\"count\":" + std::to_string(h.count()) +
           ",\"latency_ms\":" + latencyJson(h) + "}";
    first = false;
  }
  out += "}";
  return out;
}

std::string phaseJson(const PhaseResult& p) {
  return "{\"endpoint\":" + jsonString(p.label) + "," + phaseFieldsJson(p) + "}";
}

std::string tableRow(const std::string& name, const PhaseResult& p) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%-26s %10.1f %8s %8s %8s %8s %9s %7llu %7llu\n",
                name.c_str(), p.throughputPerS(), ms(p.latency.percentile(50)).c_str(),
                ms(p.latency.percentile(90)).c_str(), ms(p.latency.percentile(99)).c_str(),
                ms(p.latency.percentile(99.9)).c_str(), ms(p.latency.max()).c_str(),
                static_cast<unsigned long long>(p.errors),
                static_cast<unsigned long long>(p.starvedConnections));
  return buf;
}

}  // namespace

double PhaseResult::throughputPerS() const {
  return wallS > 0 ? static_cast<double>(answered) / wallS : 0.0;
}

void PhaseResult::merge(const PhaseResult& other) {
  wallS = std::max(wallS, other.wallS);
  answered += other.answered;
  errors += other.errors;
  starvedConnections += other.starvedConnections;
  tillsStarved += other.tillsStarved;
  tillsNeverAnswered += other.tillsNeverAnswered;
  unsent += other.unsent;
  transactions += other.transactions;
  latency.merge(other.latency);
  for (const auto& [name, h] : other.ops) {
    ops[name].merge(h);
  }
  for (const auto& e : other.errorSamples) {
    if (errorSamples.size() < kMaxErrorSamples) {
      errorSamples.push_back(e);
    }
  }
}

namespace {

std::optional<double> ratioTo(const PhaseResult& main, const std::optional<PhaseResult>& to) {
  if (!to || to->throughputPerS() <= 0) {
    return std::nullopt;
  }
  return main.throughputPerS() / to->throughputPerS();
}

}  // namespace

std::optional<double> BenchReport::ratioToHealthCeiling() const { return ratioTo(main, ceiling); }

std::optional<double> BenchReport::ratioToStorageCeiling() const {
  return ratioTo(main, storageCeiling);
}

std::string BenchReport::lowerCeiling() const {
  const auto health = ratioToHealthCeiling();
  const auto storage = ratioToStorageCeiling();
  if (storage && (!health || *storage > *health)) {
    return "storage";  // the larger ratio is the one to the lower ceiling
  }
  return health ? "health" : "";
}

std::optional<double> BenchReport::ratioToCeiling() const {
  const std::string lower = lowerCeiling();
  if (lower == "storage") {
    return ratioToStorageCeiling();
  }
  if (lower == "health") {
    return ratioToHealthCeiling();
  }
  return std::nullopt;
}

std::string formatReportJson(const BenchReport& r) {
  std::string out = "{\"scenario\":" + jsonString(r.scenario) +
                    ",\"tills\":" + std::to_string(r.tills) + ",\"rate\":" + number(r.rate, 1) +
                    ",\"duration_s\":" + number(r.durationS, 3) +
                    ",\"lines\":" + std::to_string(r.lines) +
                    ",\"connection\":" + jsonString(r.connection) +
                    ",\"target\":" + jsonString(r.target) +
                    ",\"tls\":" + (r.tls ? "true" : "false") + ",\"endpoint\":" +
                    jsonString(r.main.label) + "," + phaseFieldsJson(r.main);
  auto optionalRatio = [](std::optional<double> v) {
    return v ? number(*v, 3) : std::string("null");
  };
  if (r.ceiling || r.storageCeiling) {
    // The health ceiling's fields at the top of the object (as before the storage ceiling
    // existed), the storage ceiling inside it, and which of them the ratio uses.
    std::string c = r.ceiling ? phaseJson(*r.ceiling) : std::string("{\"endpoint\":null}");
    c.pop_back();
    c += ",\"storage\":" + (r.storageCeiling ? phaseJson(*r.storageCeiling) : std::string("null"));
    c += ",\"lower\":" + jsonString(r.lowerCeiling()) + "}";
    out += ",\"ceiling\":" + c;
  } else {
    out += ",\"ceiling\":null";
  }
  if (r.tls && r.target == "core") {
    out += ",\"tls_connections\":" + std::to_string(r.tlsConnections) +
           ",\"tls_resumed\":" + std::to_string(r.tlsResumed);
  }
  if (r.coreCpuUsPerRequest && r.benchCpuUsPerRequest) {
    out += ",\"cpu_us_per_request\":{\"core\":" + number(*r.coreCpuUsPerRequest, 1) +
           ",\"load_generator\":" + number(*r.benchCpuUsPerRequest, 1) + "}";
  }
  out += ",\"ratio_to_ceiling\":" + optionalRatio(r.ratioToCeiling());
  if (r.storageCeiling) {
    out += ",\"ratio_to_health_ceiling\":" + optionalRatio(r.ratioToHealthCeiling()) +
           ",\"ratio_to_storage_ceiling\":" + optionalRatio(r.ratioToStorageCeiling());
  }
  if (r.direct) {
    out += ",\"direct\":" + phaseJson(*r.direct);
    out += ",\"agent_added_p99_ms\":" +
           ms(r.main.latency.percentile(99) - r.direct->latency.percentile(99));
  }
  out += "}";
  return out;
}

std::string formatPhaseJson(const PhaseResult& phase) { return phaseJson(phase); }

std::string formatReportTable(const BenchReport& r) {
  std::ostringstream out;
  out << "loyalty-bench: scenario " << r.scenario << ", " << r.tills << " tills, "
      << (r.rate > 0 ? "open loop at " + number(r.rate, 1) + " iterations/s"
                     : std::string("max rate"))
      << ", " << number(r.durationS, 1) << " s per phase, " << r.connection << " to the "
      << r.target
      << (!r.tls                ? ""
          : r.target == "agent" ? " (agents to the core over mutual TLS)"
                                : " over mutual TLS")
      << (r.lines > 0 ? ", " + std::to_string(r.lines) + "-line baskets" : "") << "\n\n";
  char head[256];
  std::snprintf(head, sizeof(head), "%-26s %10s %8s %8s %8s %8s %9s %7s %7s\n", "phase", "req/s",
                "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors", "starved");
  out << head;
  out << tableRow(r.main.label, r.main);
  if (r.main.ops.size() > 1) {
    for (const auto& [name, h] : r.main.ops) {
      PhaseResult op;
      op.latency = h;
      op.answered = h.count();
      op.wallS = r.main.wallS;
      out << tableRow("  " + name, op);
    }
  }
  if (r.direct) {
    out << tableRow("direct to core", *r.direct);
  }
  if (r.ceiling) {
    out << tableRow("ceiling " + r.ceiling->label, *r.ceiling);
  }
  if (r.storageCeiling) {
    out << tableRow("ceiling " + r.storageCeiling->label, *r.storageCeiling);
  }
  if (auto ratio = r.ratioToCeiling()) {
    out << "\nratio to ceiling: " << number(*ratio, 3);
    if (r.storageCeiling) {
      out << " (to the lower one, " << r.lowerCeiling() << "; health "
          << (r.ratioToHealthCeiling() ? number(*r.ratioToHealthCeiling(), 3) : "-")
          << ", storage "
          << (r.ratioToStorageCeiling() ? number(*r.ratioToStorageCeiling(), 3) : "-") << ")";
    }
    out << "\n";
  }
  if (r.storageCeiling && r.storageCeiling->transactions > 0) {
    out << "storage ceiling: "
        << number(static_cast<double>(r.storageCeiling->answered + r.storageCeiling->errors) /
                      static_cast<double>(r.storageCeiling->transactions),
                  1)
        << " writes per transaction (group commit)\n";
  }
  if (r.main.transactions > 0) {
    out << number(static_cast<double>(r.main.answered + r.main.errors) /
                      static_cast<double>(r.main.transactions),
                  1)
        << " writes per transaction (group commit)\n";
  }
  if (r.main.unsent > 0) {
    out << "unsent (due but the till was still waiting): " << r.main.unsent << "\n";
  }
  if (r.coreCpuUsPerRequest && r.benchCpuUsPerRequest) {
    out << "CPU per answered request: core " << number(*r.coreCpuUsPerRequest, 1)
        << " us, loyalty-bench " << number(*r.benchCpuUsPerRequest, 1) << " us\n";
  }
  if (r.tls && r.target == "core") {
    out << "TLS: " << r.tlsConnections << " new connections in the measured phase, "
        << r.tlsResumed << " resumed a session\n";
  }
  if (r.main.tillsStarved > 0) {
    out << "tills with a starved connection: " << r.main.tillsStarved << " of " << r.tills
        << "\n";
  }
  if (r.main.tillsNeverAnswered > 0) {
    out << "tills that never got an answer: " << r.main.tillsNeverAnswered << "\n";
  }
  for (const auto& e : r.main.errorSamples) {
    out << "error: " << e << "\n";
  }
  return out.str();
}

}  // namespace loyalty::tools
