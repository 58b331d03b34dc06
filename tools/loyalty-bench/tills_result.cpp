#include "loyalty-bench/tills_result.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace loyalty::tools {
namespace {

constexpr const char* kMagic = "loyalty-bench-tills 1";

base::Error bad(const std::string& why) {
  return base::makeError(base::ErrorCode::kInvalidValue, "tills result: " + why);
}

std::string oneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  return s;
}

bool parseU64(const std::string& s, uint64_t& out) {
  if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  out = std::stoull(s);
  return true;
}

bool parseI64(const std::string& s, int64_t& out) {
  uint64_t v = 0;
  const bool negative = !s.empty() && s[0] == '-';
  if (!parseU64(negative ? s.substr(1) : s, v) || v > static_cast<uint64_t>(INT64_MAX)) {
    return false;
  }
  out = negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return true;
}

// The integer counters, by name, for serialize/parse.
std::vector<std::pair<const char*, int64_t TillsResult::*>> counterFields() {
  return {{"tills", &TillsResult::tills},
          {"tills_measured", &TillsResult::tillsMeasured},
          {"sales_due", &TillsResult::salesDue},
          {"sales", &TillsResult::sales},
          {"sales_failed", &TillsResult::salesFailed},
          {"unsent", &TillsResult::unsent},
          {"answered", &TillsResult::answered},
          {"errors", &TillsResult::errors},
          {"starved", &TillsResult::starved},
          {"tills_starved", &TillsResult::tillsStarved},
          {"tills_never_answered", &TillsResult::tillsNeverAnswered},
          {"connects", &TillsResult::connects},
          {"reconnects", &TillsResult::reconnects},
          {"connect_failures", &TillsResult::connectFailures},
          {"retries", &TillsResult::retries},
          {"server_closes", &TillsResult::serverCloses},
          {"warmup_sales", &TillsResult::warmupSales},
          {"warmup_errors", &TillsResult::warmupErrors},
          {"run_connects", &TillsResult::runConnects}};
}

}  // namespace

void SampleSet::add(int64_t micros) {
  if (micros < 0) {
    micros = 0;
  }
  if (buckets_.empty()) {
    buckets_.assign(LatencyHistogram::kBucketCount, 0);
  }
  ++buckets_[LatencyHistogram::bucketOf(micros)];
  if (count_ == 0 || micros < min_) {
    min_ = micros;
  }
  max_ = std::max(max_, micros);
  ++count_;
}

void SampleSet::merge(const SampleSet& other) {
  if (other.count_ == 0) {
    return;
  }
  if (buckets_.empty()) {
    buckets_.assign(LatencyHistogram::kBucketCount, 0);
  }
  for (size_t i = 0; i < other.buckets_.size(); ++i) {
    buckets_[i] += other.buckets_[i];
  }
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
}

LatencyHistogram SampleSet::histogram() const {
  LatencyHistogram h;
  if (count_ == 0) {
    return h;
  }
  const size_t minBucket = LatencyHistogram::bucketOf(min_);
  const size_t maxBucket = LatencyHistogram::bucketOf(max_);
  for (size_t b = 0; b < buckets_.size(); ++b) {
    uint64_t n = buckets_[b];
    if (n > 0 && b == minBucket) {
      h.add(min_);
      --n;
    }
    // In the top bucket every other sample is re-added as the maximum (percentile() caps at the
    // maximum anyway); elsewhere at the bucket's upper bound, as percentile() reports it.
    const int64_t value = b == maxBucket ? max_ : LatencyHistogram::upperBoundOf(b);
    for (; n > 0; --n) {
      h.add(value);
    }
  }
  return h;
}

std::string SampleSet::serialize() const {
  std::string out = std::to_string(count_) + " " + std::to_string(min_) + " " +
                    std::to_string(max_);
  for (size_t b = 0; b < buckets_.size(); ++b) {
    if (buckets_[b] > 0) {
      out += " " + std::to_string(b) + ":" + std::to_string(buckets_[b]);
    }
  }
  return out;
}

base::Result<SampleSet> SampleSet::parse(const std::string& text) {
  std::istringstream in(text);
  std::string count;
  std::string min;
  std::string max;
  SampleSet s;
  if (!(in >> count >> min >> max) || !parseU64(count, s.count_) || !parseI64(min, s.min_) ||
      !parseI64(max, s.max_)) {
    return bad("bad sample set head: " + text.substr(0, 60));
  }
  uint64_t sum = 0;
  std::string item;
  while (in >> item) {
    const size_t colon = item.find(':');
    uint64_t bucket = 0;
    uint64_t n = 0;
    if (colon == std::string::npos || !parseU64(item.substr(0, colon), bucket) ||
        !parseU64(item.substr(colon + 1), n) || bucket >= LatencyHistogram::kBucketCount) {
      return bad("bad bucket: " + item);
    }
    if (s.buckets_.empty()) {
      s.buckets_.assign(LatencyHistogram::kBucketCount, 0);
    }
    s.buckets_[bucket] += n;
    sum += n;
  }
  if (sum != s.count_) {
    return bad("bucket counts do not add up to the count");
  }
  return s;
}

namespace {

void addSeries(std::vector<uint32_t>& into, const std::vector<uint32_t>& from, bool max) {
  if (into.size() < from.size()) {
    into.resize(from.size(), 0);
  }
  for (size_t i = 0; i < from.size(); ++i) {
    into[i] = max ? std::max(into[i], from[i]) : into[i] + from[i];
  }
}

std::string seriesLine(const char* name, const std::vector<uint32_t>& v) {
  std::string out = name;
  for (uint32_t x : v) {
    out += " " + std::to_string(x);
  }
  return out + "\n";
}

}  // namespace

void TillsResult::noteSecond(size_t second, bool ok, int64_t micros) {
  if (secondAnswered.size() <= second) {
    secondAnswered.resize(second + 1, 0);
    secondErrors.resize(second + 1, 0);
    secondMaxMicros.resize(second + 1, 0);
  }
  if (ok) {
    ++secondAnswered[second];
    const uint32_t capped = static_cast<uint32_t>(std::clamp<int64_t>(micros, 0, UINT32_MAX));
    secondMaxMicros[second] = std::max(secondMaxMicros[second], capped);
  } else {
    ++secondErrors[second];
  }
}

void TillsResult::merge(const TillsResult& other) {
  for (const auto& [name, field] : counterFields()) {
    (void)name;
    this->*field += other.*field;
  }
  lastFinishS = std::max(lastFinishS, other.lastFinishS);
  calls.merge(other.calls);
  for (const auto& [name, set] : other.ops) {
    ops[name].merge(set);
  }
  sale.merge(other.sale);
  connect.merge(other.connect);
  lag.merge(other.lag);
  // A process whose series ended earlier had closed its sockets by then.
  addSeries(openSockets, other.openSockets, false);
  addSeries(secondAnswered, other.secondAnswered, false);
  addSeries(secondErrors, other.secondErrors, false);
  addSeries(secondMaxMicros, other.secondMaxMicros, true);
  for (const auto& e : other.errorSamples) {
    if (errorSamples.size() < kTillsErrorSamples) {
      errorSamples.push_back(e);
    }
  }
}

int64_t TillsResult::peakOpenSockets() const {
  uint32_t peak = 0;
  for (uint32_t v : openSockets) {
    peak = std::max(peak, v);
  }
  return peak;
}

std::string TillsResult::serialize() const {
  std::string out = std::string(kMagic) + "\n";
  for (const auto& [name, field] : counterFields()) {
    out += std::string("counter ") + name + " " + std::to_string(this->*field) + "\n";
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", lastFinishS);
  out += std::string("last_finish_s ") + buf + "\n";
  out += "samples calls " + calls.serialize() + "\n";
  out += "samples sale " + sale.serialize() + "\n";
  out += "samples connect " + connect.serialize() + "\n";
  out += "samples lag " + lag.serialize() + "\n";
  for (const auto& [name, set] : ops) {
    out += "op " + name + " " + set.serialize() + "\n";
  }
  out += seriesLine("open_sockets", openSockets);
  out += seriesLine("second_answered", secondAnswered);
  out += seriesLine("second_errors", secondErrors);
  out += seriesLine("second_max_us", secondMaxMicros);
  for (const auto& e : errorSamples) {
    out += "error " + oneLine(e) + "\n";
  }
  out += "end\n";
  return out;
}

base::Result<TillsResult> TillsResult::parse(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != kMagic) {
    return bad("not a tills result");
  }
  TillsResult r;
  const auto fields = counterFields();
  bool ended = false;
  while (std::getline(in, line)) {
    const size_t space = line.find(' ');
    const std::string key = line.substr(0, space);
    const std::string rest = space == std::string::npos ? std::string() : line.substr(space + 1);
    if (key == "end") {
      ended = true;
      break;
    }
    if (key == "counter") {
      const size_t sp = rest.find(' ');
      const std::string name = rest.substr(0, sp);
      int64_t v = 0;
      if (sp == std::string::npos || !parseI64(rest.substr(sp + 1), v)) {
        return bad("bad counter line: " + line);
      }
      bool known = false;
      for (const auto& [fieldName, field] : fields) {
        if (name == fieldName) {
          r.*field = v;
          known = true;
        }
      }
      if (!known) {
        return bad("unknown counter " + name);
      }
    } else if (key == "last_finish_s") {
      char* end = nullptr;
      r.lastFinishS = std::strtod(rest.c_str(), &end);
      if (end == rest.c_str()) {
        return bad("bad last_finish_s");
      }
    } else if (key == "samples" || key == "op") {
      const size_t sp = rest.find(' ');
      if (sp == std::string::npos) {
        return bad("bad samples line: " + line);
      }
      const std::string name = rest.substr(0, sp);
      auto set = SampleSet::parse(rest.substr(sp + 1));
      if (!set) {
        return set.error();
      }
      if (key == "op") {
        r.ops[name] = std::move(set).value();
      } else if (name == "calls") {
        r.calls = std::move(set).value();
      } else if (name == "sale") {
        r.sale = std::move(set).value();
      } else if (name == "connect") {
        r.connect = std::move(set).value();
      } else if (name == "lag") {
        r.lag = std::move(set).value();
      } else {
        return bad("unknown samples " + name);
      }
    } else if (key == "open_sockets" || key == "second_answered" || key == "second_errors" ||
               key == "second_max_us") {
      std::vector<uint32_t>& into = key == "open_sockets"      ? r.openSockets
                                    : key == "second_answered" ? r.secondAnswered
                                    : key == "second_errors"   ? r.secondErrors
                                                               : r.secondMaxMicros;
      std::istringstream values(rest);
      std::string v;
      while (values >> v) {
        uint64_t n = 0;
        if (!parseU64(v, n) || n > UINT32_MAX) {
          return bad("bad " + key + " value " + v);
        }
        into.push_back(static_cast<uint32_t>(n));
      }
    } else if (key == "error") {
      r.errorSamples.push_back(rest);
    } else {
      return bad("unknown line: " + line.substr(0, 60));
    }
  }
  if (!ended) {
    return bad("truncated (no end line)");
  }
  return r;
}

}  // namespace loyalty::tools
