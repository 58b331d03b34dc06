// Process tests of loyalty-bench: a short real run (1 s, 2 tills) against the real loyalty-core
// it starts itself from its own folder (the build's bin folder, beside this test), with its
// storage ceiling, and short in-process runs of the scenarios storage and json, checking the JSON
// they print. Needs the targets loyalty-bench and loyalty-core built (a full build does).
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "loyalty-bench/servers.h"
#include "loyalty/protocol/json.h"
#include "support/test_support.h"

namespace loyalty::tools {
namespace {

using ::loyalty::testing::runCommand;

namespace json = protocol::json;

TEST_CASE("loyalty-bench: a short commit run against a real core", "[tools][integration]") {
  const std::string exe = ownExecutableDir() + "/loyalty-bench";
  INFO("needs " << exe << " (build the target loyalty-bench)");
  REQUIRE(::access(exe.c_str(), X_OK) == 0);
  int status = -1;
  const std::string out =
      runCommand("'" + exe + "' --scenario commit --tafeng '" LOYALTY_SHARED_DATA_DIR
                 "/tafeng' --tills 2 --duration 1 --lines 5 --json 2>/dev/null",
                 status);
  INFO("output: " << out);
  REQUIRE(status == 0);
  auto parsed = json::parse(out);
  REQUIRE(parsed.ok());
  const json::Value& v = parsed.value();
  REQUIRE(v.find("requests") != nullptr);
  CHECK(v.find("scenario")->asString() == "commit");
  CHECK(v.find("requests")->asInt() > 10);
  CHECK(v.find("errors")->asInt() == 0);
  CHECK(v.find("starved_connections")->asInt() == 0);
  CHECK(v.find("latency_ms")->find("p99")->asDouble() > 0);
  const json::Value* ceiling = v.find("ceiling");
  REQUIRE(ceiling != nullptr);
  REQUIRE(ceiling->isObject());
  CHECK(ceiling->find("requests")->asInt() > 10);
  CHECK(v.find("ratio_to_ceiling")->asDouble() > 0);
  // The storage ceiling, and the ratio to the lower of the two ceilings.
  const json::Value* storage = ceiling->find("storage");
  REQUIRE(storage != nullptr);
  REQUIRE(storage->isObject());
  CHECK(storage->find("endpoint")->asString() == "SqliteStore::write");
  CHECK(storage->find("requests")->asInt() > 10);
  CHECK(storage->find("errors")->asInt() == 0);
  CHECK(storage->find("transactions")->asInt() >= 1);
  const double health = v.find("ratio_to_health_ceiling")->asDouble();
  const double toStorage = v.find("ratio_to_storage_ceiling")->asDouble();
  CHECK(v.find("ratio_to_ceiling")->asDouble() ==
        Approx(std::max(health, toStorage)).margin(0.001));
  CHECK(ceiling->find("lower")->asString() == (toStorage > health ? "storage" : "health"));
}

TEST_CASE("loyalty-bench: scenario storage runs in-process", "[tools][integration][sqlite]") {
  const std::string exe = ownExecutableDir() + "/loyalty-bench";
  REQUIRE(::access(exe.c_str(), X_OK) == 0);
  int status = -1;
  const std::string out =
      runCommand("'" + exe + "' --scenario storage --tafeng '" LOYALTY_SHARED_DATA_DIR
                 "/tafeng' --tills 2 --duration 0.5 --json 2>/dev/null",
                 status);
  INFO("output: " << out);
  REQUIRE(status == 0);
  auto parsed = json::parse(out);
  REQUIRE(parsed.ok());
  const json::Value& v = parsed.value();
  CHECK(v.find("scenario")->asString() == "storage");
  CHECK(v.find("endpoint")->asString() == "SqliteStore::write");
  CHECK(v.find("target")->asString() == "sqlite");
  CHECK(v.find("requests")->asInt() > 0);
  CHECK(v.find("errors")->asInt() == 0);
  CHECK(v.find("transactions")->asInt() >= 1);
  CHECK(v.find("ceiling")->isNull());
}

TEST_CASE("loyalty-bench: scenario json compares the parsers", "[tools][integration]") {
  const std::string exe = ownExecutableDir() + "/loyalty-bench";
  REQUIRE(::access(exe.c_str(), X_OK) == 0);
  int status = -1;
  const std::string out =
      runCommand("'" + exe + "' --scenario json --tafeng '" LOYALTY_SHARED_DATA_DIR
                 "/tafeng' --iterations 30 --json 2>/dev/null",
                 status);
  INFO("output: " << out);
  REQUIRE(status == 0);
  auto parsed = json::parse(out);
  REQUIRE(parsed.ok());
  const json::Value& v = parsed.value();
  CHECK(v.find("scenario")->asString() == "json");
  CHECK(v.find("lines")->asInt() == 30);
  CHECK(v.find("iterations")->asInt() == 30);
  CHECK(v.find("warmup")->asInt() == 3);
  CHECK(v.find("body_bytes_mean")->asDouble() > 1000);
  const json::Value* parsers = v.find("parsers");
  REQUIRE(parsers != nullptr);
  REQUIRE(parsers->items().size() == 5);
  for (const json::Value& p : parsers->items()) {
    INFO("parser " << p.find("name")->asString());
    if (!p.find("available")->asBool()) {
      continue;
    }
    CHECK(p.find("parses")->asInt() == 30);
    CHECK(p.find("failures")->asInt() == 0);
    CHECK(p.find("ns_per_body")->asDouble() > 0);
    CHECK(p.find("mb_per_s")->asDouble() > 0);
    CHECK(p.find("p99_ns")->asInt() >= p.find("p50_ns")->asInt());
  }
  CHECK(parsers->items()[0].find("name")->asString() == "codec");
  CHECK(parsers->items()[0].find("available")->asBool());
}

TEST_CASE("loyalty-bench: a bad option exits 2", "[tools]") {
  const std::string exe = ownExecutableDir() + "/loyalty-bench";
  REQUIRE(::access(exe.c_str(), X_OK) == 0);
  int status = -1;
  (void)runCommand("'" + exe + "' --scenario json --tafeng x --core 127.0.0.1:1 2>/dev/null",
                   status);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
}

}  // namespace
}  // namespace loyalty::tools
