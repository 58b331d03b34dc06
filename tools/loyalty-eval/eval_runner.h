// Runs the evaluation protocol (data/README of the shared TaFeng files, docs/personalization.md):
// for each fold f in 0..folds-1, users with a target are split with seed `seed + f`; every
// method is prepared with that fold's train users and scored on its test users.
//
// tune() runs the system's parameter grid on the VALIDATION users of each fold instead (test
// users are never looked at), which is how the library's defaults were chosen.
//
// Thread safety: re-entrant; progress is called from the calling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "domain/personalization/personalization.h"
#include "loyalty-eval/eval_data.h"
#include "loyalty-eval/eval_methods.h"
#include "loyalty-eval/eval_metrics.h"
#include "loyalty/base/result.h"

namespace loyalty::tools::eval {

struct EvalOptions {
  size_t folds = 5;
  uint64_t seed = 0;  // fold f uses seed + f
  std::vector<std::string> methods = {"g-topfreq", "p-topfreq", "gp-topfreq", "system"};
  core::personalization::PersonalizationParams system;
  TifuParams tifu;
  // Score the validation users instead of the test users (for tuning by hand; the reported
  // results never use this).
  bool scoreValidation = false;
};

struct MethodResult {
  std::string name;
  std::vector<std::vector<double>> perFold;  // [fold][metric], metrics as metricDefs()
  std::vector<Summary> summary;              // per metric, over folds
};

struct TimingSummary {
  std::string what;
  size_t samples = 0;
  double meanMicros = 0;
  double p50Micros = 0;
  double p99Micros = 0;
  double maxMicros = 0;
};

struct EvalResult {
  DataStats stats;
  size_t trainUsers = 0;
  size_t validationUsers = 0;
  size_t testUsers = 0;
  std::vector<MethodResult> methods;
  std::vector<TimingSummary> timings;  // the system method's costs, when it ran
};

using Progress = std::function<void(const std::string&)>;

// Errors: kInvalidValue for no users with a target, folds == 0 or an unknown method.
base::Result<EvalResult> runEvaluation(const EvalData& data, const EvalOptions& options,
                                       const Progress& progress = nullptr);

// Percentiles of a sample (empty sample: all zero).
TimingSummary summarizeTimings(std::string what, std::vector<double> micros);

struct TuneGrid {
  std::vector<double> decayRates = {0.75, 0.8, 0.85, 0.9, 0.95};
  std::vector<core::personalization::Similarity> similarities = {
      core::personalization::Similarity::kEuclidean, core::personalization::Similarity::kCosine};
  std::vector<size_t> ks = {100, 200, 300, 500, 800};
  std::vector<double> alphas = {0.02, 0.05, 0.1, 0.15, 0.2, 0.3};
};

struct TuneRow {
  core::personalization::PersonalizationParams params;
  Summary recall10;
  Summary ndcg10;
  Summary phr10;
  Summary exploreRecall10;
};

// The selection rule: among the rows within 0.001 of the best validation recall@10, the one with
// the best validation NDCG@10. Requires: rows non-empty.
const TuneRow& chooseTuned(const std::vector<TuneRow>& rows);

// Every grid point evaluated on the validation users, best validation recall@10 first.
base::Result<std::vector<TuneRow>> tune(const EvalData& data, const TuneGrid& grid, size_t folds,
                                        uint64_t seed,
                                        const core::personalization::PersonalizationParams& base,
                                        const Progress& progress = nullptr);

}  // namespace loyalty::tools::eval
