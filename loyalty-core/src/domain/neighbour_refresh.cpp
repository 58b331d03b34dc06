#include "domain/neighbour_refresh.h"

#include <string>
#include <utility>
#include <vector>

namespace loyalty::core::domain {

Result<int64_t> refreshNeighbours(LoyaltyStore& store, personalization::NeighbourBook& book,
                                  const personalization::NeighbourParams& params, int64_t nowMs) {
  constexpr size_t kPage = 2'000;
  std::vector<std::pair<int64_t, std::string>> profiles;
  int64_t after = 0;
  for (;;) {
    auto page = store.habitProfiles(after, kPage);
    if (!page.ok()) {
      return page.error();
    }
    if (page->empty()) {
      break;
    }
    after = page->back().first;
    const bool last = page->size() < kPage;
    for (auto& entry : *page) {
      profiles.push_back(std::move(entry));
    }
    if (last) {
      break;
    }
  }
  book.replace(personalization::NeighbourBook::build(profiles, params, nowMs));
  return static_cast<int64_t>(profiles.size());
}

}  // namespace loyalty::core::domain
