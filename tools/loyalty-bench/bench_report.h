// The results of a loyalty-bench run and their two renderings: one JSON object (--json) and a
// text table.
//
// Definitions (also in docs/benchmarks.md):
//   - a request is answered when a complete HTTP answer came back; a 2xx answer is a sample of
//     the latency histogram, any other answer or no answer at all is an error;
//   - a starved connection is a connection on which a request got no answer at all (timeout,
//     connection refused or closed): one per failed keep-alive exchange, one per failed request
//     in reconnect mode. tillsStarved counts the tills that had at least one starved connection,
//     tillsNeverAnswered the tills that got no answer in the whole phase;
//   - throughput is the 2xx answers divided by the phase's wall time;
//   - unsent (open loop only) counts sends that were due before the end of the phase but were
//     never made because the till was still waiting for earlier answers;
//   - ceilings: `ceiling` is GET /v1/health (same tills and connection mode); the commit scenario
//     also measures `storageCeiling`, the same rows written straight through SqliteStore::write
//     (storage_bench.h). ratioToCeiling() divides the throughput by the LOWER of the ceilings
//     measured, since the lower one is what bounds the scenario; the ratios to each are reported
//     too.
//
// Thread safety: plain values; the formatting functions are re-entrant.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loyalty-bench/histogram.h"

namespace loyalty::tools {

struct PhaseResult {
  std::string label;  // e.g. "POST /v1/commit" or "GET /v1/health"
  double wallS = 0;
  uint64_t answered = 0;  // 2xx answers (= latency.count())
  uint64_t errors = 0;
  uint64_t starvedConnections = 0;
  uint64_t tillsStarved = 0;
  uint64_t tillsNeverAnswered = 0;
  uint64_t unsent = 0;
  uint64_t transactions = 0;  // storage phases only: the store's transactions (COMMITs)
  LatencyHistogram latency;                    // every 2xx answer
  std::map<std::string, LatencyHistogram> ops;  // per call ("identify", "price", "commit", ...)
  std::vector<std::string> errorSamples;        // the first few error messages

  double throughputPerS() const;
  void merge(const PhaseResult& other);  // sums counters and histograms; wall time is the max
};

struct BenchReport {
  std::string scenario;
  int tills = 0;
  double rate = 0;
  double durationS = 0;
  int lines = 0;
  std::string connection;  // "keep-alive" or "new-per-request"
  std::string target;      // "core" or "agent"
  bool tls = false;        // mutual TLS to the core (--tls)
  // With tls and target core: the main phase's new TLS connections that carried an answer, and
  // how many of them resumed a session (an abbreviated handshake).
  uint64_t tlsConnections = 0;
  uint64_t tlsResumed = 0;
  // CPU time (user + system) per answered request of the main phase, of the spawned core (all
  // its threads) and of loyalty-bench itself; nullopt when not measured (a core given by
  // --core, or scenario agent, whose agents' CPU is not counted). On a machine whose cores both
  // share, 1e6 * cores / (core + loadGenerator) bounds the throughput.
  std::optional<double> coreCpuUsPerRequest;
  std::optional<double> benchCpuUsPerRequest;
  PhaseResult main;
  // GET /v1/health, same tills and connection mode, always closed loop (a capacity).
  std::optional<PhaseResult> ceiling;
  std::optional<PhaseResult> direct;   // scenario agent: the same flow straight to the core
  // Scenario commit: the same rows stored through SqliteStore::write, same threads, closed loop.
  std::optional<PhaseResult> storageCeiling;

  // Throughput over the lower of the measured ceilings (nullopt: none measured, or all zero).
  std::optional<double> ratioToCeiling() const;
  std::optional<double> ratioToHealthCeiling() const;
  std::optional<double> ratioToStorageCeiling() const;
  // "health" or "storage": the ceiling ratioToCeiling() used (empty when none).
  std::string lowerCeiling() const;
};

std::string formatReportJson(const BenchReport& report);
// One phase as the JSON object formatReportJson uses for a ceiling or the direct flow.
std::string formatPhaseJson(const PhaseResult& phase);
std::string formatReportTable(const BenchReport& report);

}  // namespace loyalty::tools
