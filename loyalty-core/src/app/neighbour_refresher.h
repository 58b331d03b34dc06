// NeighbourRefresher: the core's background thread that rebuilds the neighbour vectors of
// personalized coupons (domain/neighbour_refresh.h) at start and then every few minutes, so the
// commit only looks a vector up. Stops (joins) on destruction.
//
// Thread safety: owns its thread; the book it fills is safe to read meanwhile.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include <Poco/Logger.h>

#include "domain/clock.h"
#include "domain/personalization/neighbour_book.h"
#include "domain/store.h"

namespace loyalty::core::app {

class NeighbourRefresher {
 public:
  NeighbourRefresher(domain::LoyaltyStore& store, personalization::NeighbourBook& book,
                     const domain::Clock& clock, int64_t everyMinutes, Poco::Logger& log);
  ~NeighbourRefresher();
  NeighbourRefresher(const NeighbourRefresher&) = delete;
  NeighbourRefresher& operator=(const NeighbourRefresher&) = delete;

 private:
  void run();

  domain::LoyaltyStore& store_;
  personalization::NeighbourBook& book_;
  const domain::Clock& clock_;
  const int64_t everyMinutes_;
  Poco::Logger& log_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace loyalty::core::app
