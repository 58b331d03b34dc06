// Process test of loyalty-bench --tls: a short commit run against the real loyalty-core that it
// starts itself with certificates it makes (a CA, the core's, one terminal's), every till over
// mutual TLS. Needs the targets loyalty-bench and loyalty-core built (a full build does).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <string>

#include "loyalty-bench/bench_report.h"
#include "loyalty-bench/servers.h"
#include "loyalty/protocol/json.h"
#include "support/test_support.h"

namespace loyalty::tools {
namespace {

using ::loyalty::testing::runCommand;

namespace json = protocol::json;

TEST_CASE("BenchReport: says whether the run was over TLS, and the resumed connections",
          "[tools]") {
  BenchReport r;
  r.scenario = "reconnect";
  r.tills = 2;
  r.connection = "new-per-request";
  r.target = "core";
  r.main.label = "POST /v1/identify";
  auto plain = json::parse(formatReportJson(r));
  REQUIRE(plain.ok());
  CHECK_FALSE(plain->find("tls")->asBool());
  CHECK(plain->find("tls_connections") == nullptr);
  CHECK(formatReportTable(r).find("TLS") == std::string::npos);

  r.tls = true;
  r.tlsConnections = 50;
  r.tlsResumed = 49;
  auto secure = json::parse(formatReportJson(r));
  REQUIRE(secure.ok());
  CHECK(secure->find("tls")->asBool());
  CHECK(secure->find("tls_connections")->asInt() == 50);
  CHECK(secure->find("tls_resumed")->asInt() == 49);
  const std::string table = formatReportTable(r);
  CHECK(table.find("new-per-request to the core over mutual TLS") != std::string::npos);
  CHECK(table.find("TLS: 50 new connections in the measured phase, 49 resumed a session") !=
        std::string::npos);
}

TEST_CASE("loyalty-bench: a commit run over mutual TLS", "[tools][integration]") {
  const std::string exe = ownExecutableDir() + "/loyalty-bench";
  INFO("needs " << exe << " (build the target loyalty-bench)");
  REQUIRE(::access(exe.c_str(), X_OK) == 0);
  int status = -1;
  const std::string out =
      runCommand("'" + exe + "' --scenario commit --tls --tafeng '" LOYALTY_SHARED_DATA_DIR
               "/tafeng' --tills 4 --duration 1 --lines 5 --no-storage-ceiling --json "
               "2>/dev/null",
               status);
  INFO("output: " << out);
  REQUIRE(status == 0);
  auto parsed = json::parse(out);
  REQUIRE(parsed.ok());
  const json::Value& v = parsed.value();
  REQUIRE(v.find("tls") != nullptr);
  CHECK(v.find("tls")->asBool());
  CHECK(v.find("scenario")->asString() == "commit");
  CHECK(v.find("throughput_per_s")->asDouble() > 0);
  CHECK(v.find("requests")->asInt() > 0);
  CHECK(v.find("errors")->asInt() == 0);
  CHECK(v.find("starved_connections")->asInt() == 0);
  // One keep-alive connection per till in the measured phase.
  CHECK(v.find("tls_connections")->asInt() == 4);
  // The ceiling (GET /v1/health) ran over TLS too, without errors.
  const json::Value* ceiling = v.find("ceiling");
  REQUIRE(ceiling != nullptr);
  REQUIRE(ceiling->isObject());
  CHECK(ceiling->find("requests")->asInt() > 0);
  CHECK(ceiling->find("errors")->asInt() == 0);
}

TEST_CASE("loyalty-bench: reconnecting tills resume TLS sessions", "[tools][integration]") {
  const std::string exe = ownExecutableDir() + "/loyalty-bench";
  REQUIRE(::access(exe.c_str(), X_OK) == 0);
  int status = -1;
  const std::string out =
      runCommand("'" + exe + "' --scenario reconnect --tls --tafeng '" LOYALTY_SHARED_DATA_DIR
               "/tafeng' --tills 2 --duration 0.5 --no-ceiling --json 2>/dev/null",
               status);
  INFO("output: " << out);
  REQUIRE(status == 0);
  auto parsed = json::parse(out);
  REQUIRE(parsed.ok());
  const json::Value& v = parsed.value();
  CHECK(v.find("tls")->asBool());
  CHECK(v.find("connection")->asString() == "new-per-request");
  CHECK(v.find("errors")->asInt() == 0);
  const int64_t connections = v.find("tls_connections")->asInt();
  const int64_t resumed = v.find("tls_resumed")->asInt();
  CHECK(connections == v.find("requests")->asInt());
  CHECK(connections > 2);
  // All but the first few (made before any session existed) resume one.
  CHECK(resumed >= connections - 2);
}

}  // namespace
}  // namespace loyalty::tools
