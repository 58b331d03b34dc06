#include "loyalty-bench/json_bench.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <sstream>
#include <string_view>

#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/json.h"

#if LOYALTY_BENCH_HAVE_RAPIDJSON
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#endif
#if LOYALTY_BENCH_HAVE_SIMDJSON
#include <simdjson.h>
// SIMDJSON_VERSION is a bare token (3.0.1), not a string.
#define LOYALTY_BENCH_STRINGIFY2(x) #x
#define LOYALTY_BENCH_STRINGIFY(x) LOYALTY_BENCH_STRINGIFY2(x)
#endif

namespace loyalty::tools {
namespace {

using Clock = std::chrono::steady_clock;

// What a parser reports for one body: the number of lines it found, or kFailed.
constexpr size_t kFailed = std::numeric_limits<size_t>::max();
// Extra readable bytes after the body in the shared buffer (simdjson reads up to 64 past the end).
constexpr size_t kPadding = 64;
constexpr uint64_t kMaxWarmup = 100000;
constexpr int kTimerProbes = 10001;

// One parser under test. parse() gets the body in a hot buffer with at least kPadding readable
// bytes after its end.
struct Candidate {
  std::string name;
  std::string what;
  bool available = true;
  std::string note;
  std::function<size_t(std::string_view body, const std::string& bodyString)> parse;
};

size_t parseWithCodec(std::string_view body) {
  auto request = protocol::decodeCommitRequest(body);
  return request.ok() ? request->lines.size() : kFailed;
}

size_t parseWithJson(std::string_view body) {
  auto value = protocol::json::parse(body);
  if (!value.ok()) {
    return kFailed;
  }
  const protocol::json::Value* lines = value->find("lines");
  return lines != nullptr && lines->isArray() ? lines->items().size() : kFailed;
}

class PocoCandidate {
 public:
  size_t parse(const std::string& body) {
    try {
      parser_.reset();
      const Poco::Dynamic::Var result = parser_.parse(body);
      const Poco::JSON::Object::Ptr object = result.extract<Poco::JSON::Object::Ptr>();
      const Poco::JSON::Array::Ptr lines = object->getArray("lines");
      return lines.isNull() ? kFailed : lines->size();
    } catch (const Poco::Exception&) {
      return kFailed;
    } catch (const std::exception&) {
      return kFailed;
    }
  }

 private:
  Poco::JSON::Parser parser_;
};

#if LOYALTY_BENCH_HAVE_RAPIDJSON
size_t parseWithRapidJson(std::string_view body) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  if (document.HasParseError() || !document.IsObject()) {
    return kFailed;
  }
  const auto lines = document.FindMember("lines");
  if (lines == document.MemberEnd() || !lines->value.IsArray()) {
    return kFailed;
  }
  return lines->value.Size();
}
#endif

#if LOYALTY_BENCH_HAVE_SIMDJSON
class SimdjsonCandidate {
 public:
  size_t parse(std::string_view body) {
    simdjson::dom::element document;
    if (parser_.parse(body.data(), body.size(), false).get(document) != simdjson::SUCCESS) {
      return kFailed;
    }
    simdjson::dom::array lines;
    if (document["lines"].get_array().get(lines) != simdjson::SUCCESS) {
      return kFailed;
    }
    return lines.size();
  }

 private:
  simdjson::dom::parser parser_;
};
#endif

std::vector<Candidate> candidates() {
  std::vector<Candidate> out;
  out.push_back(Candidate{"codec",
                          "protocol::decodeCommitRequest: strict parse, schema checks, typed "
                          "CommitRequest",
                          true, "", [](std::string_view b, const std::string&) {
                            return parseWithCodec(b);
                          }});
  out.push_back(Candidate{"json_parse", "protocol::json::parse alone, into a json::Value tree",
                          true, "", [](std::string_view b, const std::string&) {
                            return parseWithJson(b);
                          }});
  auto poco = std::make_shared<PocoCandidate>();
  out.push_back(Candidate{"poco",
                          "Poco::JSON::Parser (reused, reset each time) into a Dynamic::Var "
                          "tree",
                          true, "", [poco](std::string_view, const std::string& s) {
                            return poco->parse(s);
                          }});
#if LOYALTY_BENCH_HAVE_RAPIDJSON
  out.push_back(Candidate{"rapidjson",
                          "rapidjson::Document::Parse, UTF-8 validated, into its DOM", true,
                          "RapidJSON " RAPIDJSON_VERSION_STRING,
                          [](std::string_view b, const std::string&) {
                            return parseWithRapidJson(b);
                          }});
#else
  out.push_back(Candidate{"rapidjson", "rapidjson::Document::Parse", false,
                          "not found at configure time (Debian package rapidjson-dev)", {}});
#endif
#if LOYALTY_BENCH_HAVE_SIMDJSON
  constexpr const char* kSimdjsonVersion = LOYALTY_BENCH_STRINGIFY(SIMDJSON_VERSION);
  auto simd = std::make_shared<SimdjsonCandidate>();
  out.push_back(Candidate{"simdjson",
                          "simdjson::dom::parser (reused), UTF-8 validated, into its DOM tape",
                          true,
                          std::string("simdjson ") + kSimdjsonVersion + ", kernel " +
                              simdjson::get_active_implementation()->name(),
                          [simd](std::string_view b, const std::string&) {
                            return simd->parse(b);
                          }});
#else
  out.push_back(Candidate{"simdjson", "simdjson::dom::parser", false,
                          "not found at configure time (Debian package libsimdjson-dev)", {}});
#endif
  return out;
}

int64_t nanosBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

// The median cost of two consecutive clock reads.
int64_t timerCost() {
  std::vector<int64_t> samples(kTimerProbes);
  for (auto& s : samples) {
    const Clock::time_point a = Clock::now();
    const Clock::time_point b = Clock::now();
    s = nanosBetween(a, b);
  }
  std::nth_element(samples.begin(), samples.begin() + kTimerProbes / 2, samples.end());
  return samples[kTimerProbes / 2];
}

// Nearest rank over sorted samples. Requires: non-empty.
int64_t percentileOf(const std::vector<int64_t>& sorted, double percent) {
  const double rank = percent / 100.0 * static_cast<double>(sorted.size());
  size_t index = static_cast<size_t>(rank);
  if (static_cast<double>(index) < rank) {
    ++index;
  }
  index = std::max<size_t>(index, 1);
  return sorted[std::min(index, sorted.size()) - 1];
}

std::string number(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

std::string jsonString(const std::string& s) {
  std::string out;
  protocol::json::appendQuoted(out, s);
  return out;
}

}  // namespace

double ParserResult::nsPerBody() const {
  return parses == 0 ? 0.0 : static_cast<double>(totalNs) / static_cast<double>(parses);
}

double ParserResult::mbPerS() const {
  // bytes per ns = 10^9 bytes per s = 1000 MB/s
  return totalNs <= 0 ? 0.0 : static_cast<double>(bytes) / static_cast<double>(totalNs) * 1000.0;
}

uint64_t jsonWarmupFor(uint64_t iterations) {
  return std::min<uint64_t>(std::max<uint64_t>(iterations / 10, 1), kMaxWarmup);
}

base::Result<JsonBenchReport> runJsonBench(const std::vector<std::string>& bodies, int lines,
                                           uint64_t iterations, uint64_t warmup) {
  if (bodies.empty()) {
    return base::makeError(base::ErrorCode::kInvalidValue, "no body to parse");
  }
  JsonBenchReport report;
  report.lines = lines;
  report.bodies = bodies.size();
  report.iterations = iterations;
  report.warmup = warmup;
  report.minBodyBytes = std::numeric_limits<size_t>::max();
  std::vector<size_t> expected;
  expected.reserve(bodies.size());
  size_t totalBytes = 0;
  for (size_t i = 0; i < bodies.size(); ++i) {
    const size_t found = parseWithCodec(bodies[i]);
    if (found == kFailed) {
      auto why = protocol::decodeCommitRequest(bodies[i]);
      return base::makeError(base::ErrorCode::kInvalidValue,
                             "body " + std::to_string(i) + " is not a CommitRequest: " +
                                 (why.ok() ? std::string("?") : why.error().message));
    }
    expected.push_back(found);
    totalBytes += bodies[i].size();
    report.minBodyBytes = std::min(report.minBodyBytes, bodies[i].size());
    report.maxBodyBytes = std::max(report.maxBodyBytes, bodies[i].size());
  }
  report.meanBodyBytes = static_cast<double>(totalBytes) / static_cast<double>(bodies.size());
  report.timerNs = timerCost();

  // The hot buffer every parser reads: the body, then kPadding readable bytes (spaces).
  std::string hot;
  hot.reserve(report.maxBodyBytes + kPadding);
  std::vector<char> padded(report.maxBodyBytes + kPadding, ' ');
  std::vector<int64_t> samples;
  samples.reserve(static_cast<size_t>(iterations));

  for (Candidate& c : candidates()) {
    ParserResult r;
    r.name = c.name;
    r.what = c.what;
    r.available = c.available;
    r.note = c.note;
    if (!c.available) {
      report.parsers.push_back(std::move(r));
      continue;
    }
    auto load = [&](size_t index) {
      const std::string& body = bodies[index];
      std::memcpy(padded.data(), body.data(), body.size());
      hot.assign(body);  // within the reserved capacity: no allocation
      return std::string_view(padded.data(), body.size());
    };
    for (uint64_t i = 0; i < warmup; ++i) {
      const size_t index = static_cast<size_t>(i % bodies.size());
      (void)c.parse(load(index), hot);
    }
    samples.clear();
    for (uint64_t i = 0; i < iterations; ++i) {
      const size_t index = static_cast<size_t>(i % bodies.size());
      const std::string_view body = load(index);
      const Clock::time_point from = Clock::now();
      const size_t found = c.parse(body, hot);
      const Clock::time_point done = Clock::now();
      if (found != expected[index]) {
        ++r.failures;
        continue;
      }
      const int64_t ns = nanosBetween(from, done);
      samples.push_back(ns);
      r.totalNs += ns;
      r.bytes += body.size();
      ++r.parses;
    }
    if (!samples.empty()) {
      std::sort(samples.begin(), samples.end());
      r.p50Ns = percentileOf(samples, 50);
      r.p99Ns = percentileOf(samples, 99);
      r.maxNs = samples.back();
    }
    report.parsers.push_back(std::move(r));
  }
  return report;
}

std::string formatJsonBenchJson(const JsonBenchReport& r) {
  std::string out = "{\"scenario\":\"json\",\"lines\":" + std::to_string(r.lines) +
                    ",\"bodies\":" + std::to_string(r.bodies) +
                    ",\"body_bytes_mean\":" + number(r.meanBodyBytes, 1) +
                    ",\"body_bytes_min\":" + std::to_string(r.minBodyBytes) +
                    ",\"body_bytes_max\":" + std::to_string(r.maxBodyBytes) +
                    ",\"iterations\":" + std::to_string(r.iterations) +
                    ",\"warmup\":" + std::to_string(r.warmup) +
                    ",\"threads\":1,\"timer_ns\":" + std::to_string(r.timerNs) +
                    ",\"commit_budget_us\":" + std::to_string(kCommitBudgetNs / 1000) +
                    ",\"parsers\":[";
  bool first = true;
  for (const ParserResult& p : r.parsers) {
    out += first ? "" : ",";
    first = false;
    out += "{\"name\":" + jsonString(p.name) + ",\"what\":" + jsonString(p.what) +
           ",\"available\":" + (p.available ? "true" : "false") +
           ",\"note\":" + jsonString(p.note);
    if (p.available) {
      out += ",\"parses\":" + std::to_string(p.parses) +
             ",\"failures\":" + std::to_string(p.failures) +
             ",\"ns_per_body\":" + number(p.nsPerBody(), 1) +
             ",\"mb_per_s\":" + number(p.mbPerS(), 1) + ",\"p50_ns\":" + std::to_string(p.p50Ns) +
             ",\"p99_ns\":" + std::to_string(p.p99Ns) + ",\"max_ns\":" + std::to_string(p.maxNs) +
             ",\"share_of_commit_budget\":" +
             number(p.nsPerBody() / static_cast<double>(kCommitBudgetNs), 4);
    }
    out += "}";
  }
  out += "]}";
  return out;
}

std::string formatJsonBenchTable(const JsonBenchReport& r) {
  std::ostringstream out;
  out << "loyalty-bench: scenario json, one thread, " << r.bodies
      << " distinct CommitRequest bodies"
      << (r.lines > 0 ? " of " + std::to_string(r.lines) + " lines" : std::string())
      << " (mean " << number(r.meanBodyBytes, 0) << " bytes, " << r.minBodyBytes << ".."
      << r.maxBodyBytes << "), " << r.iterations << " timed parses per parser after " << r.warmup
      << " warm-up; one clock pair costs about " << r.timerNs << " ns\n\n";
  char line[256];
  std::snprintf(line, sizeof(line), "%-11s %11s %9s %9s %9s %10s %9s %8s\n", "parser",
                "ns/body", "MB/s", "p50 ns", "p99 ns", "max ns", "failures", "of 200us");
  out << line;
  for (const ParserResult& p : r.parsers) {
    if (!p.available) {
      std::snprintf(line, sizeof(line), "%-11s %s\n", p.name.c_str(),
                    ("unavailable: " + p.note).c_str());
      out << line;
      continue;
    }
    std::snprintf(line, sizeof(line), "%-11s %11.1f %9.1f %9lld %9lld %10lld %9llu %7.2f%%\n",
                  p.name.c_str(), p.nsPerBody(), p.mbPerS(), static_cast<long long>(p.p50Ns),
                  static_cast<long long>(p.p99Ns), static_cast<long long>(p.maxNs),
                  static_cast<unsigned long long>(p.failures),
                  100.0 * p.nsPerBody() / static_cast<double>(kCommitBudgetNs));
    out << line;
  }
  out << "\n";
  for (const ParserResult& p : r.parsers) {
    out << "  " << p.name << ": " << p.what << (p.note.empty() || !p.available ? "" : " (")
        << (p.available ? p.note : "") << (p.note.empty() || !p.available ? "" : ")") << "\n";
  }
  return out.str();
}

}  // namespace loyalty::tools
