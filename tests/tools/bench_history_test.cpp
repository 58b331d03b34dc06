// Tests of loyalty-bench's scenario history (tools/loyalty-bench/history_db.h) at tiny sizes
// (200 customers, 5,000 lines): the built database holds the requested counts, every balance is
// its ledger sum (read back through the core's own SqliteStore), the build is deterministic, bad
// specs and existing files are refused, the options parse; and a process test where loyalty-bench
// builds the database, starts a real core on it and commits on it.
#include "loyalty-bench/history_db.h"

#include <catch2/catch.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/synthetic_catalogue.h"
#include "loyalty-bench/bench_options.h"
#include "loyalty-bench/servers.h"
#include "loyalty/protocol/json.h"
#include "storage/sqlite/sqlite_store.h"
#include "support/test_support.h"

namespace loyalty::tools {
namespace {

using ::loyalty::testing::runCommand;

constexpr int64_t kCustomers = 200;
constexpr int64_t kLines = 5000;

// Eight shoppers with three baskets each over items 300..359 (user ids 3, 10, 17, ...: some of
// the history's customer numbers are real shoppers, the others borrow one).
TaFengData smallData() {
  TaFengData data;
  for (int64_t u = 0; u < 8; ++u) {
    Shopper s;
    s.userId = 3 + 7 * u;
    s.baskets.push_back({300 + u, 310 + u, 320 + u});
    s.baskets.push_back({330 + u, 301 + u});
    s.baskets.push_back({340 + u, 350 + u, 302 + u, 303 + u, 304 + u});
    data.shoppers.push_back(s);
  }
  return data;
}

// A fresh folder, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "bench-history-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Totals {
  int64_t customers = 0;
  int64_t sales = 0;
  int64_t lines = 0;
  int64_t balances = 0;
  int64_t mismatched = 0;  // customers whose balance is not their ledger sum
};

// Reads every customer 1..maxId back through the core's store.
Totals readBack(const std::string& path, int64_t maxId) {
  core::storage::SqliteOptions options;
  options.path = path;
  auto store = core::storage::SqliteStore::open(options);
  REQUIRE(store.ok());
  Totals t;
  for (int64_t id = 1; id <= maxId; ++id) {
    auto customer = store.value()->findCustomerById(id);
    REQUIRE(customer.ok());
    if (!customer->has_value()) {
      continue;
    }
    ++t.customers;
    auto ledger = store.value()->ledgerOf(id);
    REQUIRE(ledger.ok());
    int64_t sum = 0;
    for (const auto& e : ledger.value()) {
      sum += e.points.value();
    }
    const int64_t balance = (*customer)->balance.value();
    t.balances += balance;
    if (balance != sum) {
      ++t.mismatched;
    }
    auto sales = store.value()->salesOf(id, 100000);
    REQUIRE(sales.ok());
    t.sales += static_cast<int64_t>(sales->size());
    for (const auto& s : sales.value()) {
      t.lines += static_cast<int64_t>(s.lines.size());
    }
  }
  return t;
}

TEST_CASE("BenchHistory: the built database has the requested counts and consistent balances",
          "[tools][sqlite]") {
  TempDir dir;
  const std::string path = dir.path() + "/history.db";
  std::vector<HistoryProgress> reports;
  auto stats = buildHistoryDb(smallData(), HistorySpec{kCustomers, kLines, 7}, path,
                              [&](const HistoryProgress& p) { reports.push_back(p); });
  REQUIRE(stats.ok());
  CHECK(stats->customers == kCustomers);
  CHECK(stats->lines == kLines);
  CHECK(stats->sales >= kLines / 5);  // baskets of 2 to 5 lines
  CHECK(stats->sales <= kLines / 2 + kCustomers);
  CHECK(stats->dbBytes > 0);
  REQUIRE_FALSE(reports.empty());
  CHECK(reports.back().customersDone == kCustomers);
  CHECK(reports.back().linesDone == kLines);

  auto reread = readHistoryDb(path);
  REQUIRE(reread.ok());
  CHECK(reread->customers == kCustomers);
  CHECK(reread->lines == kLines);
  CHECK(reread->sales == stats->sales);
  CHECK(reread->ledgerEntries == stats->ledgerEntries);

  const Totals t = readBack(path, kCustomers + 10);
  CHECK(t.customers == kCustomers);
  CHECK(t.sales == stats->sales);
  CHECK(t.lines == kLines);
  CHECK(t.mismatched == 0);
  CHECK(t.balances > 0);

  // Customer c has card cardOf(c), so the bench's shoppers are found by their card.
  core::storage::SqliteOptions options;
  options.path = path;
  auto store = core::storage::SqliteStore::open(options);
  REQUIRE(store.ok());
  auto found = store.value()->findCustomer(cardOf(10));
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->id == 11);
}

TEST_CASE("BenchHistory: the same spec builds the same history", "[tools][sqlite]") {
  TempDir dir;
  auto a = buildHistoryDb(smallData(), HistorySpec{50, 1000, 3}, dir.path() + "/a.db");
  auto b = buildHistoryDb(smallData(), HistorySpec{50, 1000, 3}, dir.path() + "/b.db");
  auto c = buildHistoryDb(smallData(), HistorySpec{50, 1000, 4}, dir.path() + "/c.db");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(c.ok());
  const Totals ta = readBack(dir.path() + "/a.db", 50);
  const Totals tb = readBack(dir.path() + "/b.db", 50);
  const Totals tc = readBack(dir.path() + "/c.db", 50);
  CHECK(a->sales == b->sales);
  CHECK(ta.balances == tb.balances);
  CHECK(tc.lines == 1000);
  CHECK(tc.balances != ta.balances);  // another seed varies the baskets
}

TEST_CASE("BenchHistory: bad specs, existing files and foreign databases are refused",
          "[tools][sqlite]") {
  TempDir dir;
  const std::string path = dir.path() + "/h.db";
  CHECK(buildHistoryDb(smallData(), HistorySpec{0, 10, 1}, path).error().code ==
        base::ErrorCode::kInvalidValue);
  CHECK(buildHistoryDb(smallData(), HistorySpec{10, 9, 1}, path).error().code ==
        base::ErrorCode::kInvalidValue);
  CHECK(buildHistoryDb(TaFengData{}, HistorySpec{1, 1, 1}, path).error().code ==
        base::ErrorCode::kInvalidValue);
  REQUIRE(buildHistoryDb(smallData(), HistorySpec{1, 1, 1}, path).ok());
  CHECK(buildHistoryDb(smallData(), HistorySpec{1, 1, 1}, path).error().code ==
        base::ErrorCode::kInvalidState);
  CHECK(resetHistoryUsers(path).ok());

  // A core database that the bench did not build.
  const std::string plain = dir.path() + "/plain.db";
  {
    core::storage::SqliteOptions options;
    options.path = plain;
    REQUIRE(core::storage::SqliteStore::open(options).ok());
  }
  CHECK(readHistoryDb(plain).error().code == base::ErrorCode::kInvalidValue);
  CHECK(resetHistoryUsers(plain).error().code == base::ErrorCode::kInvalidValue);
  CHECK_FALSE(readHistoryDb(dir.path() + "/missing.db").ok());
}

base::Result<BenchOptions> parse(std::vector<std::string> args) { return parseBenchOptions(args); }

TEST_CASE("BenchHistory: options", "[tools]") {
  auto o = parse({"--scenario", "history", "--tafeng", "d"});
  REQUIRE(o.ok());
  CHECK(o->scenario == Scenario::kHistory);
  CHECK(o->historyCustomers == 1000000);
  CHECK(o->historyLines == 50000000);
  CHECK(o->historyDb.empty());
  CHECK_FALSE(o->ceiling);
  CHECK_FALSE(o->storageCeiling);

  o = parse({"--scenario=history", "--tafeng=d", "--customers=200", "--history-lines", "5000",
             "--history-db", "h.db", "--tills", "4", "--duration", "2", "--json"});
  REQUIRE(o.ok());
  CHECK(o->historyCustomers == 200);
  CHECK(o->historyLines == 5000);
  CHECK(o->historyDb == "h.db");
  CHECK(o->tills == 4);
  CHECK(o->json);

  CHECK_FALSE(parse({"--scenario", "commit", "--tafeng", "d", "--customers", "5"}).ok());
  CHECK_FALSE(parse({"--scenario", "commit", "--tafeng", "d", "--history-db", "x"}).ok());
  CHECK_FALSE(parse({"--scenario", "history", "--tafeng", "d", "--customers", "0"}).ok());
  CHECK_FALSE(
      parse({"--scenario", "history", "--tafeng", "d", "--customers", "10", "--history-lines", "9"})
          .ok());
  CHECK_FALSE(parse({"--scenario", "history", "--tafeng", "d", "--history-db", ""}).ok());
  CHECK_FALSE(parse({"--scenario", "history", "--tafeng", "d", "--core", "127.0.0.1:1"}).ok());
  CHECK(benchUsage().find("--history-lines") != std::string::npos);
}

TEST_CASE("loyalty-bench: scenario history commits on a core started on the history",
          "[tools][integration][sqlite]") {
  const std::string exe = ownExecutableDir() + "/loyalty-bench";
  INFO("needs " << exe << " (build the target loyalty-bench)");
  REQUIRE(::access(exe.c_str(), X_OK) == 0);
  TempDir dir;
  const std::string path = dir.path() + "/history.db";
  const std::string command = "'" + exe + "' --scenario history --tafeng '" +
                              std::string(LOYALTY_SHARED_DATA_DIR) +
                              "/tafeng' --customers 200 --history-lines 5000 --history-db '" +
                              path + "' --tills 2 --duration 1 --lines 5 --json 2>/dev/null";
  for (int run = 0; run < 2; ++run) {  // builds, then reuses
    int status = -1;
    const std::string out = runCommand(command, status);
    INFO("run " << run << " output: " << out);
    REQUIRE(status == 0);
    auto parsed = protocol::json::parse(out);
    REQUIRE(parsed.ok());
    const protocol::json::Value& v = parsed.value();
    CHECK(v.find("scenario")->asString() == "history");
    const protocol::json::Value* h = v.find("history");
    REQUIRE(h != nullptr);
    REQUIRE(h->isObject());
    CHECK(h->find("customers")->asInt() == 200);
    CHECK(h->find("lines")->asInt() == 5000);
    CHECK(h->find("db_bytes")->asInt() > 0);
    const protocol::json::Value* full = h->find("commit_full");
    const protocol::json::Value* empty = h->find("commit_empty");
    const protocol::json::Value* again = h->find("commit_empty_after");
    REQUIRE(full != nullptr);
    REQUIRE(empty != nullptr);
    REQUIRE(again != nullptr);
    CHECK(again->find("requests")->asInt() > 0);
    CHECK(again->find("errors")->asInt() == 0);
    CHECK(full->find("requests")->asInt() > 0);
    CHECK(full->find("errors")->asInt() == 0);
    CHECK(empty->find("requests")->asInt() > 0);
    CHECK(empty->find("errors")->asInt() == 0);
    CHECK(h->find("ratio_throughput")->asDouble() > 0);
    CHECK(h->find("ratio_p99")->asDouble() > 0);
    CHECK(h->find("rss_kb_full")->asInt() > 0);
    CHECK(h->find("rss_kb_empty")->asInt() > 0);
  }
  // The commits went into the history: balances still equal ledger sums.
  auto stats = readHistoryDb(path);
  REQUIRE(stats.ok());
  const Totals t = readBack(path, 1000);
  CHECK(t.customers > 200);  // the bench's shoppers were enrolled by their first commit
  CHECK(t.lines > 5000);
  CHECK(t.mismatched == 0);
}

}  // namespace
}  // namespace loyalty::tools
