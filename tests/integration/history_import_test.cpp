// Acceptance: loyalty-import (the real binary) loads a generated basket CSV into the real core:
// every basket becomes a sale with no ledger entry, every customer gets a habit profile, a second
// import changes nothing, bad files and bad usage change nothing, and a later till commit
// updates the imported profile.
#include <catch2/catch.hpp>

#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "integration/daemons.h"
#include "loyalty/protocol/card.h"

using namespace loyalty;
using namespace loyalty::testing;

namespace {

std::string importBinary() { return LOYALTY_IMPORT_BIN; }

struct GeneratedCsv {
  std::string text;
  int64_t baskets = 0;
  int64_t rows = 0;
  int64_t customers = 0;
};

// Customers 0..29 with 1..5 dated baskets of 1..6 distinct items each (seeded).
GeneratedCsv generateCsv(uint64_t seed) {
  std::mt19937_64 rng(seed);
  GeneratedCsv out;
  std::ostringstream csv;
  csv << "customer_id,basket_key,item_id\n";
  for (int customer = 0; customer < 30; ++customer) {
    const int baskets = 1 + static_cast<int>(rng() % 5);
    for (int b = 0; b < baskets; ++b) {
      const std::string day = (b + 1 < 10 ? "0" : "") + std::to_string(b + 1);
      std::set<int> items;
      const size_t count = 1 + rng() % 6;
      while (items.size() < count) {
        items.insert(static_cast<int>(rng() % 40));
      }
      for (int item : items) {
        csv << customer << ",2001-01-" << day << "," << item << "\n";
        ++out.rows;
      }
      ++out.baskets;
    }
    ++out.customers;
  }
  out.text = csv.str();
  return out;
}

void writeText(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  REQUIRE(f.good());
}

std::string readText(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs loyalty-import with args and an admin token of core; returns its exit status (output in
// logFile).
int runImport(const CoreDaemon& core, std::vector<std::string> args, const std::string& logFile) {
  args.push_back("--token");
  args.push_back(core.adminToken());
  ChildProcess process(importBinary(), args, logFile);
  return process.wait();
}

}  // namespace

TEST_CASE("HistoryImport: loyalty-import loads a CSV once; a second import changes nothing",
          "[integration]") {
  TempDir dir("loyalty-import");
  CoreDaemon core(dir);
  core.start();
  const GeneratedCsv data = generateCsv(11);
  const std::string csvPath = dir.file("baskets.csv");
  writeText(csvPath, data.text);
  const std::string address = "127.0.0.1:" + std::to_string(core.port());

  // Small chunks: customers' baskets span requests.
  REQUIRE(runImport(core, {"--core", address, "--baskets", csvPath, "--chunk", "7"},
                    dir.file("import1.out")) == 0);
  INFO(readText(dir.file("import1.out")));
  CHECK(readText(dir.file("import1.out")).find("imported " + std::to_string(data.baskets) +
                                               " baskets (0 already imported") !=
        std::string::npos);

  DbInspector db(core.databasePath());
  CHECK(db.scalar("SELECT count(*) FROM sales WHERE store = 'IMPORT' AND terminal = 'HIST'") ==
        data.baskets);
  CHECK(db.scalar("SELECT count(*) FROM sales") == data.baskets);
  CHECK(db.scalar("SELECT count(*) FROM sale_lines") == data.rows);
  CHECK(db.scalar("SELECT count(*) FROM sale_lines WHERE earns = 1") == 0);
  CHECK(db.scalar("SELECT count(*) FROM ledger") == 0);
  CHECK(db.scalar("SELECT coalesce(sum(points_earned), 0) FROM sales") == 0);
  CHECK(db.scalar("SELECT count(*) FROM customers") == data.customers);
  CHECK(db.scalar("SELECT count(*) FROM customers WHERE balance <> 0") == 0);
  CHECK(db.scalar("SELECT count(*) FROM habit_profiles") == data.customers);
  CHECK(db.scalar("SELECT count(*) FROM sales WHERE business_date = '2001-01-01'") ==
        data.customers);
  // Customer 0 has card cardForCustomerNumber(0 + 1), as the simulator derives it.
  CHECK(db.scalar("SELECT count(*) FROM customers WHERE card = '" +
                  protocol::cardForCustomerNumber(1) + "'") == 1);
  // The synthetic price is used when the file has none: never 0 for integer item ids.
  CHECK(db.scalar("SELECT count(*) FROM sale_lines WHERE unit_price < 49 OR quantity <> 1") == 0);

  const std::string before = db.snapshot();
  REQUIRE(runImport(core, {"--core", address, "--baskets", csvPath, "--chunk", "1000"},
                    dir.file("import2.out")) == 0);
  CHECK(readText(dir.file("import2.out"))
            .find("imported 0 baskets (" + std::to_string(data.baskets) + " already imported") !=
        std::string::npos);
  CHECK(db.snapshot() == before);

  // A bad file (customer id out of range) and bad usage change nothing.
  writeText(dir.file("bad.csv"), "customer_id,basket_key,item_id\n1,1,1\n100000000000,1,1\n");
  CHECK(runImport(core, {"--core", address, "--baskets", dir.file("bad.csv")}, dir.file("bad.out")) ==
        1);
  CHECK(readText(dir.file("bad.out")).find("customer_id") != std::string::npos);
  CHECK(runImport(core, {"--core", address}, dir.file("usage.out")) == 2);
  CHECK(runImport(core, {"--core", address, "--baskets", dir.file("missing.csv")},
                  dir.file("missing.out")) == 1);
  CHECK(db.snapshot() == before);

  // A till commit of an imported customer updates their profile (in the same commit).
  const std::string profileBefore =
      db.pairs("SELECT hex(profile), customer_id FROM habit_profiles WHERE customer_id = 1")
          .begin()
          ->first;
  std::mt19937_64 rng(3);
  auto commit = makeCommit(rng, {"S001", "T1", "2026-11-23", "after-import"},
                           protocol::cardForCustomerNumber(1), 5);
  auto answer = core.client().commit(commit);
  REQUIRE(answer.ok());
  CHECK(db.scalar("SELECT count(*) FROM sales") == data.baskets + 1);
  const std::string profileAfter =
      db.pairs("SELECT hex(profile), customer_id FROM habit_profiles WHERE customer_id = 1")
          .begin()
          ->first;
  CHECK(profileAfter != profileBefore);
  CHECK(db.scalar("SELECT count(*) FROM habit_profiles") == data.customers);
}
