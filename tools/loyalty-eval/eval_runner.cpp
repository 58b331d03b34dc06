#include "loyalty-eval/eval_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <sstream>
#include <utility>

#include "loyalty-eval/eval_split.h"

namespace loyalty::tools::eval {
namespace {

namespace pz = core::personalization;
using Clock = std::chrono::steady_clock;

void report(const Progress& progress, const std::string& line) {
  if (progress) {
    progress(line);
  }
}

std::string seconds(Clock::time_point start) {
  std::ostringstream out;
  out.precision(1);
  out << std::fixed << std::chrono::duration<double>(Clock::now() - start).count() << " s";
  return out.str();
}

std::vector<Summary> summarizeFolds(const std::vector<std::vector<double>>& perFold) {
  std::vector<Summary> out;
  const size_t metrics = metricDefs().size();
  for (size_t m = 0; m < metrics; ++m) {
    std::vector<double> values;
    for (const auto& fold : perFold) {
      values.push_back(fold[m]);
    }
    out.push_back(summarize(values));
  }
  return out;
}

size_t metricIndex(const std::string& name) {
  const auto& defs = metricDefs();
  for (size_t m = 0; m < defs.size(); ++m) {
    if (defs[m].name == name) {
      return m;
    }
  }
  return defs.size();
}

}  // namespace

TimingSummary summarizeTimings(std::string what, std::vector<double> micros) {
  TimingSummary t;
  t.what = std::move(what);
  t.samples = micros.size();
  if (micros.empty()) {
    return t;
  }
  std::sort(micros.begin(), micros.end());
  double sum = 0;
  for (double v : micros) {
    sum += v;
  }
  auto percentile = [&](double p) {
    const auto index = static_cast<size_t>(std::ceil(p * static_cast<double>(micros.size()))) - 1;
    return micros[std::min(index, micros.size() - 1)];
  };
  t.meanMicros = sum / static_cast<double>(micros.size());
  t.p50Micros = percentile(0.50);
  t.p99Micros = percentile(0.99);
  t.maxMicros = micros.back();
  return t;
}

base::Result<EvalResult> runEvaluation(const EvalData& data, const EvalOptions& options,
                                       const Progress& progress) {
  if (options.folds == 0) {
    return base::makeError(base::ErrorCode::kInvalidValue, "--folds must be at least 1");
  }
  const EvalContext context(data);
  const size_t n = context.users.size();
  if (n == 0) {
    return base::makeError(base::ErrorCode::kInvalidValue, "no user has a target basket");
  }

  EvalResult result;
  result.stats = statsOf(data);
  SystemTimings timings;
  std::vector<std::unique_ptr<RankingMethod>> methods;
  for (const std::string& name : options.methods) {
    const auto start = Clock::now();
    auto method = makeMethod(name, context, options.system, options.tifu, &timings);
    if (!method) {
      return method.error();
    }
    report(progress, "prepared " + name + " (" + seconds(start) + ")");
    methods.push_back(std::move(method.value()));
    result.methods.push_back(MethodResult{name, {}, {}});
  }

  for (size_t f = 0; f < options.folds; ++f) {
    const uint64_t seed = options.seed + f;
    const Split split = splitUsers(n, seed);
    result.trainUsers = split.train.size();
    result.validationUsers = split.validation.size();
    result.testUsers = split.test.size();
    for (size_t m = 0; m < methods.size(); ++m) {
      const auto start = Clock::now();
      if (auto s = methods[m]->prepareFold(split.train); !s) {
        return s.error();
      }
      FoldAccumulator accumulator;
      const std::vector<size_t>& scored = options.scoreValidation ? split.validation : split.test;
      for (size_t u : scored) {
        accumulator.add(methods[m]->rank(u, kMaxCutoff), context.users[u]->target,
                        context.historyItems[u]);
      }
      const std::vector<double> means = accumulator.means();
      result.methods[m].perFold.push_back(means);
      std::ostringstream line;
      line.precision(4);
      line << std::fixed << "fold " << f + 1 << "/" << options.folds << " (seed " << seed
           << "): " << methods[m]->name() << " recall@10 " << means[metricIndex("recall@10")]
           << " on " << accumulator.users() << (options.scoreValidation ? " validation" : " test")
           << " users (" << seconds(start) << ")";
      report(progress, line.str());
    }
  }
  for (MethodResult& m : result.methods) {
    m.summary = summarizeFolds(m.perFold);
  }

  if (!timings.scoreMicros.empty()) {
    std::vector<double> longScores;
    for (size_t i = 0; i < timings.scoreMicros.size(); ++i) {
      if (timings.scoredBaskets[i] >= 40) {
        longScores.push_back(timings.scoreMicros[i]);
      }
    }
    result.timings.push_back(
        summarizeTimings("profile update, per basket", timings.profileUpdateMicros));
    result.timings.push_back(summarizeTimings("neighbour vector, per shopper (background job)",
                                              timings.neighbourMicros));
    result.timings.push_back(summarizeTimings("scoring, per shopper", timings.scoreMicros));
    result.timings.push_back(summarizeTimings("scoring, shoppers with >= 40 baskets", longScores));
  }
  return result;
}

const TuneRow& chooseTuned(const std::vector<TuneRow>& rows) {
  double bestRecall = rows.front().recall10.mean;
  for (const TuneRow& r : rows) {
    bestRecall = std::max(bestRecall, r.recall10.mean);
  }
  const TuneRow* chosen = nullptr;
  for (const TuneRow& r : rows) {
    if (r.recall10.mean >= bestRecall - 0.001 &&
        (chosen == nullptr || r.ndcg10.mean > chosen->ndcg10.mean)) {
      chosen = &r;
    }
  }
  return *chosen;
}

base::Result<std::vector<TuneRow>> tune(const EvalData& data, const TuneGrid& grid, size_t folds,
                                        uint64_t seed, const pz::PersonalizationParams& base,
                                        const Progress& progress) {
  if (folds == 0) {
    return base::makeError(base::ErrorCode::kInvalidValue, "--folds must be at least 1");
  }
  const EvalContext context(data);
  const size_t n = context.users.size();
  if (n == 0) {
    return base::makeError(base::ErrorCode::kInvalidValue, "no user has a target basket");
  }
  if (grid.decayRates.empty() || grid.similarities.empty() || grid.ks.empty() ||
      grid.alphas.empty()) {
    return base::makeError(base::ErrorCode::kInvalidValue, "empty tuning grid");
  }
  const size_t maxK = *std::max_element(grid.ks.begin(), grid.ks.end());
  const size_t recall10 = metricIndex("recall@10");
  const size_t ndcg10 = metricIndex("ndcg@10");
  const size_t phr10 = metricIndex("phr@10");
  const size_t explore10 = metricIndex("explore_recall@10");

  std::vector<TuneRow> rows;
  for (double decay : grid.decayRates) {
    pz::ProfileParams profileParams = base.profile;
    profileParams.decayRate = decay;
    std::vector<pz::HabitProfile> profiles;
    std::vector<pz::SparseVector> vectors;
    for (const EvalUser* user : context.users) {
      profiles.push_back(pz::buildProfile(user->history, profileParams));
      vectors.push_back(profiles.back().vector());
    }
    for (pz::Similarity similarity : grid.similarities) {
      // [k][alpha][fold] -> metric means
      std::vector<std::vector<std::vector<std::vector<double>>>> perFold(
          grid.ks.size(), std::vector<std::vector<std::vector<double>>>(grid.alphas.size()));
      for (size_t f = 0; f < folds; ++f) {
        const auto start = Clock::now();
        const Split split = splitUsers(n, seed + f);
        std::vector<pz::PoolShopper> pool;
        for (size_t u : split.train) {
          pool.push_back(pz::PoolShopper{static_cast<int64_t>(u), vectors[u]});
        }
        pz::NeighbourParams np = base.neighbours;
        np.similarity = similarity;
        auto model = pz::NeighbourModel::build(pool, np);
        if (!model) {
          return model.error();
        }
        std::vector<std::vector<FoldAccumulator>> acc(
            grid.ks.size(), std::vector<FoldAccumulator>(grid.alphas.size()));
        for (size_t u : split.validation) {
          const std::vector<pz::Neighbour> nearest =
              model->nearest(vectors[u], maxK, static_cast<int64_t>(u));
          for (size_t ki = 0; ki < grid.ks.size(); ++ki) {
            const std::vector<pz::Neighbour> prefix(
                nearest.begin(), nearest.begin() + static_cast<std::ptrdiff_t>(
                                                       std::min(grid.ks[ki], nearest.size())));
            const pz::SparseVector nb = model->average(prefix, np.topItems);
            for (size_t ai = 0; ai < grid.alphas.size(); ++ai) {
              pz::ScorerParams sp = base.scorer;
              sp.alpha = grid.alphas[ai];
              const auto ranked =
                  pz::Scorer(sp).rank(profiles[u], nb, kMaxCutoff, {}, context.globalTop);
              std::vector<int64_t> ids;
              for (const auto& r : ranked) {
                ids.push_back(r.itemId);
              }
              acc[ki][ai].add(ids, context.users[u]->target, context.historyItems[u]);
            }
          }
        }
        for (size_t ki = 0; ki < grid.ks.size(); ++ki) {
          for (size_t ai = 0; ai < grid.alphas.size(); ++ai) {
            perFold[ki][ai].push_back(acc[ki][ai].means());
          }
        }
        std::ostringstream line;
        line << "tune: decay " << decay << ", "
             << (similarity == pz::Similarity::kEuclidean ? "euclidean" : "cosine") << ", fold "
             << f + 1 << "/" << folds << " (" << seconds(start) << ")";
        report(progress, line.str());
      }
      for (size_t ki = 0; ki < grid.ks.size(); ++ki) {
        for (size_t ai = 0; ai < grid.alphas.size(); ++ai) {
          const std::vector<Summary> s = summarizeFolds(perFold[ki][ai]);
          TuneRow row;
          row.params = base;
          row.params.profile.decayRate = decay;
          row.params.neighbours.similarity = similarity;
          row.params.neighbours.k = grid.ks[ki];
          row.params.scorer.alpha = grid.alphas[ai];
          row.recall10 = s[recall10];
          row.ndcg10 = s[ndcg10];
          row.phr10 = s[phr10];
          row.exploreRecall10 = s[explore10];
          rows.push_back(row);
        }
      }
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const TuneRow& a, const TuneRow& b) {
    return a.recall10.mean > b.recall10.mean;
  });
  return rows;
}

}  // namespace loyalty::tools::eval
