// loyalty-eval input: the generic CSV, the TaFeng JSON files, filters, and the guarantee that the
// same baskets as CSV or as JSON give the same numbers.
#include "loyalty-eval/eval_data.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "loyalty-eval/eval_methods.h"
#include "loyalty-eval/eval_runner.h"
#include "support/test_support.h"

namespace ev = loyalty::tools::eval;
using loyalty::base::ErrorCode;

namespace {

struct Synthetic {
  std::string historyJson;
  std::string futureJson;
  std::string csv;
};

// `users` customers with 3..8 baskets of items drawn from a skewed distribution, as TaFeng JSON
// and as the equivalent CSV. The CSV lists each customer's baskets newest first and interleaves
// customers, so that the reader must sort and group.
Synthetic makeSynthetic(int users, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<std::vector<int64_t>>> data(static_cast<size_t>(users));
  for (auto& baskets : data) {
    const int count = 3 + static_cast<int>(rng() % 6);
    const int64_t favourite = static_cast<int64_t>(rng() % 10);
    for (int b = 0; b < count; ++b) {
      std::vector<int64_t> basket;
      if (rng() % 3 != 0) {
        basket.push_back(favourite);
      }
      const int size = 1 + static_cast<int>(rng() % 5);
      for (int i = 0; i < size; ++i) {
        const auto a = static_cast<int64_t>(rng() % 40);
        const auto c = static_cast<int64_t>(rng() % 40);
        const int64_t item = std::min(a, c);  // skewed toward low ids
        if (std::find(basket.begin(), basket.end(), item) == basket.end()) {
          basket.push_back(item);
        }
      }
      baskets.push_back(basket);
    }
  }
  auto list = [](const std::vector<int64_t>& basket) {
    std::string s = "[";
    for (size_t i = 0; i < basket.size(); ++i) {
      s += (i ? ", " : "") + std::to_string(basket[i]);
    }
    return s + "]";
  };
  Synthetic out;
  out.historyJson = "{";
  out.futureJson = "{";
  for (size_t u = 0; u < data.size(); ++u) {
    const std::string key = "\"" + std::to_string(u + 1) + "\": [[-1], ";
    out.historyJson += (u ? ", " : "") + key;
    for (size_t b = 0; b + 1 < data[u].size(); ++b) {
      out.historyJson += list(data[u][b]) + ", ";
    }
    out.historyJson += "[-1]]";
    out.futureJson += (u ? ", " : "") + key + list(data[u].back()) + ", [-1]]";
  }
  out.historyJson += "}";
  out.futureJson += "}";

  out.csv = "customer_id,basket_key,item_id,quantity,unit_price_cents\r\n";
  size_t maxBaskets = 0;
  for (const auto& baskets : data) {
    maxBaskets = std::max(maxBaskets, baskets.size());
  }
  for (size_t round = 0; round < maxBaskets; ++round) {
    for (size_t u = 0; u < data.size(); ++u) {
      if (round >= data[u].size()) {
        continue;
      }
      const size_t b = data[u].size() - 1 - round;  // newest first
      for (int64_t item : data[u][b]) {
        out.csv += std::to_string(u + 1) + "," + std::to_string(b + 1) + "," +
                   std::to_string(item) + ",1,250\r\n";
      }
    }
  }
  return out;
}

ev::EvalData parseCsv(const std::string& text) {
  auto data = ev::parseBasketCsv(text, "test.csv");
  INFO((data.ok() ? std::string() : data.error().message));
  REQUIRE(data.ok());
  return std::move(data.value());
}

}  // namespace

TEST_CASE("EvalData: CSV baskets ordered by integer keys, last one the target", "[eval]") {
  const ev::EvalData data = parseCsv(
      "customer_id,basket_key,item_id\n"
      "b,10,5\n"
      "b,9,6\n"
      "b,9,6\n"  // duplicate line: baskets are sets
      "b,9,7\n"
      "a,1,3\n"
      "a,2,3\n");
  REQUIRE(data.users.size() == 2);
  CHECK(data.users[0].key == "a");
  const ev::EvalUser& b = data.users[1];
  REQUIRE(b.history.size() == 1);
  CHECK(b.history[0] == ev::Basket{6, 7});  // key 9 before key 10 as integers
  CHECK(b.target == ev::Basket{5});
  CHECK(b.hasTarget);
}

TEST_CASE("EvalData: non-integer basket keys sort as strings, item names are numbered", "[eval]") {
  const ev::EvalData data = parseCsv(
      "customer_id,basket_key,item_id\n"
      "7,2001-01-02,\"milk, 1l\"\n"
      "7,2000-12-31,bread\n"
      "7,2001-01-02,eggs\n"
      "12,2000-11-05T10:00,bread\n"
      "12,2000-11-05T09:00,eggs\n");
  REQUIRE(data.users.size() == 2);
  CHECK(data.users[0].key == "7");  // integer customer ids sort as integers
  const ev::EvalUser& u = data.users[0];
  // Names sorted: bread = 0, eggs = 1, "milk, 1l" = 2.
  REQUIRE(u.history.size() == 1);
  CHECK(u.history[0] == ev::Basket{0});
  CHECK(u.target == ev::Basket{2, 1});
  CHECK(data.users[1].history[0] == ev::Basket{1});
  CHECK(data.users[1].target == ev::Basket{0});
}

TEST_CASE("EvalData: malformed CSV is refused with the line number", "[eval]") {
  struct Case {
    const char* text;
    const char* where;
  };
  const Case cases[] = {
      {"", "header"},
      {"1,2,3\n", ":1:"},
      {"customer_id,basket_key\n1,2\n", ":1:"},
      {"customer_id,basket_key,item_id\n1,2\n", ":2:"},
      {"customer_id,basket_key,item_id\n1,,3\n", ":2:"},
      {"customer_id,basket_key,item_id\n1,2,\"3\n", ":2:"},
  };
  for (const Case& c : cases) {
    auto data = ev::parseBasketCsv(c.text, "in.csv");
    REQUIRE_FALSE(data.ok());
    CHECK(data.error().code == ErrorCode::kInvalidCsv);
    CHECK(data.error().message.find(c.where) != std::string::npos);
  }
  auto missing = ev::loadBasketCsv("/nonexistent/loyalty-eval.csv");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kNotFound);
}

TEST_CASE("EvalData: filters on item counts and basket counts", "[eval]") {
  const ev::EvalData data = parseCsv(
      "customer_id,basket_key,item_id\n"
      "1,1,10\n1,1,11\n1,2,10\n1,3,12\n"
      "2,1,10\n2,2,13\n"
      "3,1,10\n");
  // Defaults: user 3 (one basket, no history) goes, nothing else changes.
  const ev::EvalData kept = ev::applyFilters(data, ev::FilterOptions());
  REQUIRE(kept.users.size() == 2);
  CHECK(ev::statsOf(kept).rows == 6);

  ev::FilterOptions rare;
  rare.minItemCount = 2;  // only item 10 is in >= 2 history baskets
  const ev::EvalData f = ev::applyFilters(data, rare);
  REQUIRE(f.users.size() == 1);  // user 2 loses its target basket {13} and falls below 2 baskets
  CHECK(f.users[0].history == std::vector<ev::Basket>{{10}, {10}});
  CHECK_FALSE(f.users[0].hasTarget);  // {12} is gone

  ev::FilterOptions range;
  range.minBaskets = 1;
  range.maxBaskets = 2;
  const ev::EvalData r = ev::applyFilters(data, range);
  REQUIRE(r.users.size() == 2);
  CHECK(r.users[0].key == "2");
  CHECK(r.users[1].key == "3");
}

TEST_CASE("EvalData: TaFeng JSON keeps users without a future basket out of scoring", "[eval]") {
  auto data = ev::parseTaFengJson(R"({"1": [[-1], [1, 2, 2], [3], [-1]], "2": [[-1], [4], [-1]]})",
                                  R"({"1": [[-1], [2, 5], [-1]]})");
  REQUIRE(data.ok());
  REQUIRE(data->users.size() == 2);
  CHECK(data->users[0].history == std::vector<ev::Basket>{{1, 2}, {3}});
  CHECK(data->users[0].target == ev::Basket{2, 5});
  CHECK_FALSE(data->users[1].hasTarget);
  // User 2's history still counts for global popularity.
  const std::vector<int64_t> top = ev::globalPopularity(data.value());
  CHECK(std::find(top.begin(), top.end(), 4) != top.end());
}

TEST_CASE("EvalData: the same baskets as CSV and as JSON give identical metrics", "[eval][slow]") {
  const Synthetic synthetic = makeSynthetic(120, 11);
  loyalty::testing::TempDir dir("loyalty-eval");
  loyalty::testing::writeFile(dir.file("tafeng_history.json"), synthetic.historyJson);
  loyalty::testing::writeFile(dir.file("tafeng_future.json"), synthetic.futureJson);
  loyalty::testing::writeFile(dir.file("baskets.csv"), synthetic.csv);

  auto fromJson = ev::loadTaFengDir(dir.path());
  REQUIRE(fromJson.ok());
  auto fromCsv = ev::loadBasketCsv(dir.file("baskets.csv"));
  REQUIRE(fromCsv.ok());
  const ev::EvalData json = ev::applyFilters(fromJson.value(), ev::FilterOptions());
  const ev::EvalData csv = ev::applyFilters(fromCsv.value(), ev::FilterOptions());
  REQUIRE(json.users.size() == 120);
  REQUIRE(csv.users.size() == json.users.size());
  for (size_t u = 0; u < json.users.size(); ++u) {
    CHECK(csv.users[u].key == json.users[u].key);
    CHECK(csv.users[u].history == json.users[u].history);
    CHECK(csv.users[u].target == json.users[u].target);
  }

  ev::EvalOptions options;
  options.folds = 3;
  options.methods = ev::knownMethods();
  options.system.neighbours.k = 10;
  options.tifu.k = 10;
  auto a = ev::runEvaluation(json, options);
  auto b = ev::runEvaluation(csv, options);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(a->methods.size() == ev::knownMethods().size());
  REQUIRE(b->methods.size() == a->methods.size());
  for (size_t m = 0; m < a->methods.size(); ++m) {
    const ev::MethodResult& x = a->methods[m];
    const ev::MethodResult& y = b->methods[m];
    CHECK(x.name == y.name);
    REQUIRE(x.perFold.size() == 3);
    REQUIRE(y.perFold.size() == 3);
    for (size_t f = 0; f < 3; ++f) {
      for (size_t i = 0; i < x.perFold[f].size(); ++i) {
        INFO(x.name << " fold " << f << " " << ev::metricDefs()[i].name);
        if (std::isnan(x.perFold[f][i])) {
          CHECK(std::isnan(y.perFold[f][i]));
        } else {
          CHECK(x.perFold[f][i] == y.perFold[f][i]);  // exactly equal
        }
      }
    }
  }
  // Sanity: the numbers are real numbers, and a personal method finds the favourites.
  CHECK(a->testUsers == 24);
  CHECK(a->methods[1].summary[0].mean > 0.0);
}
