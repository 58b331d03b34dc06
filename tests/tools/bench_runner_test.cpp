// Tests of loyalty-bench's till runner (tools/loyalty-bench/runner.h) against a fake HTTP
// server on 127.0.0.1 (port chosen by the OS): closed loop, open loop counts, and starved
// connections when the server has fewer threads than keep-alive tills.
#include "loyalty-bench/runner.h"

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

#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <sstream>

namespace loyalty::tools {
namespace {

class OkHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit OkHandler(std::atomic<int>& requests) : requests_(requests) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    std::ostringstream body;
    Poco::StreamCopier::copyStream(request.stream(), body);
    ++requests_;
    const bool fail = request.getURI() == "/fail";
    response.setStatus(fail ? Poco::Net::HTTPResponse::HTTP_BAD_REQUEST
                            : Poco::Net::HTTPResponse::HTTP_OK);
    response.setContentType("application/json");
    // With a length the connection stays open (without one, the server must close it).
    const std::string answer = "{\"status\":\"ok\"}";
    response.setKeepAlive(true);
    response.setContentLength(static_cast<std::streamsize>(answer.size()));
    response.send() << answer;
  }

 private:
  std::atomic<int>& requests_;
};

class OkFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit OkFactory(std::atomic<int>& requests) : requests_(requests) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new OkHandler(requests_);
  }

 private:
  std::atomic<int>& requests_;
};

// A keep-alive HTTP server with `threads` request threads on 127.0.0.1, port 0.
class FakeServer {
 public:
  explicit FakeServer(int threads) : pool_(1, threads + 1) {
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(threads);
    params->setMaxQueued(64);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(0);
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    server_ = std::make_unique<Poco::Net::HTTPServer>(new OkFactory(requests_), pool_, socket,
                                                      params);
    server_->start();
  }
  ~FakeServer() { server_->stopAll(true); }
  Endpoint endpoint() const { return Endpoint{"127.0.0.1", server_->port()}; }
  int requests() const { return requests_.load(); }

 private:
  std::atomic<int> requests_{0};
  Poco::ThreadPool pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

PhaseSpec spec(const Endpoint& e, int tills, double durationS, const char* path = "/ok") {
  PhaseSpec s;
  s.label = "test";
  s.endpoints = {e};
  s.tills = tills;
  s.durationS = durationS;
  s.timeoutMs = 200;
  s.makeCalls = [path](int, int64_t) {
    return std::vector<Call>{Call{"health", "GET", path, ""}};
  };
  return s;
}

TEST_CASE("runPhase: closed loop answers every till", "[tools]") {
  FakeServer server(4);
  const PhaseResult r = runPhase(spec(server.endpoint(), 2, 0.3));
  CHECK(r.answered > 10);
  CHECK(r.errors == 0);
  CHECK(r.starvedConnections == 0);
  CHECK(r.tillsStarved == 0);
  CHECK(r.tillsNeverAnswered == 0);
  CHECK(r.latency.count() == r.answered);
  CHECK(r.ops.at("health").count() == r.answered);
  CHECK(r.wallS >= 0.3);
  CHECK(static_cast<int>(r.answered) == server.requests());
}

TEST_CASE("runPhase: open loop sends what is due, no more", "[tools]") {
  FakeServer server(4);
  PhaseSpec s = spec(server.endpoint(), 2, 0.5);
  s.rate = 100;  // 50 sends due in 0.5 s
  const PhaseResult r = runPhase(s);
  CHECK(r.answered + r.errors + r.unsent == 50);
  CHECK(r.answered >= 40);  // a loaded machine may leave a few unsent, never more than due
}

TEST_CASE("runPhase: a new connection per request also works", "[tools]") {
  FakeServer server(2);
  PhaseSpec s = spec(server.endpoint(), 2, 0.3);
  s.newConnectionPerRequest = true;
  const PhaseResult r = runPhase(s);
  CHECK(r.answered > 10);
  CHECK(r.errors == 0);
}

TEST_CASE("runPhase: error answers are errors, not samples", "[tools]") {
  FakeServer server(2);
  const PhaseResult r = runPhase(spec(server.endpoint(), 1, 0.2, "/fail"));
  CHECK(r.answered == 0);
  CHECK(r.errors > 0);
  CHECK(r.latency.count() == 0);
  CHECK(r.starvedConnections == 0);
  CHECK(r.tillsNeverAnswered == 1);
  REQUIRE_FALSE(r.errorSamples.empty());
  CHECK(r.errorSamples.front().find("HTTP 400") != std::string::npos);
}

TEST_CASE("runPhase: keep-alive tills beyond the server's threads starve", "[tools]") {
  // One request thread held by a keep-alive connection: the other two tills' requests wait in
  // the accept queue until they time out (each till gets the thread now and then, when the
  // holder's connection is dropped, so how often each starves is up to the scheduler).
  FakeServer server(1);
  const PhaseResult r = runPhase(spec(server.endpoint(), 3, 0.8));
  CHECK(r.answered > 0);
  CHECK(r.tillsNeverAnswered <= 2);
  CHECK(r.starvedConnections >= 2);
  CHECK(r.tillsStarved >= 1);
  CHECK(r.tillsStarved <= 3);
  CHECK(r.errors == r.starvedConnections);
}

TEST_CASE("runPhase: an unreachable server is starved connections", "[tools]") {
  Endpoint closed;
  {
    FakeServer server(1);
    closed = server.endpoint();
  }
  const PhaseResult r = runPhase(spec(closed, 1, 0.1));
  CHECK(r.answered == 0);
  CHECK(r.starvedConnections == r.errors);
  CHECK(r.errors > 0);
}

}  // namespace
}  // namespace loyalty::tools
