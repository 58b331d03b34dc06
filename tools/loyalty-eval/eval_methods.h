// The ranking methods loyalty-eval compares, behind one interface.
//
//   g-topfreq   the items in the most history baskets over all users (ties: lower id first);
//   p-topfreq   the user's own items by the number of their history baskets holding each (ties:
//               first bought first, as the stable sort of the published p_topfreq.py);
//   gp-topfreq  p-topfreq, then padded with g-topfreq items not yet listed;
//   system      the product's scorer: HabitProfile + NeighbourModel (train users as the pool) +
//               Scorer from loyalty::core::personalization, padded with g-topfreq when it has
//               fewer than K items;
//   tifu-knn    a reference implementation of TIFU-KNN as in the published code (7 groups,
//               within-group decay r_b, across-group decay r_g, Euclidean k-NN over train users,
//               alpha blend), computed from the full history: the bar "system" is compared with.
//
// Per fold, prepareFold() receives the train users (neighbour pools draw only from them); then
// rank() is called for the users to score. Users are positions in the list of users with a
// target (canonical order, see eval_data.h).
//
// Thread safety: one thread per method object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "domain/personalization/personalization.h"
#include "loyalty-eval/eval_data.h"
#include "loyalty/base/result.h"

namespace loyalty::tools::eval {

// The users with a target, and what every method shares.
struct EvalContext {
  explicit EvalContext(const EvalData& data);

  const EvalData& data;
  std::vector<const EvalUser*> users;              // users with a target, canonical order
  std::vector<int64_t> globalTop;                  // g-topfreq ranking (every item of history)
  std::vector<std::vector<int64_t>> historyItems;  // per user: distinct history items, sorted
};

// Items of all users' history baskets by basket count, descending (ties: lower id first).
std::vector<int64_t> globalPopularity(const EvalData& data);
// One user's history items by basket count, descending (ties: first bought first).
std::vector<int64_t> personalTopFrequency(const EvalUser& user);

struct TifuParams {
  size_t groups = 7;
  double withinDecay = 0.9;  // r_b
  double groupDecay = 0.7;   // r_g
  size_t k = 300;
  double alpha = 0.7;
};

// TIFU-KNN's user vector from the history baskets (the published temporal_decay_sum_history).
core::personalization::SparseVector tifuVector(const std::vector<Basket>& history,
                                               const TifuParams& params);

class RankingMethod {
 public:
  RankingMethod() = default;
  RankingMethod(const RankingMethod&) = delete;
  RankingMethod& operator=(const RankingMethod&) = delete;
  virtual ~RankingMethod() = default;
  virtual const std::string& name() const = 0;
  // trainUsers: positions in EvalContext::users.
  virtual base::Status prepareFold(const std::vector<size_t>& trainUsers) = 0;
  // The user's top-k items, best first.
  virtual std::vector<int64_t> rank(size_t user, size_t k) = 0;
};

struct SystemTimings {
  std::vector<double> profileUpdateMicros;  // one sample per basket fed
  std::vector<double> neighbourMicros;      // per scored user: nearest + average
  std::vector<double> scoreMicros;          // per scored user: Scorer::rank
  std::vector<size_t> scoredBaskets;        // history baskets of each scored user
};

// Names: "g-topfreq", "p-topfreq", "gp-topfreq", "system", "tifu-knn".
// Errors: kInvalidValue for an unknown name.
base::Result<std::unique_ptr<RankingMethod>> makeMethod(
    const std::string& name, const EvalContext& context,
    const core::personalization::PersonalizationParams& systemParams, const TifuParams& tifuParams,
    SystemTimings* timings);

const std::vector<std::string>& knownMethods();

}  // namespace loyalty::tools::eval
