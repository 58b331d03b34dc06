#include "loyalty-eval/eval_timing.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <sstream>
#include <unordered_set>
#include <utility>

#include "common/text_format.h"
#include "domain/personalization/neighbour_book.h"
#include "loyalty-eval/eval_report.h"

namespace loyalty::tools::eval {
namespace {

namespace pz = core::personalization;
using Clock = std::chrono::steady_clock;

double microsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

std::string fixed(double v, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
  return buffer;
}

std::string jsonNumber(double v) {
  if (!std::isfinite(v)) {
    return "null";
  }
  return fixed(v, 6);
}

// One user's commit: the stored profile bytes and the basket being committed.
struct Commit {
  int64_t customerId = 0;
  size_t pastBaskets = 0;
  std::string storedBytes;
  const Basket* next = nullptr;
};

struct CommitTiming {
  double profileMicros = 0;
  double choiceMicros = 0;
};

struct ChoiceTally {
  size_t commits = 0;
  size_t coupons = 0;
  size_t repeat = 0;
  size_t due = 0;
};

}  // namespace

LatencySummary summarizeLatency(std::vector<double> micros) {
  LatencySummary s;
  s.samples = micros.size();
  if (micros.empty()) {
    return s;
  }
  std::sort(micros.begin(), micros.end());
  auto percentile = [&](double p) {
    const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(micros.size())));
    return micros[std::min(std::max<size_t>(rank, 1), micros.size()) - 1];
  };
  s.mean = std::accumulate(micros.begin(), micros.end(), 0.0) / static_cast<double>(s.samples);
  s.p50 = percentile(0.50);
  s.p90 = percentile(0.90);
  s.p99 = percentile(0.99);
  s.max = micros.back();
  return s;
}

std::vector<size_t> selectTimingUsers(const std::vector<size_t>& pastBaskets, size_t minPast,
                                      size_t minShoppers, bool& fellBack) {
  std::vector<size_t> qualifying;
  for (size_t i = 0; i < pastBaskets.size(); ++i) {
    if (pastBaskets[i] >= minPast) {
      qualifying.push_back(i);
    }
  }
  fellBack = qualifying.size() < minShoppers;
  if (!fellBack) {
    return qualifying;
  }
  std::vector<size_t> order(pastBaskets.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return pastBaskets[a] > pastBaskets[b]; });
  order.resize(std::min(minShoppers, order.size()));
  std::sort(order.begin(), order.end());
  return order;
}

base::Result<TimingResult> runTiming(const EvalData& data, const pz::PersonalizationParams& params,
                                     const TimingOptions& options, const Progress& progress) {
  if (options.repetitions == 0) {
    return base::makeError(base::ErrorCode::kInvalidValue, "--timing-repeat must be at least 1");
  }
  auto report = [&](const std::string& line) {
    if (progress) {
      progress(line);
    }
  };

  // Stored state before each user's last basket, and the catalogue (every item of the data).
  std::vector<Commit> commits;
  std::unordered_set<int64_t> catalogue;
  for (const EvalUser& user : data.users) {
    std::vector<const Basket*> sequence;
    for (const Basket& b : user.history) {
      sequence.push_back(&b);
    }
    if (user.hasTarget) {
      sequence.push_back(&user.target);
    }
    for (const Basket* b : sequence) {
      catalogue.insert(b->begin(), b->end());
    }
    if (sequence.size() < 2) {
      continue;
    }
    pz::HabitProfile profile(params.profile);
    for (size_t i = 0; i + 1 < sequence.size(); ++i) {
      profile.update(*sequence[i]);
    }
    Commit c;
    c.customerId = static_cast<int64_t>(commits.size()) + 1;
    c.pastBaskets = sequence.size() - 1;
    c.storedBytes = profile.serialize();
    c.next = sequence.back();
    commits.push_back(std::move(c));
  }
  if (commits.empty()) {
    return base::makeError(base::ErrorCode::kInvalidValue,
                           "no user has two baskets (a stored one and one to commit)");
  }

  TimingResult result;
  result.params = params;
  result.users = commits.size();
  result.repetitions = options.repetitions;

  // The background refresh: one snapshot over every stored profile.
  std::vector<std::pair<int64_t, std::string>> rows;
  rows.reserve(commits.size());
  for (const Commit& c : commits) {
    rows.emplace_back(c.customerId, c.storedBytes);
  }
  report("building the neighbour book over " + std::to_string(rows.size()) + " profiles");
  pz::NeighbourBook book;
  const auto buildStart = Clock::now();
  book.replace(pz::NeighbourBook::build(rows, params.neighbours, 0));
  result.bookBuildSeconds = microsBetween(buildStart, Clock::now()) / 1e6;
  rows.clear();
  const auto snapshot = book.current();
  result.poolSize = snapshot->poolSize;
  for (const auto& [id, vector] : snapshot->vectors) {
    result.bookEntries += vector.size();
  }
  report("neighbour book built in " + fixed(result.bookBuildSeconds, 2) + " s");

  const pz::Scorer scorer(params.scorer);
  pz::ChoiceParams choice;
  choice.count = options.couponCount;
  choice.discoverPercent = options.discoverPercent;
  choice.allowBasketItems = false;
  const std::function<bool(int64_t)> eligible = [&catalogue](int64_t itemId) {
    return catalogue.count(itemId) > 0;
  };
  static const pz::SparseVector kNoVector;
  size_t storedBytes = 0;  // keeps the serialised result observable

  // What the commit does, timed: profile work, then the choice.
  auto commitOnce = [&](const Commit& c, ChoiceTally* tally) -> base::Result<CommitTiming> {
    const auto t0 = Clock::now();
    auto profile = pz::HabitProfile::deserialize(c.storedBytes);
    if (!profile.ok()) {
      return profile.error();
    }
    profile->update(*c.next);
    const std::string bytes = profile->serialize();
    const auto t1 = Clock::now();
    const auto current = book.current();
    const auto own = current->vectors.find(c.customerId);
    const pz::SparseVector& vector = own != current->vectors.end() ? own->second : kNoVector;
    const std::vector<pz::CouponChoice> chosen = pz::chooseCoupons(
        profile.value(), vector, scorer, choice, *c.next, eligible, current->popular);
    const auto t2 = Clock::now();
    storedBytes += bytes.size();
    if (tally != nullptr) {
      ++tally->commits;
      tally->coupons += chosen.size();
      for (const pz::CouponChoice& pick : chosen) {
        tally->repeat += pick.repeat ? 1 : 0;
        tally->due += pick.due ? 1 : 0;
      }
    }
    return CommitTiming{microsBetween(t0, t1), microsBetween(t1, t2)};
  };
  auto rowsOf = [](const std::vector<CommitTiming>& timings) {
    std::vector<double> profile;
    std::vector<double> choiceOnly;
    std::vector<double> total;
    for (const CommitTiming& t : timings) {
      profile.push_back(t.profileMicros);
      choiceOnly.push_back(t.choiceMicros);
      total.push_back(t.profileMicros + t.choiceMicros);
    }
    return LatencyRows{summarizeLatency(std::move(profile)),
                       summarizeLatency(std::move(choiceOnly)), summarizeLatency(std::move(total))};
  };

  // Every user once (context, and a warm-up).
  std::vector<CommitTiming> all;
  all.reserve(commits.size());
  for (const Commit& c : commits) {
    auto t = commitOnce(c, nullptr);
    if (!t.ok()) {
      return t.error();
    }
    all.push_back(t.value());
  }
  result.allRows = rowsOf(all);

  std::vector<size_t> pastBaskets;
  pastBaskets.reserve(commits.size());
  for (const Commit& c : commits) {
    pastBaskets.push_back(c.pastBaskets);
  }
  const std::vector<size_t> selected =
      selectTimingUsers(pastBaskets, options.minPastBaskets, options.minShoppers, result.fellBack);
  result.qualifying =
      static_cast<size_t>(std::count_if(pastBaskets.begin(), pastBaskets.end(),
                                        [&](size_t n) { return n >= options.minPastBaskets; }));
  result.selected = selected.size();
  if (!selected.empty()) {
    result.selectedMinPast = pastBaskets[selected.front()];
    result.selectedMaxPast = pastBaskets[selected.front()];
    for (size_t i : selected) {
      result.selectedMinPast = std::min(result.selectedMinPast, pastBaskets[i]);
      result.selectedMaxPast = std::max(result.selectedMaxPast, pastBaskets[i]);
    }
  }
  report("timing " + std::to_string(selected.size()) + " users x " +
         std::to_string(options.repetitions) + " commits");
  std::vector<CommitTiming> timed;
  timed.reserve(selected.size() * options.repetitions);
  ChoiceTally tally;
  for (size_t pass = 0; pass < options.repetitions; ++pass) {
    for (size_t i : selected) {
      auto t = commitOnce(commits[i], pass == 0 ? &tally : nullptr);
      if (!t.ok()) {
        return t.error();
      }
      timed.push_back(t.value());
    }
  }
  result.selectedRows = rowsOf(timed);
  if (tally.commits > 0) {
    result.couponsPerCommit =
        static_cast<double>(tally.coupons) / static_cast<double>(tally.commits);
  }
  if (tally.coupons > 0) {
    result.repeatShare = static_cast<double>(tally.repeat) / static_cast<double>(tally.coupons);
    result.dueShare = static_cast<double>(tally.due) / static_cast<double>(tally.coupons);
  }
  report("serialised " + std::to_string(storedBytes) + " profile bytes in all");
  return result;
}

std::string renderTimingText(const TimingResult& r, const TimingOptions& options,
                             const std::string& source) {
  std::ostringstream out;
  out << "timing: what a personalized campaign adds to a commit (" << source << ")\n";
  out << "users: " << r.users
      << " (each: stored profile of all baskets but the last, then the last committed)\n";
  out << "neighbour book: " << r.poolSize << " profiles, " << r.bookEntries
      << " vector entries, built in " << fixed(r.bookBuildSeconds, 2) << " s ("
      << describeParams(r.params) << ")\n";
  out << "selected: " << r.selected << " users with " << r.selectedMinPast << ".."
      << r.selectedMaxPast << " stored baskets";
  if (r.fellBack) {
    out << " - only " << r.qualifying << " users have >= " << options.minPastBaskets
        << " stored baskets, so the " << r.selected << " with the most were taken";
  } else {
    out << " (every user with >= " << options.minPastBaskets << ")";
  }
  out << "; " << r.repetitions << " timed commits each\n";
  out << "choice: " << options.couponCount << " coupons, " << options.discoverPercent
      << "% discover, basket items excluded, every item eligible; chosen per commit "
      << fixed(r.couponsPerCommit, 2) << " (" << fixed(100 * r.repeatShare, 0) << "% repeat, "
      << fixed(100 * r.dueShare, 0) << "% due)\n\n";

  TextTable table({"microseconds per commit", "samples", "mean", "p50", "p90", "p99", "max"},
                  {TextTable::Align::kLeft, TextTable::Align::kRight, TextTable::Align::kRight,
                   TextTable::Align::kRight, TextTable::Align::kRight, TextTable::Align::kRight,
                   TextTable::Align::kRight});
  auto add = [&](const std::string& what, const LatencySummary& s) {
    table.addRow({what, std::to_string(s.samples), fixed(s.mean, 1), fixed(s.p50, 1),
                  fixed(s.p90, 1), fixed(s.p99, 1), fixed(s.max, 1)});
  };
  add("selected: choice (book lookup + chooseCoupons)", r.selectedRows.choice);
  add("selected: profile + choice", r.selectedRows.total);
  add("selected: profile alone (deserialize, update, serialize)", r.selectedRows.profile);
  add("all users: choice", r.allRows.choice);
  add("all users: profile + choice", r.allRows.total);
  add("all users: profile alone", r.allRows.profile);
  out << table.render();
  return out.str();
}

std::string renderTimingJson(const TimingResult& r, const TimingOptions& options) {
  auto summary = [](const LatencySummary& s) {
    return "{\"samples\": " + std::to_string(s.samples) + ", \"mean_us\": " + jsonNumber(s.mean) +
           ", \"p50_us\": " + jsonNumber(s.p50) + ", \"p90_us\": " + jsonNumber(s.p90) +
           ", \"p99_us\": " + jsonNumber(s.p99) + ", \"max_us\": " + jsonNumber(s.max) + "}";
  };
  auto rows = [&](const LatencyRows& rows) {
    return "{\"profile\": " + summary(rows.profile) + ", \"choice\": " + summary(rows.choice) +
           ", \"profile_choice\": " + summary(rows.total) + "}";
  };
  std::string out = "{\"timing\": {";
  out += "\"users\": " + std::to_string(r.users);
  out += ", \"pool_size\": " + std::to_string(r.poolSize);
  out += ", \"book_entries\": " + std::to_string(r.bookEntries);
  out += ", \"book_build_seconds\": " + jsonNumber(r.bookBuildSeconds);
  out += ", \"min_past_baskets\": " + std::to_string(options.minPastBaskets);
  out += ", \"qualifying_users\": " + std::to_string(r.qualifying);
  out += std::string(", \"fell_back\": ") + (r.fellBack ? "true" : "false");
  out += ", \"selected_users\": " + std::to_string(r.selected);
  out += ", \"selected_past_baskets\": {\"min\": " + std::to_string(r.selectedMinPast) +
         ", \"max\": " + std::to_string(r.selectedMaxPast) + "}";
  out += ", \"repetitions\": " + std::to_string(r.repetitions);
  out += ", \"coupon_count\": " + std::to_string(options.couponCount);
  out += ", \"discover_percent\": " + std::to_string(options.discoverPercent);
  out += ", \"coupons_per_commit\": " + jsonNumber(r.couponsPerCommit);
  out += ", \"repeat_share\": " + jsonNumber(r.repeatShare);
  out += ", \"due_share\": " + jsonNumber(r.dueShare);
  out += ", \"selected\": " + rows(r.selectedRows);
  out += ", \"all\": " + rows(r.allRows);
  out += "}}\n";
  return out;
}

}  // namespace loyalty::tools::eval
