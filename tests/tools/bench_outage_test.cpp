// Tests of loyalty-bench's scenarios offline and drain (tools/loyalty-bench/outage.h): the
// runner's handling of the agents' own answers against a fake server, and short process runs of
// both scenarios against the real loyalty-core and pos-agent (started by loyalty-bench from the
// build's bin folder), checking the JSON they print.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

#include "loyalty-bench/outage.h"
#include "loyalty-bench/runner.h"
#include "loyalty-bench/servers.h"
#include "loyalty/protocol/json.h"
#include "support/test_support.h"

namespace loyalty::tools {
namespace {

using ::loyalty::testing::runCommand;

namespace json = protocol::json;

// Answers /offline as an agent without its core would, anything else as the core would.
class AgentLikeHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    std::ostringstream body;
    Poco::StreamCopier::copyStream(request.stream(), body);
    const std::string answer = request.getURI() == "/offline"
                                   ? "{\"customer_id\":0,\"offline\":true}"
                                   : "{\"customer_id\":7,\"offline\":false}";
    response.setContentType("application/json");
    response.setKeepAlive(true);
    response.setContentLength(static_cast<std::streamsize>(answer.size()));
    response.send() << answer;
  }
};

class AgentLikeFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new AgentLikeHandler();
  }
};

class AgentLikeServer {
 public:
  AgentLikeServer() : pool_(1, 4) {
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(3);
    params->setKeepAlive(true);
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    server_ =
        std::make_unique<Poco::Net::HTTPServer>(new AgentLikeFactory(), pool_, socket, params);
    server_->start();
  }
  ~AgentLikeServer() { server_->stopAll(true); }
  Endpoint endpoint() const { return Endpoint{"127.0.0.1", server_->port()}; }

 private:
  Poco::ThreadPool pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

PhaseSpec phase(const Endpoint& e, const char* path, bool expectAgentAnswers) {
  PhaseSpec s;
  s.label = "test";
  s.endpoints = {e};
  s.tills = 1;
  s.durationS = 0.2;
  s.timeoutMs = 500;
  s.expectAgentAnswers = expectAgentAnswers;
  s.makeCalls = [path](int, int64_t) {
    return std::vector<Call>{Call{"identify", "POST", path, "{}"}};
  };
  return s;
}

TEST_CASE("runPhase: the agent's own answers are samples only when they are expected", "[tools]") {
  AgentLikeServer server;
  const PhaseResult offlineExpected = runPhase(phase(server.endpoint(), "/offline", true));
  CHECK(offlineExpected.answered > 5);
  CHECK(offlineExpected.errors == 0);
  CHECK(offlineExpected.ops.at("identify").count() == offlineExpected.answered);

  const PhaseResult coreWhenOfflineExpected = runPhase(phase(server.endpoint(), "/online", true));
  CHECK(coreWhenOfflineExpected.answered == 0);
  CHECK(coreWhenOfflineExpected.errors > 0);
  REQUIRE_FALSE(coreWhenOfflineExpected.errorSamples.empty());
  CHECK(coreWhenOfflineExpected.errorSamples.front().find("not offline") != std::string::npos);

  const PhaseResult offlineUnexpected = runPhase(phase(server.endpoint(), "/offline", false));
  CHECK(offlineUnexpected.answered == 0);
  CHECK(offlineUnexpected.errors > 0);
  REQUIRE_FALSE(offlineUnexpected.errorSamples.empty());
  CHECK(offlineUnexpected.errorSamples.front().find("answered offline") != std::string::npos);
}

std::string bench() {
  const std::string exe = ownExecutableDir() + "/loyalty-bench";
  INFO("needs " << exe << " (build the target loyalty-bench)");
  REQUIRE(::access(exe.c_str(), X_OK) == 0);
  return "'" + exe + "' --tafeng '" LOYALTY_SHARED_DATA_DIR "/tafeng' --lines 5 ";
}

TEST_CASE("loyalty-bench: scenario drain delivers exactly the queued sales",
          "[tools][integration]") {
  int status = -1;
  const std::string out = runCommand(std::string(kDeliveryConcurrencyEnv) + "=4 " + bench() +
                                         "--scenario drain --queued 300 --tills 4 --json "
                                         "2>/dev/null",
                                     status);
  INFO("output: " << out);
  REQUIRE(status == 0);
  auto parsed = json::parse(out);
  REQUIRE(parsed.ok());
  const json::Value& v = parsed.value();
  REQUIRE(v.find("stored") != nullptr);
  CHECK(v.find("scenario")->asString() == "drain");
  CHECK(v.find("delivery_concurrency")->asInt() == 4);
  CHECK(v.find("agents")->asInt() == 1);
  CHECK(v.find("queued")->asInt() == 300);
  CHECK(v.find("drained")->asBool());
  CHECK(v.find("delivered")->asInt() == 300);
  CHECK(v.find("stored")->asInt() == 300);
  CHECK(v.find("dead_letters")->asInt() == 0);
  CHECK(v.find("errors")->asInt() == 0);
  CHECK(v.find("starved_connections")->asInt() == 0);
  CHECK(v.find("throughput_per_s")->asDouble() > 0);
  CHECK(v.find("duration_s")->asDouble() > 0);
  CHECK(v.find("cpu_s")->find("core")->asDouble() > 0);
}

TEST_CASE("loyalty-bench: scenario offline answers through agents without their core",
          "[tools][integration]") {
  int status = -1;
  const std::string out = runCommand(
      bench() + "--scenario offline --tills 2 --agents 1 --duration 1 --json 2>/dev/null", status);
  INFO("output: " << out);
  REQUIRE(status == 0);
  auto parsed = json::parse(out);
  REQUIRE(parsed.ok());
  const json::Value& v = parsed.value();
  REQUIRE(v.find("ops") != nullptr);
  CHECK(v.find("scenario")->asString() == "offline");
  CHECK(v.find("target")->asString() == "agent");
  CHECK(v.find("errors")->asInt() == 0);
  CHECK(v.find("starved_connections")->asInt() == 0);
  for (const char* call : {"identify", "price", "commit"}) {
    INFO(call);
    REQUIRE(v.find("ops")->find(call) != nullptr);
    CHECK(v.find("ops")->find(call)->find("count")->asInt() > 0);
  }
  // Every commit answered "queued" is in the agent's outbox.
  CHECK(v.find("queued_in_outboxes")->asInt() == v.find("commits_answered_queued")->asInt());
  // With the core blackholed, an agent's first call waits for the whole budget (300 ms); the
  // calls after it are answered offline at once (core.offlineHoldMs), not after the budget.
  const json::Value* hole = v.find("blackholed");
  REQUIRE(hole != nullptr);
  CHECK(hole->find("errors")->asInt() == 0);
  const json::Value* identify = hole->find("ops")->find("identify");
  REQUIRE(identify != nullptr);
  const json::Value* all = hole->find("latency_ms");
  REQUIRE(all != nullptr);
  CHECK(all->find("max")->asDouble() >= 290);
  CHECK(identify->find("latency_ms")->find("p50")->asDouble() < 290);
  CHECK(v.find("blackholed_agents_seeing_core_reachable")->asInt() == 0);
}

TEST_CASE("loyalty-bench: scenarios offline and drain refuse --core and a bad concurrency",
          "[tools]") {
  int status = -1;
  runCommand(bench() + "--scenario drain --core 127.0.0.1:1 2>/dev/null", status);
  CHECK(WEXITSTATUS(status) == 2);
  runCommand(
      std::string(kDeliveryConcurrencyEnv) + "=0 " + bench() + "--scenario offline 2>/dev/null",
      status);
  CHECK(WEXITSTATUS(status) == 2);
}

}  // namespace
}  // namespace loyalty::tools
