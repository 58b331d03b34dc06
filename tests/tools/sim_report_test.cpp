// Tests of loyalty-sim's summary (tools/loyalty-sim/sim_report.h): the JSON form is what scripts
// read, so its keys and values are checked by parsing it back.
#include "loyalty-sim/sim_report.h"

#include <catch2/catch.hpp>

#include "loyalty/protocol/json.h"

namespace loyalty::tools {
namespace {

using protocol::json::Value;

DaySummary sampleDay() {
  DaySummary s;
  s.shoppers = 3;
  s.visits = 6;
  s.committed = 4;
  s.queued = 1;
  s.pointsAwarded = base::Points(57);
  s.errors = {{"unavailable", 1}};
  s.errorsByCall = {{"commit", {{"unavailable", 1}}}};
  s.identify = {6, 1200, 3400, 3400};
  s.price = {6, 2000, 5000, 5001};
  s.commit = {6, 2500, 9000, 12345};
  s.wallS = 1.5;
  s.visitsPerS = 4.0;
  return s;
}

DrainResult sampleDrain() {
  DrainResult d;
  d.drained = false;
  d.pending = 2;
  AgentDrainState a;
  a.endpoint = {"127.0.0.1", 9001};
  a.reachable = true;
  a.pending = 2;
  a.delivered = 7;
  AgentDrainState core;
  core.endpoint = {"127.0.0.1", 8440};
  core.isAgent = false;
  core.reachable = true;
  d.agents = {a, core};
  return d;
}

const Value& member(const Value& v, const char* key) {
  const Value* m = v.find(key);
  INFO(key);
  REQUIRE(m != nullptr);
  return *m;
}

TEST_CASE("SimReport: the JSON summary has the documented keys and values", "[tools]") {
  const std::string text = formatSummaryJson(sampleDay(), sampleDrain());
  auto parsed = protocol::json::parse(text);
  REQUIRE(parsed.ok());
  const Value& j = parsed.value();
  CHECK(member(j, "shoppers").asInt() == 3);
  CHECK(member(j, "visits").asInt() == 6);
  CHECK(member(j, "committed").asInt() == 4);
  CHECK(member(j, "queued").asInt() == 1);
  CHECK(member(j, "points_awarded").asInt() == 57);
  CHECK(member(member(j, "errors"), "unavailable").asInt() == 1);
  const Value& latency = member(j, "latency_ms");
  CHECK(member(member(latency, "identify"), "p50").asDouble() == Approx(1.2));
  CHECK(member(member(latency, "price"), "max").asDouble() == Approx(5.001));
  CHECK(member(member(latency, "commit"), "p99").asDouble() == Approx(9.0));
  CHECK(member(j, "wall_s").asDouble() == Approx(1.5));
  CHECK(member(j, "visits_per_s").asDouble() == Approx(4.0));
  CHECK(member(j, "drained").asBool() == false);
  CHECK(member(j, "outbox_pending").asInt() == 2);
  const Value& agents = member(j, "agents");
  REQUIRE(agents.items().size() == 2);
  CHECK(member(agents.items()[0], "agent").asString() == "127.0.0.1:9001");
  CHECK(member(agents.items()[0], "delivered").asInt() == 7);
  CHECK(member(agents.items()[1], "is_agent").asBool() == false);
  // The top-level keys come in the documented order.
  std::vector<std::string> keys;
  for (const auto& m : j.members()) {
    keys.push_back(m.first);
  }
  CHECK(keys == std::vector<std::string>{"shoppers", "visits", "committed", "queued",
                                         "points_awarded", "errors", "latency_ms", "wall_s",
                                         "visits_per_s", "drained", "outbox_pending", "agents"});
}

TEST_CASE("SimReport: an empty error set is an empty object", "[tools]") {
  DaySummary s = sampleDay();
  s.errors.clear();
  s.errorsByCall.clear();
  DrainResult d;
  d.drained = true;
  const std::string text = formatSummaryJson(s, d);
  CHECK(text.find("\"errors\":{}") != std::string::npos);
  CHECK(text.find("\"drained\":true") != std::string::npos);
  CHECK(formatSummaryTable(s, d).find("errors\nnone\n") != std::string::npos);
}

TEST_CASE("SimReport: the table shows counts, latencies, errors and outboxes", "[tools]") {
  const std::string t = formatSummaryTable(sampleDay(), sampleDrain());
  for (const char* want : {"shoppers", "sales committed", "sales queued (provisional receipts)",
                           "points awarded", "visits/s", "12.345", "unavailable",
                           "NOT drained, 2 pending", "127.0.0.1:9001", "not an agent"}) {
    INFO(want);
    CHECK(t.find(want) != std::string::npos);
  }
}

}  // namespace
}  // namespace loyalty::tools
