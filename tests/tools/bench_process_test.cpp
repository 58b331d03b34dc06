// Process test of loyalty-bench: a short real run (1 s, 2 tills) against the real loyalty-core
// it starts itself from its own folder (the build's bin folder, beside this test), checking the
// JSON it prints. Needs the targets loyalty-bench and loyalty-core built (a full build does).
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <unistd.h>

#include "loyalty-bench/servers.h"
#include "loyalty/protocol/json.h"

namespace loyalty::tools {
namespace {

namespace json = protocol::json;

// Runs the command and returns what it printed on stdout, and its exit status.
std::string runCommand(const std::string& command, int& status) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    out.append(buffer, n);
  }
  status = ::pclose(pipe);
  return out;
}

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
}

}  // namespace
}  // namespace loyalty::tools
