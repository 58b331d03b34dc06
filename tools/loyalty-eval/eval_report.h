// loyalty-eval's output: a table a person can read, the --json document, and the tuning table.
//
// JSON (exactly this shape, numbers with 6 decimals, null for a metric no fold defines):
//   {"methods": {"<name>": {"recall@10": {"mean": x, "std": y}, "ndcg@10": ..., "phr@10": ...,
//    "recall@20": ..., "ndcg@20": ..., "phr@20": ..., "repeat_recall@10": ...,
//    "explore_recall@10": ..., "repeat_recall@20": ..., "explore_recall@20": ...}}}
// The text table has every metric of metricDefs() (also repeat/explore PHR and repeat share).
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "loyalty-eval/eval_runner.h"

namespace loyalty::tools::eval {

struct ReportContext {
  std::string source;  // what was read, e.g. "TaFeng JSON (dir)" or "CSV file.csv"
  size_t folds = 0;
  uint64_t seed = 0;
};

std::string renderText(const EvalResult& result, const EvalOptions& options,
                       const ReportContext& context);
std::string renderJson(const EvalResult& result);
// The best `limit` rows of a tuning run.
std::string renderTune(const std::vector<TuneRow>& rows, size_t limit);

// "0.1234 ± 0.0056" (n/a for NaN).
std::string formatSummary(const Summary& s);
std::string describeParams(const core::personalization::PersonalizationParams& params);

}  // namespace loyalty::tools::eval
