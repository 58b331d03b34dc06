// Rebuilding the neighbour vectors of personalized coupons from the stored habit profiles
// (design.md section 6: the collaborative part is precomputed in the background and refreshed).
// The core runs it at start and then every loyalty.core.personalization.refreshMinutes, on its
// own thread; commits keep reading the previous snapshot meanwhile.
//
// Thread safety: re-entrant; NeighbourBook::replace is atomic for readers.
#pragma once

#include <cstdint>

#include "domain/personalization/neighbour_book.h"
#include "domain/store.h"
#include "loyalty/base/result.h"

namespace loyalty::core::domain {

// Reads every stored profile (paged), builds a snapshot and installs it in book. Returns the
// number of profiles read. Errors: the store's (the book keeps its previous snapshot).
Result<int64_t> refreshNeighbours(LoyaltyStore& store, personalization::NeighbourBook& book,
                                  const personalization::NeighbourParams& params, int64_t nowMs);

}  // namespace loyalty::core::domain
