// The published split of next-basket evaluation: users with a target are shuffled with a seeded
// RNG and cut 72% train / 8% validation / 20% test (train = floor(0.72 n), validation up to
// floor(0.80 n), test the rest), as keyset_fold.py of "A Next Basket Recommendation Reality Check".
//
// The shuffle is Python's random.shuffle after random.seed(seed), reproduced bit for bit (the
// MT19937 generator with CPython's seeding and bounded draws, written here): with seeds 0..4 over
// the users in file order it gives the very test sets behind the reference rows of the data's
// README (G-TopFreq and GP-TopFreq match them to 3 decimals). The same seed gives the same split
// on every platform. Requires n < 2^32.
//
// Invariants of a Split of n: train, validation and test are disjoint, their union is 0..n-1,
// and their sizes are floor(0.72 n), floor(0.80 n) - floor(0.72 n) and the rest.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace loyalty::tools::eval {

struct Split {
  std::vector<size_t> train;
  std::vector<size_t> validation;
  std::vector<size_t> test;
};

// The permutation random.shuffle(list(range(n))) gives after random.seed(seed).
std::vector<size_t> shuffledIndices(size_t n, uint64_t seed);

// Splits the indices 0..n-1 (positions in the list of users with a target).
Split splitUsers(size_t n, uint64_t seed);

}  // namespace loyalty::tools::eval
