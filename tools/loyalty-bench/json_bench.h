// JsonBench: `loyalty-bench --scenario json`, the comparison of JSON parsers on the body of a
// commit (issue 5: "a JSON codec that is not the bottleneck; measure and choose by the numbers").
//
// In-process, one thread, no servers. The bodies are the workload's CommitRequest bodies (the
// TaFeng-derived baskets of the commit scenario, 30 lines and about 3 KB by default), each
// decoded once beforehand to know its line count. Every parser then gets the same sequence:
// `warmup` untimed parses, then `iterations` timed ones, body i % bodies.size() each. Before each
// parse (outside the timer) the body is copied into one reused buffer, as a server has a body it
// just received in a hot buffer; the timer brackets the parse and the lookup of "lines" only.
// A parse counts as a failure when it fails or sees another number of lines than expected.
//
// The parsers (ParserResult.name):
//   codec       protocol::decodeCommitRequest: strict parse (UTF-8, duplicate keys, depth,
//               int64 range), then the schema checks, then the typed CommitRequest
//   json_parse  protocol::json::parse alone (the same strict parse, into a json::Value)
//   poco        Poco::JSON::Parser (reused, reset() before each parse) into a Dynamic::Var tree;
//               it takes a std::string: it gets one filled outside the timer, like the others
//   rapidjson   rapidjson::Document::Parse with kParseValidateEncodingFlag (DOM, UTF-8 checked)
//   simdjson    simdjson::dom::parser (reused) into its DOM tape; UTF-8 checked
// rapidjson and simdjson are there only when CMake found them (rapidjson-dev, libsimdjson-dev);
// otherwise they are listed as unavailable with the reason. None but codec checks the schema.
//
// ns_per_body is the mean of the timed parses (each includes one pair of clock reads, timerNs);
// MB/s is the timed bytes over the summed time; p50/p99/max are nearest-rank over the samples.
//
// Thread safety: runJsonBench is re-entrant; the report is a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "loyalty/base/result.h"

namespace loyalty::tools {

// The CPU budget of one commit at the target: 2 cores / 10,000 commits per second.
inline constexpr int64_t kCommitBudgetNs = 200000;

struct ParserResult {
  std::string name;
  std::string what;        // one line: what one parse does
  bool available = true;
  std::string note;        // why it is unavailable, or a detail (simdjson's kernel)
  uint64_t parses = 0;     // timed parses that succeeded
  uint64_t failures = 0;   // timed parses that failed or saw a wrong line count
  uint64_t bytes = 0;      // bytes of the successfully parsed timed bodies
  int64_t totalNs = 0;     // sum of the successful timed parses
  int64_t p50Ns = 0;
  int64_t p99Ns = 0;
  int64_t maxNs = 0;

  double nsPerBody() const;  // 0 without parses
  double mbPerS() const;     // 10^6 bytes per second; 0 without parses
};

struct JsonBenchReport {
  int lines = 0;  // --lines of the workload (0 = TaFeng baskets as they are)
  size_t bodies = 0;
  double meanBodyBytes = 0;
  size_t minBodyBytes = 0;
  size_t maxBodyBytes = 0;
  uint64_t iterations = 0;
  uint64_t warmup = 0;
  int64_t timerNs = 0;  // median cost of one pair of steady_clock reads
  std::vector<ParserResult> parsers;  // in the order of the file comment
};

// Requires: iterations >= 1. Errors: kInvalidValue when bodies is empty or a body does not
// decode as a CommitRequest (the message names the body and the codec's error).
base::Result<JsonBenchReport> runJsonBench(const std::vector<std::string>& bodies, int lines,
                                           uint64_t iterations, uint64_t warmup);

// The warm-up used for a number of timed parses: a tenth of them, at least 1, at most 100,000.
uint64_t jsonWarmupFor(uint64_t iterations);

std::string formatJsonBenchJson(const JsonBenchReport& report);
std::string formatJsonBenchTable(const JsonBenchReport& report);

}  // namespace loyalty::tools
