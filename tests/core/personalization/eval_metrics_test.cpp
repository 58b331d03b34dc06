// loyalty-eval metrics on hand-computed cases, and the 72/8/20 split.
#include "loyalty-eval/eval_metrics.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <set>
#include <vector>

#include "loyalty-eval/eval_split.h"

namespace ev = loyalty::tools::eval;

namespace {

double metric(const std::string& name, const std::vector<int64_t>& ranked,
              std::vector<int64_t> target, std::vector<int64_t> history) {
  std::sort(target.begin(), target.end());
  std::sort(history.begin(), history.end());
  for (const ev::MetricDef& def : ev::metricDefs()) {
    if (def.name == name) {
      return ev::userMetric(def, ranked, target, history);
    }
  }
  FAIL("no metric " << name);
  return 0;
}

}  // namespace

TEST_CASE("EvalMetrics: recall, NDCG and PHR on a hand-computed ranking", "[eval]") {
  const std::vector<int64_t> ranked = {1, 9, 2, 8};
  const std::vector<int64_t> target = {3, 2, 1};
  CHECK(metric("recall@10", ranked, target, {}) == Approx(2.0 / 3));
  // Hits at ranks 1 and 3; the ideal DCG runs over the 3 target items.
  const double dcg = 1.0 + 1.0 / std::log2(4.0);
  const double ideal = 1.0 + 1.0 / std::log2(3.0) + 1.0 / std::log2(4.0);
  CHECK(metric("ndcg@10", ranked, target, {}) == Approx(dcg / ideal));
  CHECK(metric("phr@10", ranked, target, {}) == 1.0);
  CHECK(metric("phr@10", {7, 8}, target, {}) == 0.0);
  CHECK(metric("recall@10", {}, target, {}) == 0.0);
}

TEST_CASE("EvalMetrics: the ideal DCG covers the whole target, even beyond K", "[eval]") {
  std::vector<int64_t> target;
  for (int64_t i = 0; i < 12; ++i) {
    target.push_back(i);
  }
  // A perfect top-10 of a 12-item target: NDCG@10 < 1, as in the published code.
  const std::vector<int64_t> ranked(target.begin(), target.begin() + 10);
  double dcg10 = 0;
  double ideal12 = 0;
  for (int i = 1; i <= 12; ++i) {
    ideal12 += 1.0 / std::log2(i + 1.0);
    if (i <= 10) {
      dcg10 += 1.0 / std::log2(i + 1.0);
    }
  }
  CHECK(metric("ndcg@10", ranked, target, {}) == Approx(dcg10 / ideal12));
  CHECK(metric("recall@10", ranked, target, {}) == Approx(10.0 / 12));
  // Items beyond K do not count.
  std::vector<int64_t> late(10, -1);
  late.push_back(0);
  CHECK(metric("recall@10", late, target, {}) == 0.0);
  CHECK(metric("recall@20", late, target, {}) == Approx(1.0 / 12));
}

TEST_CASE("EvalMetrics: repeat and explore parts of the target", "[eval]") {
  const std::vector<int64_t> history = {1, 5};
  const std::vector<int64_t> target = {1, 2, 3};  // repeat {1}, explore {2, 3}
  const std::vector<int64_t> ranked = {1, 9, 2};
  CHECK(metric("repeat_recall@10", ranked, target, history) == 1.0);
  CHECK(metric("explore_recall@10", ranked, target, history) == Approx(0.5));
  CHECK(metric("repeat_phr@10", ranked, target, history) == 1.0);
  CHECK(metric("explore_phr@10", {1, 9}, target, history) == 0.0);
  CHECK(metric("repeat_share@10", ranked, target, history) == Approx(0.1));  // 1 of K = 10
  // No explore part: undefined, and left out of the fold mean.
  CHECK(std::isnan(metric("explore_recall@10", ranked, {1, 5}, history)));

  ev::FoldAccumulator acc;
  acc.add(ranked, {1, 5}, history);     // explore undefined
  acc.add(ranked, {1, 2, 3}, history);  // explore recall 0.5
  acc.add({7}, {7, 8}, history);        // repeat undefined; explore recall 0.5
  const std::vector<double> means = acc.means();
  const auto& defs = ev::metricDefs();
  for (size_t m = 0; m < defs.size(); ++m) {
    if (defs[m].name == "explore_recall@10") {
      CHECK(means[m] == Approx(0.5));
    }
    if (defs[m].name == "repeat_recall@10") {
      CHECK(means[m] == Approx((0.5 + 1.0) / 2));
    }
    if (defs[m].name == "recall@10") {
      CHECK(means[m] == Approx((0.5 + 2.0 / 3 + 0.5) / 3));
    }
  }
  CHECK(acc.users() == 3);
}

TEST_CASE("EvalMetrics: the JSON metrics come first, in the documented order", "[eval]") {
  const std::vector<std::string> expected = {
      "recall@10",        "ndcg@10",          "phr@10",           "recall@20",
      "ndcg@20",          "phr@20",           "repeat_recall@10", "explore_recall@10",
      "repeat_recall@20", "explore_recall@20"};
  const auto& defs = ev::metricDefs();
  REQUIRE(defs.size() > expected.size());
  for (size_t i = 0; i < defs.size(); ++i) {
    CHECK(defs[i].inJson == (i < expected.size()));
    if (i < expected.size()) {
      CHECK(defs[i].name == expected[i]);
    }
  }
}

TEST_CASE("EvalMetrics: mean and sample standard deviation over folds", "[eval]") {
  const ev::Summary s = ev::summarize({0.1, 0.3});
  CHECK(s.mean == Approx(0.2));
  CHECK(s.std == Approx(std::sqrt(0.02)));
  const ev::Summary one = ev::summarize({0.25});
  CHECK(one.mean == 0.25);
  CHECK(one.std == 0);
  CHECK(std::isnan(ev::summarize({std::nan("")}).mean));
}

TEST_CASE("EvalSplit: 72/8/20 sizes, disjoint, complete", "[eval]") {
  const ev::Split split = ev::splitUsers(13858, 0);
  CHECK(split.train.size() == 9977);
  CHECK(split.validation.size() == 1109);
  CHECK(split.test.size() == 2772);
  std::set<size_t> all;
  all.insert(split.train.begin(), split.train.end());
  all.insert(split.validation.begin(), split.validation.end());
  all.insert(split.test.begin(), split.test.end());
  CHECK(all.size() == 13858);
  CHECK(*all.rbegin() == 13857);

  const ev::Split small = ev::splitUsers(10, 3);
  CHECK(small.train.size() == 7);
  CHECK(small.validation.size() == 1);
  CHECK(small.test.size() == 2);
  CHECK(ev::splitUsers(0, 1).test.empty());
}

TEST_CASE("EvalSplit: determined by the seed", "[eval]") {
  const ev::Split a = ev::splitUsers(1000, 7);
  const ev::Split b = ev::splitUsers(1000, 7);
  CHECK(a.train == b.train);
  CHECK(a.validation == b.validation);
  CHECK(a.test == b.test);
  const ev::Split c = ev::splitUsers(1000, 8);
  CHECK(a.test != c.test);
  // A fixed seed gives a fixed permutation on every platform (own MT19937 and bounded draws).
  const std::vector<size_t> order = ev::shuffledIndices(5, 0);
  std::vector<size_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == std::vector<size_t>{0, 1, 2, 3, 4});
  CHECK(ev::shuffledIndices(5, 0) == order);
}

TEST_CASE("EvalSplit: the permutation of Python's random.shuffle after random.seed", "[eval]") {
  // Reference values printed by CPython 3: random.seed(s); l = list(range(n)); random.shuffle(l)
  CHECK(ev::shuffledIndices(10, 0) == std::vector<size_t>{7, 8, 1, 5, 3, 4, 2, 0, 9, 6});
  CHECK(ev::shuffledIndices(10, 3) == std::vector<size_t>{1, 5, 6, 0, 9, 4, 7, 2, 8, 3});
  CHECK(ev::shuffledIndices(20, 4) == std::vector<size_t>{17, 19, 10, 14, 5, 18, 16, 11, 4, 8,
                                                          6,  0,  13, 1,  2, 15, 12, 3,  9, 7});
  // TaFeng's 13,858 users, seed 0: the last five and the first of the test part.
  const std::vector<size_t> tafeng = ev::shuffledIndices(13858, 0);
  CHECK(std::vector<size_t>(tafeng.end() - 5, tafeng.end()) ==
        std::vector<size_t>{663, 6890, 12418, 6311, 13835});
  CHECK(std::vector<size_t>(tafeng.begin(), tafeng.begin() + 3) ==
        std::vector<size_t>{12911, 1545, 153});
  CHECK(ev::splitUsers(13858, 0).test.front() == 10294);
}
