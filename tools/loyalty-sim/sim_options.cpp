#include "loyalty-sim/sim_options.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>

#include "common/text_format.h"
#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/limits.h"

namespace loyalty::tools {
namespace {

using base::ErrorCode;
using base::makeError;

base::Error usageError(const std::string& message) {
  return makeError(ErrorCode::kInvalidValue, message);
}

bool parseInt(const std::string& text, int64_t min, int64_t max, int64_t& out) {
  if (text.empty() || text.size() > 19) {
    return false;
  }
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
    v = v * 10 + (c - '0');
  }
  if (v < min || v > max) {
    return false;
  }
  out = v;
  return true;
}

bool parseUnsigned(const std::string& text, uint64_t& out) {
  if (text.empty() || text.size() > 20) {
    return false;
  }
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
    const auto digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) {
      return false;
    }
    v = v * 10 + digit;
  }
  out = v;
  return true;
}

bool parseRate(const std::string& text, double& out) {
  if (text.empty()) {
    return false;
  }
  for (char c : text) {
    if ((c < '0' || c > '9') && c != '.') {
      return false;
    }
  }
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(v) || v < 0) {
    return false;
  }
  out = v;
  return true;
}

}  // namespace

bool isIdentifier(const std::string& s, size_t max) {
  if (s.empty() || s.size() > max) {
    return false;
  }
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::string simUsage() {
  return R"(usage: loyalty-sim --tafeng DIR --agents H:P[,H:P...] [options]
       loyalty-sim --tafeng DIR --write-catalogue FILE

Drives pos-agents (or the loyalty-core directly: same API) with a simulated store day built from
the TaFeng baskets. A visit is identify(card) -> price(basket) -> commit(basket).

options:
  --tafeng DIR            folder holding tafeng_history.json and tafeng_future.json (required)
  --agents H:P[,H:P...]   agents to drive; lanes are spread round-robin over them
  --lanes N               concurrent tills (threads), default 4, at most 256
  --store ID              store id sent with every request, default S001
  --shoppers N            shoppers who visit today, chosen with --seed, default 500
  --seed N                seed of the shopper choice, default 42
  --visits-per-shopper N  each shopper brings their first N baskets, default 2
  --pace R                target visits per second over all lanes, 0 = as fast as possible
                          (default)
  --business-date D       YYYY-MM-DD, default today (UTC)
  --run-id X              transaction number prefix, 1..16 of [A-Za-z0-9_-], default the UTC
                          time as HHMMSS; transactions are "<run-id>-<lane>-<seq>"
  --timeout-ms N          per HTTP call, default 2000
  --drain-timeout S       after the day, wait up to S seconds for the agents' outboxes to drain,
                          default 60
  --json                  print the summary as one JSON object
  --write-catalogue FILE  write the catalogue CSV of every item in the data to FILE and exit
  --help                  this text

exit status: 0 the day ran (errors are in the summary), 1 cannot start, 2 bad usage.
)";
}

base::Result<SimOptions> parseSimOptions(const std::vector<std::string>& args, int64_t nowMs) {
  SimOptions o;
  std::string agents;
  std::map<std::string, std::string> seen;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    bool hasValue = false;
    if (name.rfind("--", 0) != 0) {
      return usageError("unexpected argument \"" + name + "\"");
    }
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      hasValue = true;
    }
    if (name == "--help" || name == "--json") {
      if (hasValue) {
        return usageError(name + " takes no value");
      }
      (name == "--help" ? o.help : o.json) = true;
      continue;
    }
    static const char* const kValued[] = {"--tafeng",
                                          "--agents",
                                          "--lanes",
                                          "--store",
                                          "--shoppers",
                                          "--seed",
                                          "--visits-per-shopper",
                                          "--pace",
                                          "--business-date",
                                          "--run-id",
                                          "--timeout-ms",
                                          "--drain-timeout",
                                          "--write-catalogue"};
    bool known = false;
    for (const char* k : kValued) {
      known = known || name == k;
    }
    if (!known) {
      return usageError("unknown option " + name);
    }
    if (!hasValue) {
      if (i + 1 >= args.size()) {
        return usageError(name + " needs a value");
      }
      value = args[++i];
    }
    if (!seen.emplace(name, value).second) {
      return usageError(name + " given twice");
    }
  }
  if (o.help) {
    return o;
  }

  int64_t n = 0;
  for (const auto& option : seen) {
    // Named references, not a structured binding: lambdas may not capture those before C++20.
    const std::string& name = option.first;
    const std::string& value = option.second;
    auto bad = [&](const std::string& want) {
      return usageError(name + " " + value + ": want " + want);
    };
    if (name == "--tafeng") {
      if (value.empty()) {
        return bad("a folder");
      }
      o.tafengDir = value;
    } else if (name == "--agents") {
      agents = value;
    } else if (name == "--lanes") {
      if (!parseInt(value, 1, kMaxLanes, n)) {
        return bad("a whole number 1.." + std::to_string(kMaxLanes));
      }
      o.lanes = static_cast<int>(n);
    } else if (name == "--store") {
      if (!isIdentifier(value, protocol::kMaxIdLength)) {
        return bad("1..32 of [A-Za-z0-9_-]");
      }
      o.store = value;
    } else if (name == "--shoppers") {
      if (!parseInt(value, 1, INT64_MAX, n)) {
        return bad("a whole number >= 1");
      }
      o.shoppers = n;
    } else if (name == "--seed") {
      if (!parseUnsigned(value, o.seed)) {
        return bad("a whole number 0..2^64-1");
      }
    } else if (name == "--visits-per-shopper") {
      if (!parseInt(value, 1, INT64_MAX, n)) {
        return bad("a whole number >= 1");
      }
      o.visitsPerShopper = n;
    } else if (name == "--pace") {
      if (!parseRate(value, o.pace)) {
        return bad("a rate >= 0 such as 50 or 12.5");
      }
    } else if (name == "--business-date") {
      if (!protocol::isValidBusinessDate(value)) {
        return bad("a real date YYYY-MM-DD");
      }
      o.businessDate = value;
    } else if (name == "--run-id") {
      if (!isIdentifier(value, kMaxRunIdLength)) {
        return bad("1.." + std::to_string(kMaxRunIdLength) + " of [A-Za-z0-9_-]");
      }
      o.runId = value;
    } else if (name == "--timeout-ms") {
      if (!parseInt(value, 1, 600'000, n)) {
        return bad("milliseconds 1..600000");
      }
      o.timeoutMs = static_cast<int>(n);
    } else if (name == "--drain-timeout") {
      if (!parseInt(value, 0, 86'400, n)) {
        return bad("seconds 0..86400");
      }
      o.drainTimeoutS = static_cast<int>(n);
    } else if (name == "--write-catalogue") {
      if (value.empty()) {
        return bad("a file name");
      }
      o.writeCatalogue = value;
    }
  }

  if (o.tafengDir.empty()) {
    return usageError("--tafeng DIR is required");
  }
  if (!agents.empty()) {
    auto list = parseEndpointList(agents);
    if (!list) {
      return usageError("--agents: " + list.error().message);
    }
    o.agents = std::move(list).value();
  } else if (seen.count("--agents") != 0) {
    return usageError("--agents: want H:P[,H:P...]");
  }
  if (o.agents.empty() && o.writeCatalogue.empty()) {
    return usageError("--agents H:P[,H:P...] is required");
  }
  if (o.businessDate.empty()) {
    o.businessDate = utcDate(nowMs);
  }
  if (o.runId.empty()) {
    o.runId = utcTimeCompact(nowMs);
  }
  return o;
}

}  // namespace loyalty::tools
