// loyalty-eval: the baselines as the published code defines them, the command line, the
// --json output of the real binary, and the --timing benchmark.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "loyalty-eval/eval_data.h"
#include "loyalty-eval/eval_methods.h"
#include "loyalty-eval/eval_options.h"
#include "loyalty-eval/eval_timing.h"
#include "loyalty/protocol/json.h"
#include "support/test_support.h"

namespace ev = loyalty::tools::eval;

namespace {

ev::EvalData smallData() {
  auto data = ev::parseBasketCsv(
      "customer_id,basket_key,item_id\n"
      // user 1: 5 and 6 twice, 7 once; 5 bought first.
      "1,1,7\n1,1,5\n1,2,6\n1,2,5\n1,3,6\n1,4,9\n"
      // user 2: 8 once.
      "2,1,8\n2,2,5\n"
      // user 3: 6 three times.
      "3,1,6\n3,2,6\n3,3,6\n3,4,1\n");
  REQUIRE(data.ok());
  return std::move(data.value());
}

// Runs a command and returns its standard output.
std::string runCommand(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    out.append(buffer, n);
  }
  const int status = ::pclose(pipe);
  CHECK(status == 0);
  return out;
}

}  // namespace

TEST_CASE("EvalBaselines: personal frequency with first-bought tie order", "[eval]") {
  const ev::EvalData data = smallData();
  // User 1 history: {7, 5}, {6, 5}, {6}: 5 and 6 twice (5 first seen), then 7.
  CHECK(ev::personalTopFrequency(data.users[0]) == std::vector<int64_t>{5, 6, 7});
  // Global over history baskets: 6 in 5 baskets, 5 in 2, 7 and 8 in 1 (ties: lower id first).
  CHECK(ev::globalPopularity(data) == std::vector<int64_t>{6, 5, 7, 8});
}

TEST_CASE("EvalBaselines: g, p and gp rankings", "[eval]") {
  const ev::EvalData data = smallData();
  const ev::EvalContext context(data);
  REQUIRE(context.users.size() == 3);
  auto make = [&](const std::string& name) {
    auto method = ev::makeMethod(name, context, {}, {}, nullptr);
    REQUIRE(method.ok());
    REQUIRE(method.value()->prepareFold({0, 1, 2}).ok());
    return std::move(method.value());
  };
  auto g = make("g-topfreq");
  auto p = make("p-topfreq");
  auto gp = make("gp-topfreq");
  CHECK(g->rank(1, 3) == std::vector<int64_t>{6, 5, 7});
  CHECK(p->rank(1, 3) == std::vector<int64_t>{8});
  CHECK(gp->rank(1, 3) == std::vector<int64_t>{8, 6, 5});
  CHECK(gp->rank(0, 2) == std::vector<int64_t>{5, 6});
  CHECK_FALSE(ev::makeMethod("nope", context, {}, {}, nullptr).ok());
}

TEST_CASE("EvalBaselines: the TIFU-KNN vector groups and decays as published", "[eval]") {
  ev::TifuParams params;  // 7 groups, r_b 0.9, r_g 0.7
  // Two baskets (< 7 groups): one group per basket, weight r_b^(n-1-j) r_g^(6-j), over 2 groups.
  const auto v = ev::tifuVector({{1}, {1, 2}}, params);
  REQUIRE(v.size() == 2);
  const double w0 = 0.9 * std::pow(0.7, 6);
  const double w1 = 1.0 * std::pow(0.7, 5);
  CHECK(v[0].weight == Approx((w0 + w1) / 2));
  CHECK(v[1].weight == Approx(w1 / 2));
  // Nine baskets: 5 groups of 1 basket, then 2 groups of 2, over 7 groups.
  std::vector<ev::Basket> nine(9, ev::Basket{3});
  nine[8] = {4};
  const auto u = ev::tifuVector(nine, params);
  REQUIRE(u.size() == 2);
  // Item 4 is only in the last basket, half of the last group (weight 1, r_g^0).
  CHECK(u[1].weight == Approx(0.5 / 7));
}

TEST_CASE("EvalOptions: parsing and validation", "[eval]") {
  auto ok = ev::parseArgs({"--tafeng", "dir", "--folds=3", "--seed", "9", "--json", "--methods",
                           "system,g-topfreq", "--alpha", "0.2"});
  REQUIRE(ok.ok());
  CHECK(ok->tafengDir == "dir");
  CHECK(ok->eval.folds == 3);
  CHECK(ok->eval.seed == 9);
  CHECK(ok->json);
  CHECK(ok->eval.methods == std::vector<std::string>{"system", "g-topfreq"});
  CHECK(ok->eval.system.scorer.alpha == Approx(0.2));

  auto defaults = ev::parseArgs({"--baskets", "b.csv"});
  REQUIRE(defaults.ok());
  CHECK(defaults->eval.folds == 5);
  CHECK(defaults->eval.seed == 0);
  CHECK(defaults->filters.minBaskets == 2);
  CHECK(defaults->filters.maxBaskets == 0);
  CHECK(defaults->filters.minItemCount == 0);
  CHECK(defaults->eval.methods ==
        std::vector<std::string>{"g-topfreq", "p-topfreq", "gp-topfreq", "system"});

  CHECK(ev::parseArgs({"--help"})->help);
  CHECK_FALSE(ev::parseArgs({}).ok());                                   // no input
  CHECK_FALSE(ev::parseArgs({"--tafeng", "d", "--baskets", "b"}).ok());  // both inputs
  CHECK_FALSE(ev::parseArgs({"--tafeng", "d", "--folds", "0"}).ok());
  CHECK_FALSE(ev::parseArgs({"--tafeng", "d", "--folds"}).ok());
  CHECK_FALSE(ev::parseArgs({"--tafeng", "d", "--alpha", "2"}).ok());
  CHECK_FALSE(ev::parseArgs({"--tafeng", "d", "--methods", "magic"}).ok());
  CHECK_FALSE(ev::parseArgs({"--tafeng", "d", "--json=yes"}).ok());
  CHECK_FALSE(ev::parseArgs({"--tafeng", "d", "--frobnicate"}).ok());
}

TEST_CASE("loyalty-eval: --json prints every method with the documented metrics", "[eval][slow]") {
  loyalty::testing::TempDir dir("loyalty-eval-json");
  std::string csv = "customer_id,basket_key,item_id\n";
  // 50 customers, 4 baskets each, deterministic contents.
  for (int c = 1; c <= 50; ++c) {
    for (int b = 1; b <= 4; ++b) {
      for (int i = 0; i < 3; ++i) {
        csv += std::to_string(c) + "," + std::to_string(b) + "," +
               std::to_string((c * 7 + b * (i + 1) * 3) % 23) + "\n";
      }
    }
  }
  loyalty::testing::writeFile(dir.file("b.csv"), csv);
  const std::string out = runCommand("'" + std::string(LOYALTY_EVAL_EXE) + "' --baskets '" +
                                     dir.file("b.csv") + "' --folds 2 --json 2>/dev/null");
  auto doc = loyalty::protocol::json::parse(out);
  INFO(out);
  REQUIRE(doc.ok());
  REQUIRE(doc->isObject());
  REQUIRE(doc->members().size() == 1);
  const auto* methods = doc->find("methods");
  REQUIRE(methods != nullptr);
  REQUIRE(methods->members().size() == 4);
  const std::vector<std::string> names = {"g-topfreq", "p-topfreq", "gp-topfreq", "system"};
  const std::vector<std::string> metrics = {
      "recall@10",        "ndcg@10",          "phr@10",           "recall@20",
      "ndcg@20",          "phr@20",           "repeat_recall@10", "explore_recall@10",
      "repeat_recall@20", "explore_recall@20"};
  for (size_t m = 0; m < names.size(); ++m) {
    const auto& [name, value] = methods->members()[m];
    CHECK(name == names[m]);
    REQUIRE(value.members().size() == metrics.size());
    for (size_t i = 0; i < metrics.size(); ++i) {
      CHECK(value.members()[i].first == metrics[i]);
      const auto* mean = value.members()[i].second.find("mean");
      const auto* std = value.members()[i].second.find("std");
      REQUIRE(mean != nullptr);
      REQUIRE(std != nullptr);
      if (!mean->isNull()) {
        CHECK(mean->asDouble() >= 0.0);
        CHECK(mean->asDouble() <= 1.0);
      }
    }
  }
}

TEST_CASE("EvalOptions: --timing and its options", "[eval]") {
  auto defaults = ev::parseArgs({"--tafeng", "dir", "--timing"});
  REQUIRE(defaults.ok());
  CHECK(defaults->timing);
  CHECK_FALSE(defaults->tune);
  CHECK(defaults->timingOptions.minPastBaskets == 50);
  CHECK(defaults->timingOptions.minShoppers == 50);
  CHECK(defaults->timingOptions.repetitions == 20);
  CHECK(defaults->timingOptions.couponCount == 3);
  CHECK(defaults->timingOptions.discoverPercent == 20);
  CHECK_FALSE(ev::parseArgs({"--tafeng", "dir"})->timing);

  auto all = ev::parseArgs({"--baskets", "b.csv", "--timing", "--json", "--timing-min-baskets",
                            "40", "--timing-shoppers=10", "--timing-repeat", "5", "--timing-count",
                            "10", "--timing-discover", "0", "--neighbours", "50"});
  REQUIRE(all.ok());
  CHECK(all->json);
  CHECK(all->timingOptions.minPastBaskets == 40);
  CHECK(all->timingOptions.minShoppers == 10);
  CHECK(all->timingOptions.repetitions == 5);
  CHECK(all->timingOptions.couponCount == 10);
  CHECK(all->timingOptions.discoverPercent == 0);
  CHECK(all->eval.system.neighbours.k == 50);  // the system's parameters apply to the timing
  CHECK(ev::parseArgs({"--tafeng", "d", "--timing", "--timing-discover", "100"})
            ->timingOptions.discoverPercent == 100);

  // Refused: out of range, a timing option without --timing, --timing with --tune, a value.
  CHECK_FALSE(ev::parseArgs({"--tafeng", "d", "--timing", "--timing-count", "11"}).ok());
  CHECK_FALSE(ev::parseArgs({"--tafeng", "d", "--timing", "--timing-count", "0"}).ok());
  CHECK_FALSE(ev::parseArgs({"--tafeng", "d", "--timing", "--timing-discover", "101"}).ok());
  CHECK_FALSE(ev::parseArgs({"--tafeng", "d", "--timing", "--timing-repeat", "0"}).ok());
  CHECK_FALSE(ev::parseArgs({"--tafeng", "d", "--timing", "--timing-shoppers", "-1"}).ok());
  CHECK_FALSE(ev::parseArgs({"--tafeng", "d", "--timing", "--timing-min-baskets"}).ok());
  CHECK_FALSE(ev::parseArgs({"--tafeng", "d", "--timing-repeat", "3"}).ok());
  CHECK_FALSE(ev::parseArgs({"--tafeng", "d", "--timing", "--tune"}).ok());
  CHECK_FALSE(ev::parseArgs({"--tafeng", "d", "--timing=yes"}).ok());
  CHECK_FALSE(ev::parseArgs({"--timing"}).ok());  // still needs an input
  CHECK(ev::usage().find("--timing-repeat") != std::string::npos);
}

TEST_CASE("EvalTiming: users with enough baskets, else the ones with the most", "[eval]") {
  bool fellBack = true;
  const std::vector<size_t> past = {10, 50, 3, 52, 49, 50};
  CHECK(ev::selectTimingUsers(past, 50, 3, fellBack) == std::vector<size_t>{1, 3, 5});
  CHECK_FALSE(fellBack);
  CHECK(ev::selectTimingUsers(past, 50, 2, fellBack) == std::vector<size_t>{1, 3, 5});
  CHECK_FALSE(fellBack);
  // Only three have 50: the four with the most (52, 50, 50, 49), in data order.
  CHECK(ev::selectTimingUsers(past, 50, 4, fellBack) == std::vector<size_t>{1, 3, 4, 5});
  CHECK(fellBack);
  // Ties at the cut go to the earlier user.
  CHECK(ev::selectTimingUsers({5, 7, 7, 7}, 100, 2, fellBack) == std::vector<size_t>{1, 2});
  CHECK(ev::selectTimingUsers(past, 60, 100, fellBack).size() == past.size());

  const auto s = ev::summarizeLatency({5, 1, 4, 2, 3, 10, 9, 8, 7, 6});
  CHECK(s.samples == 10);
  CHECK(s.mean == Approx(5.5));
  CHECK(s.p50 == 5);
  CHECK(s.p90 == 9);
  CHECK(s.p99 == 10);
  CHECK(s.max == 10);
  CHECK(ev::summarizeLatency({}).samples == 0);
}

TEST_CASE("EvalTiming: times the commits of the users with the most baskets", "[eval]") {
  // 30 users; user u has 3 + u % 10 baskets drawn from a small catalogue.
  std::string csv = "customer_id,basket_key,item_id\n";
  for (int u = 1; u <= 30; ++u) {
    for (int b = 1; b <= 3 + u % 10; ++b) {
      for (int i = 0; i < 4; ++i) {
        csv += std::to_string(u) + "," + std::to_string(b) + "," +
               std::to_string((u * 5 + b * (i + 2)) % 17) + "\n";
      }
    }
  }
  auto data = ev::parseBasketCsv(csv);
  REQUIRE(data.ok());
  ev::TimingOptions options;
  options.minPastBaskets = 11;  // users 9, 19, 29 have 12 baskets: 11 stored, 1 committed
  options.minShoppers = 5;
  options.repetitions = 3;
  loyalty::core::personalization::PersonalizationParams params;
  params.neighbours.k = 5;
  auto result = ev::runTiming(data.value(), params, options);
  REQUIRE(result.ok());
  const ev::TimingResult& r = result.value();
  CHECK(r.users == 30);
  CHECK(r.poolSize == 30);
  CHECK(r.bookEntries > 0);
  CHECK(r.qualifying == 3);
  CHECK(r.fellBack);
  CHECK(r.selected == 5);
  CHECK(r.selectedMaxPast == 11);
  CHECK(r.selectedMinPast == 10);  // then two of the users with 11 baskets (10 stored)
  CHECK(r.repetitions == 3);
  CHECK(r.selectedRows.choice.samples == 15);
  CHECK(r.selectedRows.total.samples == 15);
  CHECK(r.allRows.profile.samples == 30);
  CHECK(r.selectedRows.total.p50 >= r.selectedRows.choice.p50);
  CHECK(r.selectedRows.choice.max > 0);
  CHECK(r.couponsPerCommit == Approx(3.0));  // enough candidates for 3 coupons each
  CHECK(r.repeatShare > 0);
  CHECK(r.repeatShare <= 1);

  const std::string text = ev::renderTimingText(r, options, "test data");
  CHECK(text.find("only 3 users have >= 11 stored baskets") != std::string::npos);
  CHECK(text.find("p99") != std::string::npos);
  auto doc = loyalty::protocol::json::parse(ev::renderTimingJson(r, options));
  REQUIRE(doc.ok());
  const auto* timing = doc->find("timing");
  REQUIRE(timing != nullptr);
  CHECK(timing->find("fell_back") != nullptr);
  const auto* selected = timing->find("selected");
  REQUIRE(selected != nullptr);
  for (const char* row : {"profile", "choice", "profile_choice"}) {
    INFO(row);
    const auto* summary = selected->find(row);
    REQUIRE(summary != nullptr);
    for (const char* field : {"samples", "mean_us", "p50_us", "p90_us", "p99_us", "max_us"}) {
      INFO(field);
      CHECK(summary->find(field) != nullptr);
    }
    CHECK(summary->find("samples")->asDouble() == 15);
  }

  ev::EvalData single;
  single.users.push_back(ev::EvalUser{"1", {}, {1}, true});
  CHECK_FALSE(ev::runTiming(single, params, options).ok());  // nothing stored to time
}

TEST_CASE("loyalty-eval: --timing --json runs the benchmark", "[eval][slow]") {
  loyalty::testing::TempDir dir("loyalty-eval-timing");
  std::string csv = "customer_id,basket_key,item_id\n";
  for (int c = 1; c <= 20; ++c) {
    for (int b = 1; b <= 6; ++b) {
      for (int i = 0; i < 3; ++i) {
        csv += std::to_string(c) + "," + std::to_string(b) + "," +
               std::to_string((c * 3 + b * (i + 1)) % 13) + "\n";
      }
    }
  }
  loyalty::testing::writeFile(dir.file("b.csv"), csv);
  const std::string out =
      runCommand("'" + std::string(LOYALTY_EVAL_EXE) + "' --baskets '" + dir.file("b.csv") +
                 "' --timing --timing-min-baskets 5 --timing-shoppers 10 --timing-repeat 2 --json "
                 "2>/dev/null");
  INFO(out);
  auto doc = loyalty::protocol::json::parse(out);
  REQUIRE(doc.ok());
  const auto* timing = doc->find("timing");
  REQUIRE(timing != nullptr);
  CHECK(timing->find("users")->asDouble() == 20);
  CHECK(timing->find("selected_users")->asDouble() == 20);  // all have 5 stored baskets
  CHECK_FALSE(timing->find("fell_back")->asBool());
  CHECK(timing->find("selected")->find("choice")->find("samples")->asDouble() == 40);
  CHECK(timing->find("coupon_count")->asDouble() == 3);
}
