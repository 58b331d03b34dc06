// The results of scenario tills (tills_scenario.h) as one client process gathers them, in a form
// that can be merged with the other client processes' and can cross a pipe from a child process
// to its parent as text.
//
// SampleSet is a latency histogram with the same buckets as LatencyHistogram (histogram.h) whose
// bucket counts can be written out: histogram() rebuilds a LatencyHistogram with the same count,
// minimum, maximum and percentiles (every sample re-added at its bucket's upper bound, the exact
// minimum and maximum at theirs). LatencyHistogram itself does not expose its buckets.
//
// Text form (serialize/parse): a magic first line, then one "key value..." line per field, then
// "end" (newlines inside error messages become spaces); parse refuses anything else, and a text
// cut short, with kInvalidValue. It is an internal format between two processes of the same
// binary, not a file format.
//
// Thread safety: plain values; the functions are re-entrant.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "loyalty-bench/histogram.h"
#include "loyalty/base/result.h"

namespace loyalty::tools {

class SampleSet {
 public:
  void add(int64_t micros);
  void merge(const SampleSet& other);
  uint64_t count() const { return count_; }
  int64_t min() const { return min_; }
  int64_t max() const { return max_; }
  LatencyHistogram histogram() const;

  // "count min max bucket:n bucket:n ..." (only the non-empty buckets).
  std::string serialize() const;
  static base::Result<SampleSet> parse(const std::string& text);

 private:
  std::vector<uint64_t> buckets_;  // LatencyHistogram::kBucketCount once a sample came
  uint64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
};

// Counters of the measured window unless the name says otherwise.
struct TillsResult {
  int64_t tills = 0;             // tills this process played
  int64_t tillsMeasured = 0;     // of those, the ones with a sale due in the measured window
  int64_t salesDue = 0;          // sales due in the measured window
  int64_t sales = 0;             // of those, answered (identify, price and commit all 2xx)
  int64_t salesFailed = 0;       // started, but a call failed
  int64_t unsent = 0;            // due, never started (the till was still busy at the end)
  int64_t answered = 0;          // 2xx answers of calls
  int64_t errors = 0;            // failed calls (no 2xx answer)
  int64_t starved = 0;           // calls without any answer (timeout, refused, closed)
  int64_t tillsStarved = 0;      // tills with at least one starved call
  int64_t tillsNeverAnswered = 0;  // measured tills without a single 2xx answer
  int64_t connects = 0;          // connections opened by measured sales' calls
  int64_t reconnects = 0;        // of those, by a till that had had a connection before
  int64_t connectFailures = 0;   // connects that failed (within connects, attempts)
  int64_t retries = 0;           // calls sent again after a stale keep-alive connection
  int64_t serverCloses = 0;      // idle connections the server closed, noticed in the window
  int64_t warmupSales = 0;       // sales due in the warm-up (not measured)
  int64_t warmupErrors = 0;      // failed calls of warm-up sales
  int64_t runConnects = 0;       // every connection opened, warm-up included
  double lastFinishS = 0;        // when the last measured sale ended, seconds after the start
  SampleSet calls;               // latency of every 2xx call
  std::map<std::string, SampleSet> ops;  // per call kind: identify, price, commit
  SampleSet sale;                // scheduled time -> commit answered, answered sales only
  SampleSet connect;             // connect durations of measured calls that opened one
  SampleSet lag;                 // how late the client started measured sales (its own delay)
  // Per second since the start (warm-up included), by when the call ended: 2xx answers, failed
  // calls, and the longest 2xx call in microseconds.
  std::vector<uint32_t> secondAnswered;
  std::vector<uint32_t> secondErrors;
  std::vector<uint32_t> secondMaxMicros;
  std::vector<uint32_t> openSockets;  // the client's open sockets per interval since the start
  std::vector<std::string> errorSamples;  // the first few error messages

  // Counts a call that ended `second` seconds after the start in the per-second series.
  void noteSecond(size_t second, bool ok, int64_t micros);
  // Sums the counters and samples; openSockets and the per-second series interval by interval
  // (the longest call: the max); lastFinishS is the max.
  void merge(const TillsResult& other);
  // The largest joint number of open sockets in any interval.
  int64_t peakOpenSockets() const;

  std::string serialize() const;
  static base::Result<TillsResult> parse(const std::string& text);
};

inline constexpr size_t kTillsErrorSamples = 5;

}  // namespace loyalty::tools
