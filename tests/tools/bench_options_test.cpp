// Tests of loyalty-bench's command line (tools/loyalty-bench/bench_options.h).
#include "loyalty-bench/bench_options.h"

#include <catch2/catch.hpp>

namespace loyalty::tools {
namespace {

base::Result<BenchOptions> parse(std::vector<std::string> args) {
  return parseBenchOptions(args);
}

TEST_CASE("BenchOptions: defaults and both value forms", "[tools]") {
  auto o = parse({"--scenario", "commit", "--tafeng=data"});
  REQUIRE(o.ok());
  CHECK(o->scenario == Scenario::kCommit);
  CHECK(o->tafengDir == "data");
  CHECK(o->tills == 64);
  CHECK(o->durationS == 10);
  CHECK(o->rate == 0);
  CHECK(o->lines == 30);
  CHECK(o->timeoutMs == 2000);
  CHECK(o->coreThreads == 0);
  CHECK(o->ceiling);
  CHECK(o->storageCeiling);
  CHECK(o->storageDir.empty());
  CHECK(o->iterations == 20000);
  CHECK_FALSE(o->json);
  CHECK_FALSE(o->core.has_value());

  auto all = parse({"--scenario=agent", "--tafeng", "d", "--duration", "1.5", "--tills", "8",
                    "--rate=2000", "--lines", "0", "--timeout-ms", "500", "--core-threads", "128",
                    "--agents", "2", "--json", "--no-ceiling", "--seed", "7", "--core",
                    "127.0.0.1:8440", "--agent-endpoints", "127.0.0.1:1,127.0.0.1:2"});
  REQUIRE(all.ok());
  CHECK(all->scenario == Scenario::kAgent);
  CHECK(all->durationS == 1.5);
  CHECK(all->tills == 8);
  CHECK(all->rate == 2000);
  CHECK(all->lines == 0);
  CHECK(all->timeoutMs == 500);
  CHECK(all->coreThreads == 128);
  CHECK(all->agents == 2);
  CHECK(all->json);
  CHECK_FALSE(all->ceiling);
  CHECK(all->seed == 7);
  REQUIRE(all->core.has_value());
  CHECK(all->core->port == 8440);
  CHECK(all->agentEndpoints.size() == 2);
}

TEST_CASE("BenchOptions: every scenario name round-trips", "[tools]") {
  for (const char* name :
       {"commit", "identify", "price", "agent", "reconnect", "storage", "json"}) {
    auto o = parse({"--scenario", name, "--tafeng", "d"});
    REQUIRE(o.ok());
    CHECK(scenarioName(o->scenario) == name);
  }
  CHECK_FALSE(scenarioFromName("tls").has_value());
}

TEST_CASE("BenchOptions: the storage ceiling and the JSON comparison options", "[tools]") {
  auto commit = parse({"--scenario", "commit", "--tafeng", "d", "--no-storage-ceiling",
                       "--storage-dir=/var/tmp"});
  REQUIRE(commit.ok());
  CHECK_FALSE(commit->storageCeiling);
  CHECK(commit->ceiling);
  CHECK(commit->storageDir == "/var/tmp");

  auto storage = parse({"--scenario", "storage", "--tafeng", "d", "--tills", "16",
                        "--duration", "2", "--storage-dir", "db"});
  REQUIRE(storage.ok());
  CHECK(storage->scenario == Scenario::kStorage);
  CHECK(storage->tills == 16);
  CHECK(storage->storageDir == "db");

  auto json = parse({"--scenario", "json", "--tafeng", "d", "--iterations", "500", "--lines",
                     "50", "--json"});
  REQUIRE(json.ok());
  CHECK(json->scenario == Scenario::kJson);
  CHECK(json->iterations == 500);
  CHECK(json->lines == 50);
  CHECK(json->json);

  const std::string usage = benchUsage();
  for (const char* word : {"storage", "json", "--iterations", "--storage-dir",
                           "--no-storage-ceiling", "LOWER of the ceilings"}) {
    INFO(word);
    CHECK(usage.find(word) != std::string::npos);
  }
}

TEST_CASE("BenchOptions: help needs nothing else", "[tools]") {
  auto o = parse({"--help"});
  REQUIRE(o.ok());
  CHECK(o->help);
  CHECK(benchUsage().find("--scenario") != std::string::npos);
}

TEST_CASE("BenchOptions: bad command lines are refused with a message", "[tools]") {
  struct Case {
    std::vector<std::string> args;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      {{"--tafeng", "d"}, "--scenario"},
      {{"--scenario", "commit"}, "--tafeng"},
      {{"--scenario", "nope", "--tafeng", "d"}, "unknown scenario"},
      {{"--scenario", "commit", "--tafeng", "d", "--tills", "0"}, "--tills"},
      {{"--scenario", "commit", "--tafeng", "d", "--tills", "1025"}, "--tills"},
      {{"--scenario", "commit", "--tafeng", "d", "--tills", "-3"}, "--tills"},
      {{"--scenario", "commit", "--tafeng", "d", "--duration", "0"}, "--duration"},
      {{"--scenario", "commit", "--tafeng", "d", "--duration", "abc"}, "--duration"},
      {{"--scenario", "commit", "--tafeng", "d", "--rate", "-1"}, "--rate"},
      {{"--scenario", "commit", "--tafeng", "d", "--rate", "nan"}, "--rate"},
      {{"--scenario", "commit", "--tafeng", "d", "--lines", "201"}, "--lines"},
      {{"--scenario", "commit", "--tafeng", "d", "--core", "nohost"}, "--core"},
      {{"--scenario", "commit", "--tafeng", "d", "--tsl"}, "unknown option"},
      {{"--scenario", "commit", "--tafeng", "d", "--tls", "--core", "127.0.0.1:1"}, "--tls"},
      {{"--scenario", "commit", "--tafeng", "d", "--queued", "10"}, "--queued"},
      {{"--scenario", "drain", "--tafeng", "d", "--queued", "0"}, "--queued"},
      {{"--scenario", "tills", "--tafeng", "d", "--tills", "50001"}, "--tills"},
      {{"--scenario", "commit", "--tafeng", "d", "--json=yes"}, "takes no value"},
      {{"--scenario", "commit", "--tafeng", "d", "--tills"}, "needs a value"},
      {{"--scenario", "agent", "--tafeng", "d", "--tills", "2", "--agents", "3"}, "--agents"},
      {{"--scenario", "commit", "--tafeng", "d", "--core", "127.0.0.1:1", "--agent-endpoints",
        "127.0.0.1:2"},
       "scenario agent"},
      {{"--scenario", "agent", "--tafeng", "d", "--agent-endpoints", "127.0.0.1:2"}, "--core"},
      {{"--scenario", "commit", "--tafeng", "d", "--iterations", "10"}, "scenario json only"},
      {{"--scenario", "json", "--tafeng", "d", "--iterations", "0"}, "--iterations"},
      {{"--scenario", "json", "--tafeng", "d", "--iterations", "100000001"}, "--iterations"},
      {{"--scenario", "json", "--tafeng", "d", "--core", "127.0.0.1:1"}, "in-process"},
      {{"--scenario", "storage", "--tafeng", "d", "--core", "127.0.0.1:1"}, "in-process"},
      {{"--scenario", "storage", "--tafeng", "d", "--rate", "100"}, "closed loop only"},
      {{"--scenario", "identify", "--tafeng", "d", "--storage-dir", "x"}, "--storage-dir"},
      {{"--scenario", "commit", "--tafeng", "d", "--storage-dir="}, "--storage-dir"},
      {{"--scenario", "commit", "--tafeng", "d", "--no-storage-ceiling=1"}, "takes no value"},
  };
  for (const auto& c : cases) {
    auto o = parse(c.args);
    INFO("expecting a refusal mentioning " << c.mentions);
    REQUIRE_FALSE(o.ok());
    CHECK(o.error().code == base::ErrorCode::kInvalidValue);
    CHECK(o.error().message.find(c.mentions) != std::string::npos);
  }
}

}  // namespace
}  // namespace loyalty::tools
