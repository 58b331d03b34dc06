#include "loyalty-eval/eval_options.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace loyalty::tools::eval {
namespace {

namespace pz = core::personalization;

base::Error bad(const std::string& what) {
  return base::makeError(base::ErrorCode::kInvalidValue, what);
}

bool parseUnsigned(const std::string& s, uint64_t& out) {
  if (s.empty() || s.size() > 19) {
    return false;
  }
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  out = v;
  return true;
}

bool parseReal(const std::string& s, double& out) {
  if (s.empty()) {
    return false;
  }
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || end != s.c_str() + s.size() || !std::isfinite(v)) {
    return false;
  }
  out = v;
  return true;
}

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, ',')) {
    if (!item.empty()) {
      out.push_back(item);
    }
  }
  return out;
}

}  // namespace

std::string usage() {
  return R"(usage: loyalty-eval (--tafeng DIR | --baskets FILE.csv) [options]

Offline evaluation of coupon targeting as next-basket prediction (docs/personalization.md).
Users with a target basket are shuffled and split 72/8/20 train/validation/test per fold;
methods are scored on the test users; the table shows mean ± std over folds.

input (exactly one):
  --tafeng DIR           DIR/tafeng_history.json and DIR/tafeng_future.json
  --baskets FILE.csv     header, then customer_id,basket_key,item_id[,quantity,unit_price_cents];
                         each customer's last basket (by basket_key) is the target
options:
  --folds N              number of folds (default 5); fold f uses seed S+f
  --seed S               seed of the first fold (default 0)
  --min-baskets N        drop users with fewer baskets, target included (default 2)
  --max-baskets N        drop users with more baskets (default 0: no limit)
  --min-item-count N     drop items in fewer than N history baskets (default 0: keep all)
  --methods LIST         comma-separated, from g-topfreq,p-topfreq,gp-topfreq,system,tifu-knn
                         (default g-topfreq,p-topfreq,gp-topfreq,system)
  --json                 print {"methods": {name: {metric: {"mean", "std"}}}} instead of the table
  --alpha A              system: weight of own habits against neighbours' (default 0.1)
  --decay R              system: profile decay per basket (default 0.85)
  --capacity N           system: items kept per profile (default 200)
  --neighbours K         system: neighbours per shopper (default 300)
  --similarity NAME      system: euclidean or cosine (default euclidean)
  --tifu-alpha A         tifu-knn: alpha (default 0.7, the published value)
  --tune                 grid-search the system's parameters on the validation users
  --score-validation     score the validation users instead of the test users (tuning by hand)
  --timing               instead of the evaluation, time what a personalized coupon campaign adds
                         to a commit (profile work, then chooseCoupons) for the users with the
                         most baskets; prints p50/p90/p99/max (with --json, as JSON)
  --timing-min-baskets N users with at least N stored baskets (default 50)
  --timing-shoppers N    when fewer qualify, the N users with the most baskets (default 50)
  --timing-repeat N      timed commits per selected user (default 20)
  --timing-count N       coupons chosen per commit, 1..10 (default 3)
  --timing-discover P    discover share in percent, 0..100 (default 20)
  --help                 this text
Progress goes to stderr. Exit status: 0 success, 1 unreadable or invalid data, 2 bad usage.
)";
}

base::Result<CliOptions> parseArgs(const std::vector<std::string>& args) {
  CliOptions options;
  std::string timingOption;  // the last --timing-* option seen
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    bool hasValue = false;
    const size_t eq = name.find('=');
    if (name.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      hasValue = true;
    }
    auto takeValue = [&]() -> bool {
      if (hasValue) {
        return true;
      }
      if (i + 1 >= args.size()) {
        return false;
      }
      value = args[++i];
      return true;
    };
    auto flag = [&](bool& target) -> base::Status {
      if (hasValue) {
        return bad(name + " takes no value");
      }
      target = true;
      return base::okStatus();
    };
    auto count = [&](size_t& target, uint64_t minimum) -> base::Status {
      uint64_t v = 0;
      if (!takeValue() || !parseUnsigned(value, v) || v < minimum) {
        return bad(name + " needs an integer >= " + std::to_string(minimum));
      }
      target = static_cast<size_t>(v);
      return base::okStatus();
    };
    auto real = [&](double& target, double low, double high) -> base::Status {
      double v = 0;
      if (!takeValue() || !parseReal(value, v) || v < low || v > high) {
        std::ostringstream msg;
        msg << name << " needs a number in [" << low << ", " << high << "]";
        return bad(msg.str());
      }
      target = v;
      return base::okStatus();
    };

    base::Status status;
    if (name == "--help" || name == "-h") {
      status = flag(options.help);
    } else if (name == "--json") {
      status = flag(options.json);
    } else if (name == "--tune") {
      status = flag(options.tune);
    } else if (name == "--timing") {
      status = flag(options.timing);
    } else if (name == "--timing-min-baskets") {
      status = count(options.timingOptions.minPastBaskets, 1);
      timingOption = name;
    } else if (name == "--timing-shoppers") {
      status = count(options.timingOptions.minShoppers, 1);
      timingOption = name;
    } else if (name == "--timing-repeat") {
      status = count(options.timingOptions.repetitions, 1);
      timingOption = name;
    } else if (name == "--timing-count") {
      status = count(options.timingOptions.couponCount, 1);
      if (status && options.timingOptions.couponCount > pz::kMaxCouponChoices) {
        status = bad("--timing-count needs an integer in [1, 10]");
      }
      timingOption = name;
    } else if (name == "--timing-discover") {
      size_t percent = 0;
      status = count(percent, 0);
      if (status && percent > 100) {
        status = bad("--timing-discover needs an integer in [0, 100]");
      }
      options.timingOptions.discoverPercent = static_cast<int64_t>(percent);
      timingOption = name;
    } else if (name == "--score-validation") {
      status = flag(options.eval.scoreValidation);
    } else if (name == "--tifu-alpha") {
      status = real(options.eval.tifu.alpha, 0, 1);
    } else if (name == "--tafeng") {
      status = takeValue() && !value.empty() ? base::okStatus() : bad("--tafeng needs a folder");
      options.tafengDir = value;
    } else if (name == "--baskets") {
      status = takeValue() && !value.empty() ? base::okStatus() : bad("--baskets needs a file");
      options.basketsCsv = value;
    } else if (name == "--folds") {
      status = count(options.eval.folds, 1);
    } else if (name == "--seed") {
      uint64_t v = 0;
      status = takeValue() && parseUnsigned(value, v) ? base::okStatus()
                                                      : bad("--seed needs an integer >= 0");
      options.eval.seed = v;
    } else if (name == "--min-baskets") {
      status = count(options.filters.minBaskets, 0);
    } else if (name == "--max-baskets") {
      status = count(options.filters.maxBaskets, 0);
    } else if (name == "--min-item-count") {
      status = count(options.filters.minItemCount, 0);
    } else if (name == "--capacity") {
      status = count(options.eval.system.profile.capacity, 1);
    } else if (name == "--neighbours") {
      status = count(options.eval.system.neighbours.k, 1);
    } else if (name == "--alpha") {
      status = real(options.eval.system.scorer.alpha, 0, 1);
    } else if (name == "--decay") {
      status = real(options.eval.system.profile.decayRate, 1e-6, 1);
    } else if (name == "--similarity") {
      if (!takeValue()) {
        status = bad("--similarity needs euclidean or cosine");
      } else if (value == "euclidean") {
        options.eval.system.neighbours.similarity = pz::Similarity::kEuclidean;
      } else if (value == "cosine") {
        options.eval.system.neighbours.similarity = pz::Similarity::kCosine;
      } else {
        status = bad("--similarity needs euclidean or cosine");
      }
    } else if (name == "--methods") {
      if (!takeValue()) {
        status = bad("--methods needs a list");
      } else {
        options.eval.methods = splitList(value);
        if (options.eval.methods.empty()) {
          status = bad("--methods needs at least one method");
        }
        for (const std::string& m : options.eval.methods) {
          bool known = false;
          for (const std::string& k : knownMethods()) {
            known = known || k == m;
          }
          if (!known) {
            status = bad("unknown method \"" + m + "\" in --methods");
          }
        }
      }
    } else {
      status = bad("unknown option " + name);
    }
    if (!status) {
      return status.error();
    }
  }
  if (options.help) {
    return options;
  }
  if (options.tafengDir.empty() == options.basketsCsv.empty()) {
    return bad("give exactly one of --tafeng DIR and --baskets FILE.csv");
  }
  if (options.timing && options.tune) {
    return bad("--timing and --tune are different runs: give one of them");
  }
  if (!timingOption.empty() && !options.timing) {
    return bad(timingOption + " needs --timing");
  }
  return options;
}

}  // namespace loyalty::tools::eval
