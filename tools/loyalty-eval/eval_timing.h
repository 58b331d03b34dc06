// loyalty-eval --timing: what personalized coupon choice adds to a commit, on real baskets.
//
// For every user, the baskets (history, then target) are split into the stored past (all but
// the last) and the basket being committed (the last). The stored profile is
// buildProfile(past).serialize() (the same HabitProfile code the core runs); a NeighbourBook is
// built over every user's stored profile, as the core's background refresh does. Then, for the
// selected users, the commit's personalization work is timed with std::chrono::steady_clock:
//   profile: HabitProfile::deserialize(stored bytes), update(next basket), serialize()
//            (the work a commit already did before coupon campaigns existed);
//   choice:  NeighbourBook::current(), the shopper's vector lookup and chooseCoupons(count 3,
//            discover 20% by default) with every item of the data as the eligible catalogue
//            (a hash-set lookup) and the snapshot's popular list;
//   profile + choice: both, one sample per commit.
// Selected users: those with at least minPastBaskets stored baskets; when fewer than minShoppers
// qualify, the minShoppers users with the most stored baskets (ties by data order), and the
// result says so (fellBack). Each selected user's commit is timed `repetitions` times (passes
// over all selected users, so one sample per user and pass). Every user's commit is also timed
// once, as context (the "all" rows).
//
// Thread safety: re-entrant; progress is called from the calling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "domain/personalization/coupon_choice.h"
#include "domain/personalization/personalization.h"
#include "loyalty-eval/eval_data.h"
#include "loyalty-eval/eval_runner.h"
#include "loyalty/base/result.h"

namespace loyalty::tools::eval {

struct TimingOptions {
  size_t minPastBaskets = 50;  // "a shopper with 50 past baskets"
  size_t minShoppers = 50;     // fall back to the users with the most baskets below this
  size_t repetitions = 20;     // timed commits per selected user
  size_t couponCount = 3;
  int64_t discoverPercent = 20;
};

// Nearest-rank percentiles of a sample, in microseconds (an empty sample gives zeros).
struct LatencySummary {
  size_t samples = 0;
  double mean = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double max = 0;
};

LatencySummary summarizeLatency(std::vector<double> micros);

struct LatencyRows {
  LatencySummary profile;  // deserialize + update + serialize
  LatencySummary choice;   // book lookup + chooseCoupons
  LatencySummary total;    // profile + choice
};

struct TimingResult {
  size_t users = 0;             // users with at least one stored basket and a next basket
  size_t poolSize = 0;          // profiles in the neighbour book
  size_t bookEntries = 0;       // neighbour vector entries over all shoppers
  double bookBuildSeconds = 0;  // NeighbourBook::build over every stored profile
  size_t qualifying = 0;        // users with >= minPastBaskets stored baskets
  bool fellBack = false;        // fewer than minShoppers qualified: the most baskets taken
  size_t selected = 0;
  size_t selectedMinPast = 0;  // stored baskets of the selected users, min and max
  size_t selectedMaxPast = 0;
  size_t repetitions = 0;
  LatencyRows selectedRows;     // samples = selected * repetitions
  LatencyRows allRows;          // one sample per user
  double couponsPerCommit = 0;  // selected users: mean coupons chosen
  double repeatShare = 0;       // selected users: share of the chosen coupons that are repeat,
  double dueShare = 0;          // ... and due items
  core::personalization::PersonalizationParams params;
};

// The indices of the users to time, given each user's number of stored baskets (see above),
// in data order. fellBack is set when fewer than minShoppers users have minPast baskets.
std::vector<size_t> selectTimingUsers(const std::vector<size_t>& pastBaskets, size_t minPast,
                                      size_t minShoppers, bool& fellBack);

// Errors: kInvalidValue when no user has two baskets (a stored one and a next one), or
// repetitions == 0.
base::Result<TimingResult> runTiming(const EvalData& data,
                                     const core::personalization::PersonalizationParams& params,
                                     const TimingOptions& options,
                                     const Progress& progress = nullptr);

std::string renderTimingText(const TimingResult& result, const TimingOptions& options,
                             const std::string& source);
// {"timing": {"users": n, ..., "selected": {"profile": {"samples", "mean_us", "p50_us",
// "p90_us", "p99_us", "max_us"}, "choice": {...}, "profile_choice": {...}}, "all": {...}}}
std::string renderTimingJson(const TimingResult& result, const TimingOptions& options);

}  // namespace loyalty::tools::eval
