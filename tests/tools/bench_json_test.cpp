// Tests of loyalty-bench's JSON parser comparison (tools/loyalty-bench/json_bench.h): a short run
// over real workload bodies (a small in-memory TaFeng set), the refusals, and the shape of its
// JSON and table output.
#include "loyalty-bench/json_bench.h"

#include <catch2/catch.hpp>

#include <numeric>
#include <string>
#include <vector>

#include "loyalty-bench/workload.h"
#include "loyalty/protocol/json.h"

namespace loyalty::tools {
namespace {

namespace json = protocol::json;

// Eight shoppers with two baskets each over items 100..139.
TaFengData smallData() {
  TaFengData data;
  for (int64_t u = 0; u < 8; ++u) {
    Shopper s;
    s.userId = 1000 + u;
    s.baskets.push_back({100 + u, 110 + u, 120 + u});
    s.baskets.push_back({130 + u, 101 + u});
    data.shoppers.push_back(s);
  }
  return data;
}

std::vector<std::string> commitBodies(const Workload& w) {
  std::vector<std::string> bodies;
  for (int64_t k = 0; k < static_cast<int64_t>(w.poolSize()); ++k) {
    bodies.push_back(w.commit(0, k, 1).body);
  }
  return bodies;
}

const json::Value& field(const json::Value& v, const char* name) {
  const json::Value* f = v.find(name);
  INFO("field " << name);
  REQUIRE(f != nullptr);
  return *f;
}

TEST_CASE("JsonBench: every available parser parses every body", "[tools]") {
  const Workload w(smallData(), 30, 7, "jsontest", "2024-03-01");
  const std::vector<std::string> bodies = commitBodies(w);
  REQUIRE(bodies.size() == 8);
  constexpr uint64_t kIterations = 20;  // 2.5 rounds over the 8 bodies
  auto report = runJsonBench(bodies, 30, kIterations, 3);
  REQUIRE(report.ok());
  CHECK(report->lines == 30);
  CHECK(report->bodies == 8);
  CHECK(report->iterations == kIterations);
  CHECK(report->warmup == 3);
  CHECK(report->minBodyBytes <= report->maxBodyBytes);
  CHECK(report->meanBodyBytes >= static_cast<double>(report->minBodyBytes));
  CHECK(report->meanBodyBytes <= static_cast<double>(report->maxBodyBytes));
  CHECK(report->timerNs >= 0);

  uint64_t expectedBytes = 0;
  for (uint64_t i = 0; i < kIterations; ++i) {
    expectedBytes += bodies[i % bodies.size()].size();
  }
  std::vector<std::string> names;
  for (const ParserResult& p : report->parsers) {
    names.push_back(p.name);
    INFO("parser " << p.name << ": " << p.note);
    CHECK_FALSE(p.what.empty());
    if (!p.available) {
      // Only the optional Debian packages may be missing, and then the report says which.
      CHECK((p.name == "rapidjson" || p.name == "simdjson"));
      CHECK(p.note.find("not found") != std::string::npos);
      CHECK(p.parses == 0);
      continue;
    }
    CHECK(p.parses == kIterations);
    CHECK(p.failures == 0);
    CHECK(p.bytes == expectedBytes);
    CHECK(p.totalNs > 0);
    CHECK(p.nsPerBody() > 0);
    CHECK(p.mbPerS() > 0);
    CHECK(p.p50Ns <= p.p99Ns);
    CHECK(p.p99Ns <= p.maxNs);
  }
  CHECK(names == std::vector<std::string>{"codec", "json_parse", "poco", "rapidjson",
                                          "simdjson"});
  // The project's two parsers and Poco are always there.
  for (size_t i = 0; i < 3; ++i) {
    CHECK(report->parsers[i].available);
  }
}

TEST_CASE("JsonBench: bodies that are not commit requests are refused", "[tools]") {
  auto none = runJsonBench({}, 30, 10, 1);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code == base::ErrorCode::kInvalidValue);

  auto wrong = runJsonBench({"{\"card\":\"x\"}"}, 30, 10, 1);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code == base::ErrorCode::kInvalidValue);
  CHECK(wrong.error().message.find("body 0") != std::string::npos);
}

TEST_CASE("JsonBench: the warm-up is a tenth of the timed parses, within bounds", "[tools]") {
  CHECK(jsonWarmupFor(1) == 1);
  CHECK(jsonWarmupFor(50) == 5);
  CHECK(jsonWarmupFor(20000) == 2000);
  CHECK(jsonWarmupFor(100000000) == 100000);
}

TEST_CASE("JsonBench: the JSON and table outputs have the documented shape", "[tools]") {
  JsonBenchReport r;
  r.lines = 30;
  r.bodies = 4096;
  r.meanBodyBytes = 2000;
  r.minBodyBytes = 1900;
  r.maxBodyBytes = 2100;
  r.iterations = 1000;
  r.warmup = 100;
  r.timerNs = 25;
  ParserResult codec;
  codec.name = "codec";
  codec.what = "decodeCommitRequest";
  codec.parses = 1000;
  codec.totalNs = 20000000;  // 20 us per body
  codec.bytes = 2000000;     // 2 MB in 20 ms = 100 MB/s
  codec.p50Ns = 19000;
  codec.p99Ns = 30000;
  codec.maxNs = 90000;
  ParserResult missing;
  missing.name = "simdjson";
  missing.what = "simdjson::dom::parser";
  missing.available = false;
  missing.note = "not found at configure time (Debian package libsimdjson-dev)";
  r.parsers = {codec, missing};

  auto parsed = json::parse(formatJsonBenchJson(r));
  REQUIRE(parsed.ok());
  const json::Value& v = parsed.value();
  CHECK(field(v, "scenario").asString() == "json");
  CHECK(field(v, "lines").asInt() == 30);
  CHECK(field(v, "bodies").asInt() == 4096);
  CHECK(field(v, "body_bytes_mean").asDouble() == Approx(2000));
  CHECK(field(v, "iterations").asInt() == 1000);
  CHECK(field(v, "warmup").asInt() == 100);
  CHECK(field(v, "threads").asInt() == 1);
  CHECK(field(v, "timer_ns").asInt() == 25);
  CHECK(field(v, "commit_budget_us").asInt() == 200);
  const json::Value& parsers = field(v, "parsers");
  REQUIRE(parsers.isArray());
  REQUIRE(parsers.items().size() == 2);
  const json::Value& c = parsers.items()[0];
  CHECK(field(c, "name").asString() == "codec");
  CHECK(field(c, "available").asBool());
  CHECK(field(c, "parses").asInt() == 1000);
  CHECK(field(c, "failures").asInt() == 0);
  CHECK(field(c, "ns_per_body").asDouble() == Approx(20000));
  CHECK(field(c, "mb_per_s").asDouble() == Approx(100));
  CHECK(field(c, "p50_ns").asInt() == 19000);
  CHECK(field(c, "p99_ns").asInt() == 30000);
  CHECK(field(c, "max_ns").asInt() == 90000);
  CHECK(field(c, "share_of_commit_budget").asDouble() == Approx(0.1));
  const json::Value& m = parsers.items()[1];
  CHECK_FALSE(field(m, "available").asBool());
  CHECK(field(m, "note").asString().find("libsimdjson-dev") != std::string::npos);
  CHECK(m.find("ns_per_body") == nullptr);

  const std::string table = formatJsonBenchTable(r);
  CHECK(table.find("codec") != std::string::npos);
  CHECK(table.find("20000.0") != std::string::npos);
  CHECK(table.find("10.00%") != std::string::npos);
  CHECK(table.find("simdjson    unavailable: not found") != std::string::npos);
}

}  // namespace
}  // namespace loyalty::tools
