#include "loyalty-eval/eval_methods.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

namespace loyalty::tools::eval {
namespace {

namespace pz = core::personalization;
using Clock = std::chrono::steady_clock;

double microsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

std::vector<int64_t> firstK(const std::vector<int64_t>& ranking, size_t k) {
  return std::vector<int64_t>(
      ranking.begin(), ranking.begin() + static_cast<std::ptrdiff_t>(std::min(k, ranking.size())));
}

// `head` followed by the items of `tail` not in it, up to k items.
std::vector<int64_t> padded(std::vector<int64_t> head, const std::vector<int64_t>& tail, size_t k) {
  if (head.size() >= k) {
    head.resize(k);
    return head;
  }
  std::vector<int64_t> seen = head;
  std::sort(seen.begin(), seen.end());
  for (int64_t id : tail) {
    if (head.size() >= k) {
      break;
    }
    if (!std::binary_search(seen.begin(), seen.end(), id)) {
      head.push_back(id);
    }
  }
  return head;
}

class GlobalTopFrequency final : public RankingMethod {
 public:
  explicit GlobalTopFrequency(const EvalContext& context) : context_(context) {}
  const std::string& name() const override { return name_; }
  base::Status prepareFold(const std::vector<size_t>&) override { return base::okStatus(); }
  std::vector<int64_t> rank(size_t, size_t k) override { return firstK(context_.globalTop, k); }

 private:
  const EvalContext& context_;
  const std::string name_ = "g-topfreq";
};

class PersonalTopFrequency final : public RankingMethod {
 public:
  PersonalTopFrequency(const EvalContext& context, bool padWithGlobal)
      : context_(context),
        padWithGlobal_(padWithGlobal),
        name_(padWithGlobal ? "gp-topfreq" : "p-topfreq") {}
  const std::string& name() const override { return name_; }
  base::Status prepareFold(const std::vector<size_t>&) override { return base::okStatus(); }
  std::vector<int64_t> rank(size_t user, size_t k) override {
    std::vector<int64_t> personal = personalTopFrequency(*context_.users[user]);
    if (padWithGlobal_) {
      return padded(std::move(personal), context_.globalTop, k);
    }
    return firstK(personal, k);
  }

 private:
  const EvalContext& context_;
  const bool padWithGlobal_;
  const std::string name_;
};

class SystemMethod final : public RankingMethod {
 public:
  SystemMethod(const EvalContext& context, const pz::PersonalizationParams& params,
               SystemTimings* timings)
      : context_(context), params_(params), scorer_(params.scorer), timings_(timings) {
    profiles_.reserve(context.users.size());
    vectors_.reserve(context.users.size());
    for (const EvalUser* user : context.users) {
      pz::HabitProfile profile(params.profile);
      for (const Basket& basket : user->history) {
        const auto start = Clock::now();
        profile.update(basket);
        if (timings_ != nullptr) {
          timings_->profileUpdateMicros.push_back(microsSince(start));
        }
      }
      vectors_.push_back(profile.vector());
      profiles_.push_back(std::move(profile));
    }
  }
  const std::string& name() const override { return name_; }

  base::Status prepareFold(const std::vector<size_t>& trainUsers) override {
    std::vector<pz::PoolShopper> pool;
    pool.reserve(trainUsers.size());
    for (size_t u : trainUsers) {
      pool.push_back(pz::PoolShopper{static_cast<int64_t>(u), vectors_[u]});
    }
    auto model = pz::NeighbourModel::build(pool, params_.neighbours);
    if (!model) {
      return model.error();
    }
    model_.emplace(std::move(model.value()));
    return base::okStatus();
  }

  std::vector<int64_t> rank(size_t user, size_t k) override {
    const auto start = Clock::now();
    const pz::SparseVector neighbours =
        model_->neighbourVector(vectors_[user], static_cast<int64_t>(user));
    const auto scoring = Clock::now();
    const std::vector<pz::RankedItem> ranked =
        scorer_.rank(profiles_[user], neighbours, k, {}, context_.globalTop);
    if (timings_ != nullptr) {
      timings_->scoreMicros.push_back(microsSince(scoring));
      timings_->neighbourMicros.push_back(
          std::chrono::duration<double, std::micro>(scoring - start).count());
      timings_->scoredBaskets.push_back(context_.users[user]->history.size());
    }
    std::vector<int64_t> out;
    out.reserve(ranked.size());
    for (const pz::RankedItem& item : ranked) {
      out.push_back(item.itemId);
    }
    return out;
  }

 private:
  const EvalContext& context_;
  const pz::PersonalizationParams params_;
  const pz::Scorer scorer_;
  SystemTimings* timings_;
  std::vector<pz::HabitProfile> profiles_;
  std::vector<pz::SparseVector> vectors_;
  std::optional<pz::NeighbourModel> model_;
  const std::string name_ = "system";
};

class TifuKnnMethod final : public RankingMethod {
 public:
  TifuKnnMethod(const EvalContext& context, const TifuParams& params) : params_(params) {
    vectors_.reserve(context.users.size());
    for (const EvalUser* user : context.users) {
      vectors_.push_back(tifuVector(user->history, params));
    }
  }
  const std::string& name() const override { return name_; }

  base::Status prepareFold(const std::vector<size_t>& trainUsers) override {
    std::vector<pz::PoolShopper> pool;
    pool.reserve(trainUsers.size());
    for (size_t u : trainUsers) {
      pool.push_back(pz::PoolShopper{static_cast<int64_t>(u), vectors_[u]});
    }
    pz::NeighbourParams np;
    np.k = params_.k;
    np.similarity = pz::Similarity::kEuclidean;
    np.topItems = 100;
    auto model = pz::NeighbourModel::build(pool, np);
    if (!model) {
      return model.error();
    }
    model_.emplace(std::move(model.value()));
    return base::okStatus();
  }

  std::vector<int64_t> rank(size_t user, size_t k) override {
    const pz::SparseVector& own = vectors_[user];
    const pz::SparseVector nb = model_->neighbourVector(own, static_cast<int64_t>(user));
    std::map<int64_t, double> scores;
    for (const pz::SparseEntry& e : own) {
      scores[e.itemId] += params_.alpha * e.weight;
    }
    for (const pz::SparseEntry& e : nb) {
      scores[e.itemId] += (1 - params_.alpha) * e.weight;
    }
    std::vector<std::pair<int64_t, double>> ranked(scores.begin(), scores.end());
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<int64_t> out;
    for (size_t i = 0; i < ranked.size() && i < k; ++i) {
      out.push_back(ranked[i].first);
    }
    return out;
  }

 private:
  const TifuParams params_;
  std::vector<pz::SparseVector> vectors_;
  std::optional<pz::NeighbourModel> model_;
  const std::string name_ = "tifu-knn";
};

}  // namespace

EvalContext::EvalContext(const EvalData& d) : data(d) {
  for (const EvalUser& u : d.users) {
    if (u.hasTarget) {
      users.push_back(&u);
    }
  }
  globalTop = globalPopularity(d);
  historyItems.reserve(users.size());
  for (const EvalUser* u : users) {
    std::vector<int64_t> items;
    for (const Basket& b : u->history) {
      items.insert(items.end(), b.begin(), b.end());
    }
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
    historyItems.push_back(std::move(items));
  }
}

std::vector<int64_t> globalPopularity(const EvalData& data) {
  std::unordered_map<int64_t, int64_t> counts;
  for (const EvalUser& u : data.users) {
    for (const Basket& b : u.history) {
      for (int64_t id : b) {
        ++counts[id];
      }
    }
  }
  std::vector<std::pair<int64_t, int64_t>> items(counts.begin(), counts.end());
  std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<int64_t> out;
  out.reserve(items.size());
  for (const auto& item : items) {
    out.push_back(item.first);
  }
  return out;
}

std::vector<int64_t> personalTopFrequency(const EvalUser& user) {
  std::vector<std::pair<int64_t, int64_t>> counts;  // (item, count) in first-bought order
  std::unordered_map<int64_t, size_t> position;
  for (const Basket& b : user.history) {
    for (int64_t id : b) {
      auto [it, inserted] = position.emplace(id, counts.size());
      if (inserted) {
        counts.emplace_back(id, 1);
      } else {
        ++counts[it->second].second;
      }
    }
  }
  std::stable_sort(counts.begin(), counts.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<int64_t> out;
  out.reserve(counts.size());
  for (const auto& c : counts) {
    out.push_back(c.first);
  }
  return out;
}

pz::SparseVector tifuVector(const std::vector<Basket>& history, const TifuParams& params) {
  const size_t n = history.size();
  const size_t groups = std::max<size_t>(params.groups, 1);
  std::map<int64_t, double> sum;
  if (n == 0) {
    return {};
  }
  // Basket j (0-based) carries r_b^(n-1-j) on each of its items. Baskets are cut into groups
  // (one per basket when n < groups; else groups - n % groups groups of n / groups baskets, then
  // n % groups groups of one more); a group is the mean of its baskets and group g weighs
  // r_g^(groups-1-g); the sum is divided by the number of groups.
  std::vector<size_t> groupSizes;
  if (n < groups) {
    groupSizes.assign(n, 1);
  } else {
    const size_t base = n / groups;
    const size_t extra = n % groups;
    groupSizes.assign(groups - extra, base);
    groupSizes.insert(groupSizes.end(), extra, base + 1);
  }
  size_t basket = 0;
  for (size_t g = 0; g < groupSizes.size(); ++g) {
    const double groupWeight = std::pow(params.groupDecay, static_cast<double>(groups - 1 - g)) /
                               static_cast<double>(groupSizes[g]);
    for (size_t i = 0; i < groupSizes[g]; ++i, ++basket) {
      const double w =
          std::pow(params.withinDecay, static_cast<double>(n - 1 - basket)) * groupWeight;
      for (int64_t id : history[basket]) {
        sum[id] += w;
      }
    }
  }
  const double realGroups = static_cast<double>(groupSizes.size());
  pz::SparseVector out;
  out.reserve(sum.size());
  for (const auto& [id, w] : sum) {
    if (w > 0) {
      out.push_back(pz::SparseEntry{id, w / realGroups});
    }
  }
  return out;
}

const std::vector<std::string>& knownMethods() {
  static const std::vector<std::string> names = {"g-topfreq", "p-topfreq", "gp-topfreq", "system",
                                                 "tifu-knn"};
  return names;
}

base::Result<std::unique_ptr<RankingMethod>> makeMethod(
    const std::string& name, const EvalContext& context,
    const pz::PersonalizationParams& systemParams, const TifuParams& tifuParams,
    SystemTimings* timings) {
  std::unique_ptr<RankingMethod> method;
  if (name == "g-topfreq") {
    method = std::make_unique<GlobalTopFrequency>(context);
  } else if (name == "p-topfreq") {
    method = std::make_unique<PersonalTopFrequency>(context, false);
  } else if (name == "gp-topfreq") {
    method = std::make_unique<PersonalTopFrequency>(context, true);
  } else if (name == "system") {
    method = std::make_unique<SystemMethod>(context, systemParams, timings);
  } else if (name == "tifu-knn") {
    method = std::make_unique<TifuKnnMethod>(context, tifuParams);
  } else {
    return base::makeError(base::ErrorCode::kInvalidValue, "unknown method \"" + name + "\"");
  }
  return base::Result<std::unique_ptr<RankingMethod>>(std::move(method));
}

}  // namespace loyalty::tools::eval
