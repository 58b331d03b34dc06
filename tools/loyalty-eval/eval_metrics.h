// Next-basket metrics, exactly as the published evaluation code (evaluation/metrics.py and
// model_performance.py of "A Next Basket Recommendation Reality Check"), for K = 10 and 20.
//
// Per test user, with T the target basket (a set) and the first K items of the ranking:
//   recall@K = |top-K ∩ T| / |T|;   phr@K = 1 if top-K ∩ T is non-empty, else 0;
//   ndcg@K   = sum over hits at rank r <= K of 1/log2(r+1), divided by sum_{i=1..|T|} 1/log2(i+1)
//              (the ideal DCG runs over the whole target, even when |T| > K);
//   repeat part T_r = T ∩ (items of the user's history), explore part T_e = T \ T_r:
//   repeat_recall@K / repeat_phr@K are recall / PHR against T_r, defined when T_r is non-empty,
//   and likewise explore_* against T_e; repeat_share@K = |top-K ∩ history items| / K.
// A fold's value of a metric is the mean over the test users where it is defined (NaN when it is
// defined for none); the report gives the mean and the sample standard deviation over folds.
//
// Thread safety: pure functions; a FoldAccumulator is a plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace loyalty::tools::eval {

enum class MetricKind {
  kRecall,
  kNdcg,
  kPhr,
  kRepeatRecall,
  kExploreRecall,
  kRepeatPhr,
  kExplorePhr,
  kRepeatShare,
};

struct MetricDef {
  std::string name;  // "recall@10", ...
  MetricKind kind;
  size_t k;
  bool inJson;  // part of the --json schema
};

// Every metric reported, in display order; the --json ones first, in the schema's order.
const std::vector<MetricDef>& metricDefs();

// The largest K any metric uses (rankings need at least this many items).
inline constexpr size_t kMaxCutoff = 20;

// One user's value of one metric; NaN when undefined (an empty repeat or explore part).
// Requires: target non-empty; targetSorted and historyItemsSorted sorted ascending.
double userMetric(const MetricDef& metric, const std::vector<int64_t>& ranked,
                  const std::vector<int64_t>& targetSorted,
                  const std::vector<int64_t>& historyItemsSorted);

// Per fold: the mean of each metric over the users where it is defined.
class FoldAccumulator {
 public:
  FoldAccumulator();
  // ranked: best first, at least kMaxCutoff items when available. target: the user's target set;
  // historyItems: the distinct items of the user's history (any order).
  void add(const std::vector<int64_t>& ranked, const std::vector<int64_t>& target,
           const std::vector<int64_t>& historyItems);
  size_t users() const { return users_; }
  // Indexed like metricDefs().
  std::vector<double> means() const;

 private:
  std::vector<double> sums_;
  std::vector<size_t> counts_;
  size_t users_ = 0;
};

struct Summary {
  double mean = 0;  // NaN when no fold defines the metric
  double std = 0;   // sample standard deviation (n - 1); 0 for a single fold
};

// Summary over folds, ignoring NaN values.
Summary summarize(const std::vector<double>& perFold);

}  // namespace loyalty::tools::eval
