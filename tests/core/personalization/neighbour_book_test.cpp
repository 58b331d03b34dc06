// NeighbourBook: building a snapshot from stored profile bytes, the popular list, corrupt input,
// and publishing snapshots to concurrent readers.
#include "domain/personalization/neighbour_book.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "domain/personalization/personalization.h"

namespace pz = loyalty::core::personalization;

namespace {

using ProfileRows = std::vector<std::pair<int64_t, std::string>>;

pz::ProfileParams noDecay() {
  pz::ProfileParams p;
  p.decayRate = 1.0;
  return p;
}

std::string bytesOf(const std::vector<std::vector<int64_t>>& baskets,
                    const pz::ProfileParams& params = pz::ProfileParams()) {
  return pz::buildProfile(baskets, params).serialize();
}

pz::NeighbourParams smallK(size_t k) {
  pz::NeighbourParams p;
  p.k = k;
  return p;
}

}  // namespace

TEST_CASE("NeighbourBook: every pool member gets its neighbour vector", "[personalization]") {
  // Two tea drinkers and two coffee drinkers; 5 buys tea and biscuits.
  const ProfileRows rows = {
      {1, bytesOf({{10, 11}, {10}, {10, 11}})}, {2, bytesOf({{10, 12}, {10, 12}})},
      {3, bytesOf({{20, 21}, {20}})},           {4, bytesOf({{20, 22}, {20, 21}})},
      {5, bytesOf({{10}, {10, 13}})},
  };
  const auto snapshot = pz::NeighbourBook::build(rows, smallK(2), 1234);
  REQUIRE(snapshot != nullptr);
  CHECK(snapshot->builtAtMs == 1234);
  CHECK(snapshot->poolSize == 5);
  REQUIRE(snapshot->vectors.size() == 5);
  for (const auto& [id, vector] : snapshot->vectors) {
    INFO("customer " << id);
    CHECK(pz::isWellFormed(vector));
    CHECK_FALSE(vector.empty());
  }
  // The same as running the model by hand over the deserialised profiles.
  std::vector<pz::PoolShopper> pool;
  for (const auto& [id, bytes] : rows) {
    pool.push_back(pz::PoolShopper{id, pz::HabitProfile::deserialize(bytes)->vector()});
  }
  auto model = pz::NeighbourModel::build(pool, smallK(2));
  REQUIRE(model.ok());
  for (const auto& member : pool) {
    CHECK(snapshot->vectors.at(member.shopperId) ==
          model->neighbourVector(member.vector, member.shopperId));
  }
  // Shopper 5's neighbours are the tea drinkers: their vector brings 11 and 12, not coffee.
  const pz::SparseVector& five = snapshot->vectors.at(5);
  CHECK(pz::weightOf(five, 11) > 0);
  CHECK(pz::weightOf(five, 12) > 0);
  CHECK(pz::weightOf(five, 20) == 0);
}

TEST_CASE("NeighbourBook: popular items by total weight, at most 200", "[personalization]") {
  // Without decay the vectors are basket shares: A = {1: 1, 2: 0.5}, B = {1: 0.5, 3: 0.5},
  // C = {3: 1}. Totals 1: 1.5, 3: 1.5, 2: 0.5; the tie goes to the lower id.
  const ProfileRows rows = {
      {1, bytesOf({{1, 2}, {1}}, noDecay())},
      {2, bytesOf({{1}, {3}}, noDecay())},
      {3, bytesOf({{3}, {3}}, noDecay())},
  };
  const auto snapshot = pz::NeighbourBook::build(rows, pz::NeighbourParams(), 0);
  CHECK(snapshot->popular == std::vector<int64_t>{1, 3, 2});

  // 300 distinct items over 30 shoppers: the list stops at 200, heaviest first.
  ProfileRows many;
  for (int64_t s = 0; s < 30; ++s) {
    std::vector<int64_t> basket;
    for (int64_t i = 0; i < 10; ++i) {
      basket.push_back(s * 10 + i);
    }
    // Item 1000 is bought by every third shopper: total weight 10, clearly the heaviest.
    if (s % 3 == 0) {
      basket.push_back(1000);
    }
    many.emplace_back(s, bytesOf({basket}));
  }
  const auto big = pz::NeighbourBook::build(many, smallK(5), 0);
  REQUIRE(big->popular.size() == pz::kMaxPopular);
  CHECK(big->popular[0] == 1000);
  // Everything else weighs 1: ascending ids after the heaviest.
  for (size_t i = 2; i < big->popular.size(); ++i) {
    CHECK(big->popular[i - 1] < big->popular[i]);
  }
}

TEST_CASE("NeighbourBook: unreadable profiles and repeated ids are skipped", "[personalization]") {
  const std::string good = bytesOf({{1, 2}, {2, 3}});
  const std::string truncated = good.substr(0, good.size() - 3);
  std::string badVersion = good;
  badVersion[1] = 9;
  const ProfileRows rows = {
      {1, good},
      {2, "not a profile"},
      {3, ""},
      {4, truncated},
      {5, badVersion},
      {6, bytesOf({{2, 4}})},
      {1, bytesOf({{99}})},                 // the same customer again: the first row wins
      {7, pz::HabitProfile().serialize()},  // no basket yet: nothing to compare
  };
  const auto snapshot = pz::NeighbourBook::build(rows, pz::NeighbourParams(), 5);
  CHECK(snapshot->poolSize == 2);
  CHECK(snapshot->vectors.size() == 2);
  CHECK(snapshot->vectors.count(1) == 1);
  CHECK(snapshot->vectors.count(6) == 1);
  // Customer 1's neighbour is 6 only (not the duplicate row with item 99).
  CHECK(pz::weightOf(snapshot->vectors.at(1), 4) > 0);
  for (const int64_t item : snapshot->popular) {
    CHECK(item != 99);
  }

  const auto empty = pz::NeighbourBook::build({{1, "x"}}, pz::NeighbourParams(), 5);
  CHECK(empty->poolSize == 0);
  CHECK(empty->vectors.empty());
  CHECK(empty->popular.empty());
}

TEST_CASE("NeighbourBook: current() is never null; replace() publishes", "[personalization]") {
  pz::NeighbourBook book;
  REQUIRE(book.current() != nullptr);
  CHECK(book.current()->vectors.empty());
  CHECK(book.current()->poolSize == 0);

  const auto first =
      pz::NeighbourBook::build({{1, bytesOf({{1}})}, {2, bytesOf({{1, 2}})}}, smallK(1), 10);
  book.replace(first);
  CHECK(book.current() == first);

  // A reader keeps the snapshot it took, even after a newer one replaced it.
  const auto held = book.current();
  book.replace(pz::NeighbourBook::build({}, smallK(1), 20));
  CHECK(book.current()->builtAtMs == 20);
  CHECK(held->builtAtMs == 10);
  CHECK(held->vectors.size() == 2);

  book.replace(nullptr);
  REQUIRE(book.current() != nullptr);
  CHECK(book.current()->vectors.empty());
}

TEST_CASE("NeighbourBook: replace and current under a concurrent reader", "[personalization]") {
  pz::NeighbourBook book;
  // Snapshot i has builtAtMs i and i pool members: a reader can check that what it sees is whole.
  constexpr int64_t kSnapshots = 40;
  std::vector<std::shared_ptr<const pz::NeighbourSnapshot>> snapshots;
  for (int64_t i = 1; i <= kSnapshots; ++i) {
    ProfileRows rows;
    for (int64_t c = 0; c < i; ++c) {
      rows.emplace_back(c, bytesOf({{c % 5, 100 + c % 3}}));
    }
    snapshots.push_back(pz::NeighbourBook::build(rows, smallK(3), i));
  }

  std::atomic<bool> stop{false};
  std::atomic<int64_t> reads{0};
  std::atomic<int64_t> torn{0};
  std::atomic<int64_t> lastSeen{0};
  std::thread reader([&] {
    int64_t previous = 0;
    while (!stop.load()) {
      const auto s = book.current();
      if (s == nullptr || s->builtAtMs < previous ||
          s->poolSize != static_cast<size_t>(s->builtAtMs) || s->vectors.size() != s->poolSize) {
        ++torn;
      }
      previous = s != nullptr ? s->builtAtMs : previous;
      lastSeen.store(previous);
      ++reads;
    }
  });

  for (const auto& s : snapshots) {
    book.replace(s);
    std::this_thread::yield();
  }
  // Wait (with a deadline) until the reader has seen the last snapshot.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (lastSeen.load() != kSnapshots && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  stop.store(true);
  reader.join();

  CHECK(lastSeen.load() == kSnapshots);
  CHECK(reads.load() > 0);
  CHECK(torn.load() == 0);
  CHECK(book.current()->builtAtMs == kSnapshots);
}
