// Tests of loyalty-bench's results and their JSON and text forms
// (tools/loyalty-bench/bench_report.h).
#include "loyalty-bench/bench_report.h"

#include <catch2/catch.hpp>

#include "loyalty/protocol/json.h"

namespace loyalty::tools {
namespace {

namespace json = protocol::json;

PhaseResult phase(const std::string& label, int64_t answered, double wallS, int64_t latencyUs) {
  PhaseResult p;
  p.label = label;
  p.wallS = wallS;
  for (int64_t i = 0; i < answered; ++i) {
    p.latency.add(latencyUs);
    p.ops["commit"].add(latencyUs);
  }
  p.answered = static_cast<uint64_t>(answered);
  return p;
}

const json::Value& field(const json::Value& v, const char* name) {
  const json::Value* f = v.find(name);
  INFO("field " << name);
  REQUIRE(f != nullptr);
  return *f;
}

TEST_CASE("BenchReport: the JSON output has the documented shape", "[tools]") {
  BenchReport r;
  r.scenario = "commit";
  r.tills = 64;
  r.durationS = 10;
  r.lines = 30;
  r.connection = "keep-alive";
  r.target = "core";
  r.main = phase("POST /v1/commit", 1000, 2.0, 1500);  // 500/s, 1.5 ms
  r.main.errors = 3;
  r.main.starvedConnections = 2;
  r.ceiling = phase("GET /v1/health", 2000, 2.0, 250);  // 1000/s

  auto parsed = json::parse(formatReportJson(r));
  REQUIRE(parsed.ok());
  const json::Value& v = parsed.value();
  CHECK(field(v, "scenario").asString() == "commit");
  CHECK(field(v, "throughput_per_s").asDouble() == Approx(500.0));
  CHECK(field(v, "errors").asInt() == 3);
  CHECK(field(v, "starved_connections").asInt() == 2);
  CHECK(field(v, "tills_starved").asInt() == 0);
  CHECK(field(v, "tills_never_answered").asInt() == 0);
  const json::Value& latency = field(v, "latency_ms");
  for (const char* p : {"p50", "p90", "p99", "p999", "max"}) {
    CHECK(field(latency, p).asDouble() == Approx(1.5));
  }
  const json::Value& ceiling = field(v, "ceiling");
  REQUIRE(ceiling.isObject());
  CHECK(field(ceiling, "endpoint").asString() == "GET /v1/health");
  CHECK(field(ceiling, "throughput_per_s").asDouble() == Approx(1000.0));
  CHECK(field(field(ceiling, "latency_ms"), "p99").asDouble() == Approx(0.25));
  CHECK(field(v, "ratio_to_ceiling").asDouble() == Approx(0.5));
  CHECK(field(field(field(v, "ops"), "commit"), "count").asInt() == 1000);
  CHECK(v.find("direct") == nullptr);
}

TEST_CASE("BenchReport: the ratio uses the lower of the health and storage ceilings",
          "[tools]") {
  BenchReport r;
  r.scenario = "commit";
  r.tills = 4;
  r.connection = "keep-alive";
  r.target = "core";
  r.main = phase("POST /v1/commit", 1000, 2.0, 1500);      // 500/s
  r.ceiling = phase("GET /v1/health", 8000, 2.0, 250);     // 4000/s
  r.storageCeiling = phase("SqliteStore::write", 2000, 2.0, 900);  // 1000/s
  r.storageCeiling->transactions = 400;                    // 5 writes per transaction

  CHECK(r.lowerCeiling() == "storage");
  REQUIRE(r.ratioToCeiling().has_value());
  CHECK(*r.ratioToCeiling() == Approx(0.5));
  CHECK(*r.ratioToHealthCeiling() == Approx(0.125));
  CHECK(*r.ratioToStorageCeiling() == Approx(0.5));

  auto parsed = json::parse(formatReportJson(r));
  REQUIRE(parsed.ok());
  const json::Value& v = parsed.value();
  // The health ceiling keeps its fields where they were; the storage one is inside it.
  const json::Value& ceiling = field(v, "ceiling");
  CHECK(field(ceiling, "endpoint").asString() == "GET /v1/health");
  CHECK(field(ceiling, "throughput_per_s").asDouble() == Approx(4000.0));
  CHECK(field(ceiling, "lower").asString() == "storage");
  const json::Value& storage = field(ceiling, "storage");
  REQUIRE(storage.isObject());
  CHECK(field(storage, "endpoint").asString() == "SqliteStore::write");
  CHECK(field(storage, "throughput_per_s").asDouble() == Approx(1000.0));
  CHECK(field(storage, "transactions").asInt() == 400);
  CHECK(field(storage, "writes_per_transaction").asDouble() == Approx(5.0));
  CHECK(field(field(storage, "latency_ms"), "p50").asDouble() == Approx(0.9));
  CHECK(field(v, "ratio_to_ceiling").asDouble() == Approx(0.5));
  CHECK(field(v, "ratio_to_health_ceiling").asDouble() == Approx(0.125));
  CHECK(field(v, "ratio_to_storage_ceiling").asDouble() == Approx(0.5));
  CHECK(v.find("transactions") == nullptr);  // only storage phases have transactions

  const std::string table = formatReportTable(r);
  CHECK(table.find("ceiling SqliteStore::write") != std::string::npos);
  CHECK(table.find("ratio to ceiling: 0.500 (to the lower one, storage") != std::string::npos);
  CHECK(table.find("5.0 writes per transaction") != std::string::npos);

  // A storage ceiling above the health one: the health one is the lower.
  r.storageCeiling = phase("SqliteStore::write", 20000, 2.0, 900);  // 10000/s
  CHECK(r.lowerCeiling() == "health");
  CHECK(*r.ratioToCeiling() == Approx(0.125));
  auto again = json::parse(formatReportJson(r));
  REQUIRE(again.ok());
  CHECK(field(field(again.value(), "ceiling"), "lower").asString() == "health");
  CHECK(field(again.value(), "ratio_to_ceiling").asDouble() == Approx(0.125));
}

TEST_CASE("BenchReport: without a storage ceiling the health one is used alone", "[tools]") {
  BenchReport r;
  r.scenario = "identify";
  r.main = phase("POST /v1/identify", 100, 1.0, 100);
  r.ceiling = phase("GET /v1/health", 400, 1.0, 100);
  CHECK(r.lowerCeiling() == "health");
  auto parsed = json::parse(formatReportJson(r));
  REQUIRE(parsed.ok());
  const json::Value& v = parsed.value();
  CHECK(field(field(v, "ceiling"), "storage").isNull());
  CHECK(field(v, "ratio_to_ceiling").asDouble() == Approx(0.25));
  CHECK(v.find("ratio_to_storage_ceiling") == nullptr);
}

TEST_CASE("BenchReport: CPU per request is reported only when measured", "[tools]") {
  BenchReport r;
  r.scenario = "commit";
  r.main = phase("POST /v1/commit", 100, 1.0, 100);
  auto before = json::parse(formatReportJson(r));
  REQUIRE(before.ok());
  CHECK(before.value().find("cpu_us_per_request") == nullptr);
  CHECK(formatReportTable(r).find("CPU per answered request") == std::string::npos);

  r.coreCpuUsPerRequest = 123.45;
  r.benchCpuUsPerRequest = 67.8;
  auto after = json::parse(formatReportJson(r));
  REQUIRE(after.ok());
  const json::Value& cpu = field(after.value(), "cpu_us_per_request");
  CHECK(field(cpu, "core").asDouble() == Approx(123.5));
  CHECK(field(cpu, "load_generator").asDouble() == Approx(67.8));
  const std::string line = "CPU per answered request: core 123.5 us, loyalty-bench 67.8 us";
  CHECK(formatReportTable(r).find(line) != std::string::npos);
}

TEST_CASE("BenchReport: without a ceiling the ratio is null", "[tools]") {
  BenchReport r;
  r.scenario = "identify";
  r.main = phase("POST /v1/identify", 0, 1.0, 0);
  auto parsed = json::parse(formatReportJson(r));
  REQUIRE(parsed.ok());
  CHECK(field(parsed.value(), "ceiling").isNull());
  CHECK(field(parsed.value(), "ratio_to_ceiling").isNull());
  CHECK(field(parsed.value(), "throughput_per_s").asDouble() == 0.0);
}

TEST_CASE("BenchReport: the agent scenario reports the direct flow and the added p99",
          "[tools]") {
  BenchReport r;
  r.scenario = "agent";
  r.main = phase("agent flow", 100, 1.0, 3000);
  r.direct = phase("same flow to the core", 100, 1.0, 2000);
  auto parsed = json::parse(formatReportJson(r));
  REQUIRE(parsed.ok());
  CHECK(field(field(parsed.value(), "direct"), "requests").asInt() == 100);
  CHECK(field(parsed.value(), "agent_added_p99_ms").asDouble() == Approx(1.0));
  const std::string table = formatReportTable(r);
  CHECK(table.find("direct to core") != std::string::npos);
  CHECK(table.find("agent flow") != std::string::npos);
}

TEST_CASE("PhaseResult: merge adds counters and keeps the first error samples", "[tools]") {
  PhaseResult a = phase("x", 10, 1.0, 100);
  PhaseResult b = phase("x", 30, 2.0, 300);
  a.errorSamples = {"e1", "e2", "e3"};
  b.errorSamples = {"e4", "e5", "e6"};
  b.starvedConnections = 4;
  a.merge(b);
  CHECK(a.answered == 40);
  CHECK(a.latency.count() == 40);
  CHECK(a.wallS == 2.0);
  CHECK(a.starvedConnections == 4);
  CHECK(a.errorSamples.size() == 5);
  CHECK(a.latency.percentile(50) == 300);
  CHECK(a.throughputPerS() == Approx(20.0));
}

}  // namespace
}  // namespace loyalty::tools
