// The published split of next-basket evaluation: users with a target are shuffled with a seeded
// RNG and cut 72% train / 8% validation / 20% test (train = floor(0.72 n), validation up to
// floor(0.80 n), test the rest), as keyset_fold.py of "A Next Basket Recommendation Reality Check".
//
// The shuffle is a Fisher-Yates shuffle driven by std::mt19937_64 seeded with `seed`, with
// unbiased bounded draws written here (not std::uniform_int_distribution, whose algorithm the
// standard leaves open): the same seed gives the same split on every platform.
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

// A random permutation of 0..n-1.
std::vector<size_t> shuffledIndices(size_t n, uint64_t seed);

// Splits the indices 0..n-1 (positions in the list of users with a target).
Split splitUsers(size_t n, uint64_t seed);

}  // namespace loyalty::tools::eval
