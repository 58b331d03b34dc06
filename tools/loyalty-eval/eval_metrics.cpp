#include "loyalty-eval/eval_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace loyalty::tools::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool contains(const std::vector<int64_t>& sorted, int64_t id) {
  return std::binary_search(sorted.begin(), sorted.end(), id);
}

double recallAgainst(const std::vector<int64_t>& ranked, size_t k,
                     const std::vector<int64_t>& truthSorted) {
  size_t hits = 0;
  for (size_t r = 0; r < ranked.size() && r < k; ++r) {
    hits += contains(truthSorted, ranked[r]) ? 1 : 0;
  }
  return static_cast<double>(hits) / static_cast<double>(truthSorted.size());
}

double phrAgainst(const std::vector<int64_t>& ranked, size_t k,
                  const std::vector<int64_t>& truthSorted) {
  for (size_t r = 0; r < ranked.size() && r < k; ++r) {
    if (contains(truthSorted, ranked[r])) {
      return 1.0;
    }
  }
  return 0.0;
}

}  // namespace

const std::vector<MetricDef>& metricDefs() {
  static const std::vector<MetricDef> defs = {
      {"recall@10", MetricKind::kRecall, 10, true},
      {"ndcg@10", MetricKind::kNdcg, 10, true},
      {"phr@10", MetricKind::kPhr, 10, true},
      {"recall@20", MetricKind::kRecall, 20, true},
      {"ndcg@20", MetricKind::kNdcg, 20, true},
      {"phr@20", MetricKind::kPhr, 20, true},
      {"repeat_recall@10", MetricKind::kRepeatRecall, 10, true},
      {"explore_recall@10", MetricKind::kExploreRecall, 10, true},
      {"repeat_recall@20", MetricKind::kRepeatRecall, 20, true},
      {"explore_recall@20", MetricKind::kExploreRecall, 20, true},
      {"repeat_phr@10", MetricKind::kRepeatPhr, 10, false},
      {"explore_phr@10", MetricKind::kExplorePhr, 10, false},
      {"repeat_phr@20", MetricKind::kRepeatPhr, 20, false},
      {"explore_phr@20", MetricKind::kExplorePhr, 20, false},
      {"repeat_share@10", MetricKind::kRepeatShare, 10, false},
      {"repeat_share@20", MetricKind::kRepeatShare, 20, false},
  };
  return defs;
}

double userMetric(const MetricDef& metric, const std::vector<int64_t>& ranked,
                  const std::vector<int64_t>& targetSorted,
                  const std::vector<int64_t>& historyItemsSorted) {
  const size_t k = metric.k;
  switch (metric.kind) {
    case MetricKind::kRecall:
      return recallAgainst(ranked, k, targetSorted);
    case MetricKind::kPhr:
      return phrAgainst(ranked, k, targetSorted);
    case MetricKind::kNdcg: {
      double dcg = 0;
      for (size_t r = 0; r < ranked.size() && r < k; ++r) {
        if (contains(targetSorted, ranked[r])) {
          dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
        }
      }
      double ideal = 0;
      for (size_t i = 0; i < targetSorted.size(); ++i) {
        ideal += 1.0 / std::log2(static_cast<double>(i) + 2.0);
      }
      return dcg / ideal;
    }
    case MetricKind::kRepeatShare: {
      size_t repeats = 0;
      for (size_t r = 0; r < ranked.size() && r < k; ++r) {
        repeats += contains(historyItemsSorted, ranked[r]) ? 1 : 0;
      }
      return static_cast<double>(repeats) / static_cast<double>(k);
    }
    case MetricKind::kRepeatRecall:
    case MetricKind::kExploreRecall:
    case MetricKind::kRepeatPhr:
    case MetricKind::kExplorePhr: {
      const bool repeat =
          metric.kind == MetricKind::kRepeatRecall || metric.kind == MetricKind::kRepeatPhr;
      std::vector<int64_t> part;
      for (int64_t id : targetSorted) {
        if (contains(historyItemsSorted, id) == repeat) {
          part.push_back(id);
        }
      }
      if (part.empty()) {
        return kNaN;
      }
      const bool recall =
          metric.kind == MetricKind::kRepeatRecall || metric.kind == MetricKind::kExploreRecall;
      return recall ? recallAgainst(ranked, k, part) : phrAgainst(ranked, k, part);
    }
  }
  return kNaN;
}

FoldAccumulator::FoldAccumulator()
    : sums_(metricDefs().size(), 0.0), counts_(metricDefs().size(), 0) {}

void FoldAccumulator::add(const std::vector<int64_t>& ranked, const std::vector<int64_t>& target,
                          const std::vector<int64_t>& historyItems) {
  std::vector<int64_t> targetSorted = target;
  std::sort(targetSorted.begin(), targetSorted.end());
  targetSorted.erase(std::unique(targetSorted.begin(), targetSorted.end()), targetSorted.end());
  std::vector<int64_t> historySorted = historyItems;
  std::sort(historySorted.begin(), historySorted.end());
  historySorted.erase(std::unique(historySorted.begin(), historySorted.end()), historySorted.end());
  const auto& defs = metricDefs();
  for (size_t m = 0; m < defs.size(); ++m) {
    const double v = userMetric(defs[m], ranked, targetSorted, historySorted);
    if (!std::isnan(v)) {
      sums_[m] += v;
      ++counts_[m];
    }
  }
  ++users_;
}

std::vector<double> FoldAccumulator::means() const {
  std::vector<double> out(sums_.size(), kNaN);
  for (size_t m = 0; m < sums_.size(); ++m) {
    if (counts_[m] > 0) {
      out[m] = sums_[m] / static_cast<double>(counts_[m]);
    }
  }
  return out;
}

Summary summarize(const std::vector<double>& perFold) {
  double sum = 0;
  size_t n = 0;
  for (double v : perFold) {
    if (!std::isnan(v)) {
      sum += v;
      ++n;
    }
  }
  Summary s;
  if (n == 0) {
    s.mean = kNaN;
    s.std = kNaN;
    return s;
  }
  s.mean = sum / static_cast<double>(n);
  if (n > 1) {
    double squares = 0;
    for (double v : perFold) {
      if (!std::isnan(v)) {
        squares += (v - s.mean) * (v - s.mean);
      }
    }
    s.std = std::sqrt(squares / static_cast<double>(n - 1));
  }
  return s;
}

}  // namespace loyalty::tools::eval
