// Tests of loyalty-bench's storage ceiling (tools/loyalty-bench/storage_bench.h) on a real
// SqliteStore in a temporary folder: the rows a phase stores (read back through a second store on
// the same file), group commit, keys that never repeat across phases, and the folder's removal.
#include "loyalty-bench/storage_bench.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "loyalty/protocol/codec.h"
#include "storage/sqlite/sqlite_store.h"

namespace loyalty::tools {
namespace {

// Six shoppers with two baskets each over items 200..229.
TaFengData smallData() {
  TaFengData data;
  for (int64_t u = 0; u < 6; ++u) {
    Shopper s;
    s.userId = 500 + u;
    s.baskets.push_back({200 + u, 210 + u});
    s.baskets.push_back({220 + u, 201 + u, 202 + u});
    data.shoppers.push_back(s);
  }
  return data;
}

std::string cardOfShopper(const Workload& w, size_t shopper) {
  auto request = protocol::decodeCommitRequest(w.commitTemplate(shopper));
  REQUIRE(request.ok());
  return request->card;
}

TEST_CASE("StorageBench: a phase stores a commit's rows from several threads",
          "[tools][sqlite]") {
  const Workload w(smallData(), 30, 3, "storetest", "2024-03-01");
  auto bench = StorageBench::open(w, "");
  REQUIRE(bench.ok());
  const std::string path = bench.value()->databasePath();
  const PhaseResult r = bench.value()->runPhase("write", 3, 0.3, 0);
  CHECK(r.label == "write");
  CHECK(r.errors == 0);
  CHECK(r.answered > 3);
  CHECK(r.latency.count() == r.answered);
  CHECK(r.ops.at("write").count() == r.answered);
  CHECK(r.tillsNeverAnswered == 0);
  CHECK(r.wallS >= 0.3);
  // Group commit: at least one transaction, never more than one per write.
  CHECK(r.transactions >= 1);
  CHECK(r.transactions <= r.answered);

  // Read the rows back through a second store on the same file (WAL: committed data only).
  core::storage::SqliteOptions options;
  options.path = path;
  auto reader = core::storage::SqliteStore::open(options);
  REQUIRE(reader.ok());
  size_t sales = 0;
  size_t customers = 0;
  for (size_t i = 0; i < w.poolSize(); ++i) {
    auto customer = reader.value()->findCustomer(cardOfShopper(w, i));
    REQUIRE(customer.ok());
    if (!customer->has_value()) {
      continue;  // this shopper's turn did not come in 0.3 s
    }
    ++customers;
    const int64_t id = (*customer)->id;
    auto stored = reader.value()->salesOf(id, 100000);
    REQUIRE(stored.ok());
    REQUIRE_FALSE(stored->empty());
    sales += stored->size();
    for (const auto& sale : *stored) {
      CHECK(sale.lines.size() == 30);
      CHECK(sale.tenders.size() == 1);
      CHECK(sale.key.store == "BENCH");
      CHECK(sale.total.value() > 0);
    }
    // One earn entry per sale, and the balance is their sum.
    auto ledger = reader.value()->ledgerOf(id);
    REQUIRE(ledger.ok());
    CHECK(ledger->size() == stored->size());
    int64_t sum = 0;
    for (const auto& e : *ledger) {
      sum += e.points.value();
    }
    CHECK((*customer)->balance.value() == sum);
    auto profile = reader.value()->habitProfile(id);
    REQUIRE(profile.ok());
    CHECK(profile->has_value());
  }
  CHECK(customers >= 1);
  CHECK(sales == r.answered);
}

TEST_CASE("StorageBench: phases use their own keys; the same keys again are refused",
          "[tools][sqlite]") {
  const Workload w(smallData(), 5, 3, "storetest", "2024-03-01");
  auto bench = StorageBench::open(w, "");
  REQUIRE(bench.ok());
  const PhaseResult first = bench.value()->runPhase("a", 2, 0.2, 0);
  REQUIRE(first.errors == 0);
  REQUIRE(first.tillsNeverAnswered == 0);
  const PhaseResult other = bench.value()->runPhase("b", 2, 0.2, 1000000000);
  CHECK(other.errors == 0);
  CHECK(other.answered > 0);
  // Starting again at iteration 0: each thread's first keys are stored already.
  const PhaseResult again = bench.value()->runPhase("c", 2, 0.2, 0);
  CHECK(again.errors >= 2);
  REQUIRE_FALSE(again.errorSamples.empty());
  CHECK(again.errorSamples.front().find("already stored") != std::string::npos);
}

TEST_CASE("StorageBench: the database folder is removed at the end", "[tools][sqlite]") {
  if (std::getenv("LOYALTY_BENCH_KEEP") != nullptr) {
    SUCCEED("LOYALTY_BENCH_KEEP is set: the folder is kept on purpose");
    return;
  }
  const Workload w(smallData(), 0, 3, "storetest", "2024-03-01");
  std::filesystem::path folder;
  {
    auto bench = StorageBench::open(w, "");
    REQUIRE(bench.ok());
    folder = std::filesystem::path(bench.value()->databasePath()).parent_path();
    CHECK(std::filesystem::exists(bench.value()->databasePath()));
    CHECK(folder.filename().string().rfind("loyalty-bench-storage-", 0) == 0);
  }
  CHECK_FALSE(std::filesystem::exists(folder));
}

TEST_CASE("StorageBench: a missing parent folder is an error, not a crash", "[tools][sqlite]") {
  const Workload w(smallData(), 0, 3, "storetest", "2024-03-01");
  const std::string missing =
      (std::filesystem::temp_directory_path() / "loyalty-bench-no-such-folder-4f1c").string();
  std::filesystem::remove_all(missing);
  auto bench = StorageBench::open(w, missing);
  REQUIRE_FALSE(bench.ok());
  CHECK(bench.error().code == base::ErrorCode::kInternal);
  CHECK(bench.error().message.find(missing) != std::string::npos);
}

}  // namespace
}  // namespace loyalty::tools
