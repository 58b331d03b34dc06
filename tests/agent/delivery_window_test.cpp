// Tests of the sender's ordering rules (pos-agent/src/server/delivery_window.h): pure
// bookkeeping, no threads.
#include "server/delivery_window.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace loyalty::agent {
namespace {

OutboxItem item(int64_t id, std::string lane) {
  OutboxItem i;
  i.id = id;
  i.kind = lane.empty() ? OutboxKind::kRefund : OutboxKind::kCommit;
  i.key = "S/T/2024-03-15/" + std::to_string(id);
  i.body = "body " + std::to_string(id);
  i.lane = std::move(lane);
  return i;
}

// The id take() hands out, or 0 when it hands out nothing.
int64_t takeId(DeliveryWindow& window) {
  std::optional<OutboxItem> taken = window.take();
  return taken ? taken->id : 0;
}

TEST_CASE("DeliveryWindow: items of one lane go one at a time, in id order", "[agent]") {
  DeliveryWindow window(16);
  window.add(item(1, "A"));
  window.add(item(2, "A"));
  window.add(item(3, "A"));
  CHECK(window.waiting() == 3);

  CHECK(takeId(window) == 1);
  CHECK(takeId(window) == 0);  // 2 waits for 1's answer
  CHECK(window.inFlight() == 1);
  window.finish(1);
  CHECK(takeId(window) == 2);
  window.finish(2);
  CHECK(takeId(window) == 3);
  window.finish(3);
  CHECK(window.idle());
  CHECK(takeId(window) == 0);
}

TEST_CASE("DeliveryWindow: different lanes go at once, oldest first", "[agent]") {
  DeliveryWindow window(16);
  window.add(item(1, "A"));
  window.add(item(2, "B"));
  window.add(item(3, "A"));
  window.add(item(4, "C"));
  window.add(item(5, "B"));

  CHECK(takeId(window) == 1);
  CHECK(takeId(window) == 2);
  CHECK(takeId(window) == 4);  // 3 is behind 1 (lane A), 5 behind 2 (lane B)
  CHECK(takeId(window) == 0);
  CHECK(window.inFlight() == 3);
  CHECK(window.waiting() == 2);

  window.finish(2);  // B moves on before A does
  CHECK(takeId(window) == 5);
  CHECK(takeId(window) == 0);
  window.finish(1);
  CHECK(takeId(window) == 3);
  for (int64_t id : {3, 4, 5}) {
    window.finish(id);
  }
  CHECK(window.idle());
}

TEST_CASE("DeliveryWindow: a failed item waits in its place and still holds its lane", "[agent]") {
  DeliveryWindow window(16);
  window.add(item(1, "A"));
  window.add(item(2, "A"));
  window.add(item(3, "B"));

  CHECK(takeId(window) == 1);
  CHECK(takeId(window) == 3);
  window.retry(1);
  CHECK(window.inFlight() == 1);
  CHECK(window.waiting() == 2);
  CHECK(takeId(window) == 1);  // the failed one again, never 2
  CHECK(takeId(window) == 0);
  window.finish(1);
  CHECK(takeId(window) == 2);
}

TEST_CASE("DeliveryWindow: an item without a lane goes alone and holds back what follows",
          "[agent]") {
  DeliveryWindow window(16);
  window.add(item(1, "A"));
  window.add(item(2, "B"));
  window.add(item(3, ""));    // a barrier (a refund)
  CHECK(window.room() == 0);  // nothing is read behind a barrier

  CHECK(takeId(window) == 1);
  CHECK(takeId(window) == 2);
  CHECK(takeId(window) == 0);  // the barrier waits for 1 and 2
  window.finish(1);
  CHECK(takeId(window) == 0);
  window.finish(2);
  CHECK(takeId(window) == 3);
  CHECK(window.room() == 0);
  window.finish(3);
  CHECK(window.room() == 16);

  window.add(item(4, "C"));
  window.add(item(5, ""));
  CHECK(takeId(window) == 4);
  CHECK(takeId(window) == 0);
  window.finish(4);
  CHECK(takeId(window) == 5);
}

TEST_CASE("DeliveryWindow: nothing behind an unfinished barrier is taken", "[agent]") {
  DeliveryWindow window(8);
  window.add(item(1, ""));
  CHECK(takeId(window) == 1);
  CHECK(takeId(window) == 0);
  window.retry(1);
  CHECK(takeId(window) == 1);  // retried alone
  window.finish(1);
  window.add(item(2, "A"));
  window.add(item(3, "B"));
  CHECK(takeId(window) == 2);
  CHECK(takeId(window) == 3);
}

TEST_CASE("DeliveryWindow: room counts finished items until every older one is finished",
          "[agent]") {
  DeliveryWindow window(3);
  window.add(item(10, "A"));
  window.add(item(11, "B"));
  window.add(item(12, "C"));
  CHECK(window.room() == 0);
  CHECK(window.lastId() == 12);
  CHECK(takeId(window) == 10);
  CHECK(takeId(window) == 11);
  CHECK(takeId(window) == 12);
  window.finish(11);
  window.finish(12);
  CHECK(window.room() == 0);  // 10 is still in flight
  window.finish(10);
  CHECK(window.room() == 3);
  CHECK(window.idle());

  window.clear();
  CHECK(window.lastId() == 0);
  CHECK(window.room() == 3);
}

// A random run against the rules: items of a few lanes and some barriers, taken, finished and
// retried in a random order; every take is checked against the items' history.
TEST_CASE("DeliveryWindow: random runs keep the order per lane and the barriers", "[agent]") {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    const size_t capacity = 4 + rng() % 20;
    const size_t limit = 1 + rng() % 6;
    DeliveryWindow window(capacity);
    const int64_t total = 300;
    std::map<int64_t, std::string> laneOf;
    std::set<int64_t> finished;
    std::set<int64_t> inFlight;
    int64_t nextId = 1;
    while (static_cast<int64_t>(finished.size()) < total) {
      while (nextId <= total && window.room() > 0 && rng() % 3 != 0) {
        std::string lane;
        if (rng() % 12 != 0) {
          lane = std::string(1, static_cast<char>('A' + rng() % 5));
        }
        laneOf[nextId] = lane;
        window.add(item(nextId, lane));
        ++nextId;
      }
      const bool canTake = inFlight.size() < limit;
      if (canTake && rng() % 2 == 0) {
        std::optional<OutboxItem> taken = window.take();
        if (taken) {
          const int64_t id = taken->id;
          REQUIRE(inFlight.count(id) == 0);
          REQUIRE(finished.count(id) == 0);
          const std::string& lane = laneOf[id];
          CHECK(taken->lane == lane);
          // Every earlier item of the lane (every earlier item at all for a barrier, and every
          // earlier barrier for anything) is finished, and nothing else of it is in flight.
          for (const auto& [other, otherLane] : laneOf) {
            if (other >= id) {
              break;
            }
            if (lane.empty() || otherLane.empty() || otherLane == lane) {
              REQUIRE(finished.count(other) == 1);
            }
          }
          if (lane.empty()) {
            REQUIRE(inFlight.empty());
          }
          for (int64_t other : inFlight) {
            REQUIRE(!laneOf[other].empty());
            REQUIRE(laneOf[other] != lane);
          }
          inFlight.insert(id);
          continue;
        }
        // Nothing may go: then every waiting item is held back by a rule.
        if (inFlight.size() < limit) {
          for (const auto& [id, lane] : laneOf) {
            if (finished.count(id) == 1 || inFlight.count(id) == 1) {
              continue;
            }
            bool held = false;
            for (const auto& [other, otherLane] : laneOf) {
              if (other >= id) {
                break;
              }
              if (finished.count(other) == 0 &&
                  (lane.empty() || otherLane.empty() || otherLane == lane)) {
                held = true;
              }
            }
            REQUIRE(held);
          }
        }
      }
      if (!inFlight.empty()) {
        auto it = inFlight.begin();
        std::advance(it, static_cast<long>(rng() % inFlight.size()));
        const int64_t id = *it;
        inFlight.erase(it);
        if (rng() % 4 == 0) {
          window.retry(id);
        } else {
          window.finish(id);
          finished.insert(id);
        }
      }
      REQUIRE(window.inFlight() == inFlight.size());
    }
    CHECK(window.idle());
    CHECK(window.lastId() == total);
  }
}

}  // namespace
}  // namespace loyalty::agent
