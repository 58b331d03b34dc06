#include "app/neighbour_refresher.h"

#include <chrono>
#include <string>

#include "domain/neighbour_refresh.h"

namespace loyalty::core::app {

NeighbourRefresher::NeighbourRefresher(domain::LoyaltyStore& store,
                                       personalization::NeighbourBook& book,
                                       const domain::Clock& clock, int64_t everyMinutes,
                                       Poco::Logger& log)
    : store_(store), book_(book), clock_(clock), everyMinutes_(everyMinutes), log_(log) {
  thread_ = std::thread([this] { run(); });
}

NeighbourRefresher::~NeighbourRefresher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void NeighbourRefresher::run() {
  for (;;) {
    const auto started = std::chrono::steady_clock::now();
    auto read = domain::refreshNeighbours(store_, book_, personalization::NeighbourParams(),
                                          clock_.nowMs());
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    if (read.ok()) {
      log_.information("neighbour vectors rebuilt from %Ld habit profiles in %Ld ms",
                       static_cast<Poco::Int64>(*read), static_cast<Poco::Int64>(ms));
    } else {
      log_.warning("neighbour vectors not rebuilt: " + read.error().message);
    }
    std::unique_lock<std::mutex> lock(mutex_);
    if (wake_.wait_for(lock, std::chrono::minutes(everyMinutes_), [this] { return stopping_; })) {
      return;
    }
  }
}

}  // namespace loyalty::core::app
