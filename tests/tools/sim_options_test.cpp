// Tests of loyalty-sim's command line (tools/loyalty-sim/sim_options.h).
#include "loyalty-sim/sim_options.h"

#include <catch2/catch.hpp>

namespace loyalty::tools {
namespace {

// 2024-02-29 23:59:58 UTC.
constexpr int64_t kNowMs = 1'709'251'198'000;

using Args = std::vector<std::string>;

TEST_CASE("SimOptions: defaults", "[tools]") {
  auto o = parseSimOptions({"--tafeng", "data", "--agents", "127.0.0.1:9001"}, kNowMs);
  REQUIRE(o.ok());
  CHECK_FALSE(o->help);
  CHECK(o->tafengDir == "data");
  REQUIRE(o->agents.size() == 1);
  CHECK(o->agents[0] == Endpoint{"127.0.0.1", 9001});
  CHECK(o->lanes == 4);
  CHECK(o->store == "S001");
  CHECK(o->shoppers == 500);
  CHECK(o->seed == 42);
  CHECK(o->visitsPerShopper == 2);
  CHECK(o->pace == 0);
  CHECK(o->businessDate == "2024-02-29");  // today, UTC
  CHECK(o->runId == "235958");             // now, UTC, as HHMMSS
  CHECK(o->writeCatalogue.empty());
  CHECK_FALSE(o->json);
  CHECK(o->drainTimeoutS == 60);
  CHECK(o->timeoutMs == 2000);
}

TEST_CASE("SimOptions: every option, in both spellings", "[tools]") {
  auto o = parseSimOptions({"--tafeng=d",
                            "--agents",
                            "a:1,b:2",
                            "--lanes=8",
                            "--store",
                            "S-77",
                            "--shoppers",
                            "20",
                            "--seed=18446744073709551615",
                            "--visits-per-shopper",
                            "3",
                            "--pace",
                            "12.5",
                            "--business-date",
                            "2023-12-31",
                            "--run-id",
                            "night_1",
                            "--json",
                            "--drain-timeout=0",
                            "--timeout-ms",
                            "250"},
                           kNowMs);
  REQUIRE(o.ok());
  CHECK(o->tafengDir == "d");
  REQUIRE(o->agents.size() == 2);
  CHECK(o->agents[1] == Endpoint{"b", 2});
  CHECK(o->lanes == 8);
  CHECK(o->store == "S-77");
  CHECK(o->shoppers == 20);
  CHECK(o->seed == UINT64_MAX);
  CHECK(o->visitsPerShopper == 3);
  CHECK(o->pace == 12.5);
  CHECK(o->businessDate == "2023-12-31");
  CHECK(o->runId == "night_1");
  CHECK(o->json);
  CHECK(o->drainTimeoutS == 0);
  CHECK(o->timeoutMs == 250);
}

TEST_CASE("SimOptions: --write-catalogue needs the data but no agents", "[tools]") {
  auto o = parseSimOptions({"--tafeng", "d", "--write-catalogue", "cat.csv"}, kNowMs);
  REQUIRE(o.ok());
  CHECK(o->writeCatalogue == "cat.csv");
  CHECK(o->agents.empty());

  auto noData = parseSimOptions({"--write-catalogue", "cat.csv"}, kNowMs);
  REQUIRE_FALSE(noData.ok());
  CHECK(noData.error().message.find("--tafeng") != std::string::npos);
}

TEST_CASE("SimOptions: --help wins over everything else", "[tools]") {
  auto o = parseSimOptions({"--help"}, kNowMs);
  REQUIRE(o.ok());
  CHECK(o->help);
  auto withOthers = parseSimOptions({"--lanes", "0", "--help"}, kNowMs);
  REQUIRE(withOthers.ok());
  CHECK(withOthers->help);
  CHECK(simUsage().find("--visits-per-shopper") != std::string::npos);
}

TEST_CASE("SimOptions: bad usage is refused with a message", "[tools]") {
  const Args base = {"--tafeng", "d", "--agents", "h:1"};
  struct Case {
    Args extra;
    const char* mentions;
  };
  const Case cases[] = {
      {{"--lanes", "0"}, "--lanes"},
      {{"--lanes", "257"}, "--lanes"},
      {{"--lanes", "two"}, "--lanes"},
      {{"--shoppers", "0"}, "--shoppers"},
      {{"--visits-per-shopper", "0"}, "--visits-per-shopper"},
      {{"--pace", "-1"}, "--pace"},
      {{"--pace", "fast"}, "--pace"},
      {{"--seed", "18446744073709551616"}, "--seed"},
      {{"--business-date", "2023-02-29"}, "--business-date"},
      {{"--business-date", "today"}, "--business-date"},
      {{"--run-id", "a-run-id-too-long-x"}, "--run-id"},
      {{"--run-id", "bad id"}, "--run-id"},
      {{"--store", ""}, "--store"},
      {{"--store", "S/1"}, "--store"},
      {{"--timeout-ms", "0"}, "--timeout-ms"},
      {{"--drain-timeout", "-5"}, "--drain-timeout"},
      {{"--lanes"}, "--lanes"},
      {{"--frobnicate"}, "--frobnicate"},
      {{"stray"}, "stray"},
      {{"--json=yes"}, "--json"},
      {{"--lanes", "2", "--lanes", "3"}, "twice"},
  };
  for (const Case& c : cases) {
    Args args = base;
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    std::string joined;
    for (const auto& a : c.extra) {
      joined += a + " ";
    }
    INFO(joined);
    auto o = parseSimOptions(args, kNowMs);
    REQUIRE_FALSE(o.ok());
    CHECK(o.error().code == base::ErrorCode::kInvalidValue);
    CHECK(o.error().message.find(c.mentions) != std::string::npos);
  }

  auto noAgents = parseSimOptions({"--tafeng", "d"}, kNowMs);
  REQUIRE_FALSE(noAgents.ok());
  CHECK(noAgents.error().message.find("--agents") != std::string::npos);
  auto badAgents = parseSimOptions({"--tafeng", "d", "--agents", "h:1,h"}, kNowMs);
  REQUIRE_FALSE(badAgents.ok());
  CHECK(badAgents.error().message.find("--agents") != std::string::npos);
}

TEST_CASE("SimOptions: the longest run id still gives a transaction number within 32", "[tools]") {
  const std::string runId(kMaxRunIdLength, 'x');
  auto o = parseSimOptions({"--tafeng", "d", "--agents", "h:1", "--run-id", runId}, kNowMs);
  REQUIRE(o.ok());
  // "<run-id>-<lane, up to 3 digits>-<seq, up to 10 digits>"
  CHECK(runId.size() + 1 + 3 + 1 + 10 <= 32);
  CHECK(isIdentifier(runId, kMaxRunIdLength));
  CHECK_FALSE(isIdentifier(runId + "x", kMaxRunIdLength));
}

}  // namespace
}  // namespace loyalty::tools
