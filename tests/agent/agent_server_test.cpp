// Tests of the pos-agent's local HTTP API (pos-agent/src/server/agent_server.h): routing, edge
// errors, request ids, over real HTTP on 127.0.0.1.
#include "server/agent_server.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <catch2/catch.hpp>
#include <istream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "fake_core.h"
#include "loyalty/agent/client.h"
#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/errors.h"
#include "loyalty/protocol/limits.h"
#include "samples.h"
#include "support/test_support.h"

namespace loyalty::agent {
namespace {

using base::ErrorCode;
using protocol::encode;
using test::FakeCore;
using testing::TempDir;

struct Fixture {
  TempDir dir{"pos-agent-test"};
  FakeCore core;
  OutboxPtr outbox;
  std::unique_ptr<AgentService> service;
  std::unique_ptr<AgentServer> server;

  Fixture() {
    base::Result<OutboxPtr> opened = Outbox::open(dir.file("outbox.db"));
    REQUIRE(opened.ok());
    outbox = std::move(opened).value();
    AgentServiceOptions options;
    options.corePort = core.port();
    options.budgetMs = 200;
    options.retryInitialMs = 10;
    options.retryMaxMs = 100;
    service = std::make_unique<AgentService>(options, *outbox);
    AgentServerOptions serverOptions;
    serverOptions.port = 0;
    serverOptions.threads = 4;
    base::Result<std::unique_ptr<AgentServer>> started =
        AgentServer::start(serverOptions, *service);
    REQUIRE(started.ok());
    server = std::move(started).value();
  }

  ~Fixture() {
    server->stop();
    service->stop();
  }

  Client client() const { return Client(test::localClient(server->port(), 5000)); }
};

struct Exchange {
  int status = 0;
  std::string contentType;
  std::string requestId;
  std::string allow;
  std::string body;
};

// One request with full control of the headers, on a fresh connection.
Exchange exchange(uint16_t port, const std::string& method, const std::string& path,
                  const std::string& body, const std::string& contentType = "application/json",
                  const std::string& requestId = "") {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(5, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!contentType.empty()) {
    request.setContentType(contentType);
  }
  if (!requestId.empty()) {
    request.set("X-Request-Id", requestId);
  }
  if (method != "GET") {
    request.setContentLength64(static_cast<Poco::Int64>(body.size()));
  }
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Exchange result;
  result.status = static_cast<int>(response.getStatus());
  result.contentType = response.getContentType();
  result.requestId = response.get("X-Request-Id", "");
  result.allow = response.get("Allow", "");
  result.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return result;
}

std::string problemCode(const Exchange& e) {
  base::Result<protocol::ErrorBody> problem = protocol::decodeErrorBody(e.body);
  REQUIRE(problem.ok());
  CHECK(problem->status == e.status);
  CHECK(problem->requestId == e.requestId);
  return problem->code;
}

TEST_CASE("AgentServer: routes the POS calls to the core through the agent", "[agent]") {
  Fixture f;
  Client client = f.client();

  base::Result<protocol::IdentifyResponse> identify = client.identify(test::sampleIdentify());
  REQUIRE(identify.ok());
  CHECK(identify->customerId == FakeCore::identifyAnswer().customerId);

  base::Result<protocol::PriceResponse> price = client.price(test::samplePrice({}));
  REQUIRE(price.ok());
  CHECK(price->pointsPreview == FakeCore::priceAnswer().pointsPreview);

  base::Result<protocol::CommitResponse> commit = client.commit(test::sampleCommit("1"));
  REQUIRE(commit.ok());
  CHECK(commit->status == protocol::kStatusCommitted);
  CHECK(commit->saleId == FakeCore::commitAnswer().saleId);

  base::Result<protocol::RefundResponse> refund = client.refund(test::sampleRefund("2", "1"));
  REQUIRE(refund.ok());
  CHECK(refund->refundId == FakeCore::refundAnswer().refundId);

  base::Result<protocol::AgentStatus> status = client.agentStatus();
  REQUIRE(status.ok());
  CHECK(status->outboxPending == 0);
  CHECK(status->coreReachable);

  // Four calls reached the core, over the agent's kept-alive connection(s).
  CHECK(f.core.received().size() == 4);
}

TEST_CASE("AgentServer: a commit is queued over HTTP while the core is down", "[agent]") {
  Fixture f;
  f.core.stop();
  Client client = f.client();
  base::Result<protocol::CommitResponse> commit = client.commit(test::sampleCommit("10"));
  REQUIRE(commit.ok());
  CHECK(commit->status == protocol::kStatusQueued);
  base::Result<protocol::AgentStatus> status = client.agentStatus();
  REQUIRE(status.ok());
  CHECK(status->outboxPending == 1);
  CHECK_FALSE(status->coreReachable);
}

TEST_CASE("AgentServer: POST /v1/void reaches the core, and is answered offline", "[agent]") {
  Fixture f;
  protocol::VoidRequest request;
  request.key = test::sampleKey("20");
  std::string body = encode(request);

  Exchange online = exchange(f.server->port(), "POST", "/v1/void", body);
  CHECK(online.status == 200);
  CHECK(online.body == encode(FakeCore::voidAnswer()));
  CHECK(f.core.accepted("/v1/void") == std::vector<std::string>{body});

  f.core.stop();
  Exchange offline = exchange(f.server->port(), "POST", "/v1/void", body);
  REQUIRE(offline.status == 200);
  base::Result<protocol::VoidResponse> released = protocol::decodeVoidResponse(offline.body);
  REQUIRE(released.ok());
  CHECK(released->released == 0);
  CHECK(f.outbox->pending() == 0);

  Exchange get = exchange(f.server->port(), "GET", "/v1/void", "", "");
  CHECK(get.status == 405);
  CHECK(get.allow == "POST");
}

TEST_CASE("AgentServer: unknown paths and wrong methods are problem+json errors", "[agent]") {
  Fixture f;
  Exchange notFound = exchange(f.server->port(), "POST", "/v1/nothing", "{}");
  CHECK(notFound.status == protocol::httpStatus(ErrorCode::kNotFound));
  CHECK(notFound.contentType == "application/problem+json");
  CHECK(problemCode(notFound) == "not_found");

  Exchange wrongMethod = exchange(f.server->port(), "GET", "/v1/commit", "", "");
  CHECK(wrongMethod.status == protocol::httpStatus(ErrorCode::kMethodNotAllowed));
  CHECK(wrongMethod.allow == "POST");
  CHECK(problemCode(wrongMethod) == "method_not_allowed");

  Exchange postStatus = exchange(f.server->port(), "POST", "/v1/agent/status", "{}");
  CHECK(postStatus.status == protocol::httpStatus(ErrorCode::kMethodNotAllowed));
  CHECK(postStatus.allow == "GET");

  // A query string does not change the route.
  Exchange status = exchange(f.server->port(), "GET", "/v1/agent/status?verbose=1", "", "");
  CHECK(status.status == 200);
  CHECK(protocol::decodeAgentStatus(status.body).ok());
  CHECK(f.core.received().empty());
}

TEST_CASE("AgentServer: a body over the limit is refused with 413 body_too_large", "[agent]") {
  Fixture f;
  uint16_t port = f.server->port();
  std::string atLimit(protocol::kMaxBodyBytes, ' ');
  std::string overLimit(protocol::kMaxBodyBytes + 1, ' ');

  SECTION("declared by Content-Length") {
    Exchange over = exchange(port, "POST", "/v1/commit", overLimit);
    CHECK(over.status == 413);
    CHECK(problemCode(over) == "body_too_large");
  }
  SECTION("found while reading a chunked body; the connection stays usable") {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest request("POST", "/v1/commit", Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.setChunkedTransferEncoding(true);
    session.sendRequest(request) << overLimit;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    std::string body(std::istreambuf_iterator<char>(in), {});
    CHECK(response.getStatus() == 413);
    base::Result<protocol::ErrorBody> problem = protocol::decodeErrorBody(body);
    REQUIRE(problem.ok());
    CHECK(problem->code == "body_too_large");

    Poco::Net::HTTPRequest status("GET", "/v1/agent/status", Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(status);
    std::istream& statusIn = session.receiveResponse(response);
    std::string statusBody(std::istreambuf_iterator<char>(statusIn), {});
    CHECK(response.getStatus() == 200);
    CHECK(protocol::decodeAgentStatus(statusBody).ok());
  }
  SECTION("a huge declared length is refused before any of the body is sent") {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest request("POST", "/v1/commit", Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.setContentLength64(Poco::Int64{1} << 30);
    session.sendRequest(request);  // headers only
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    std::string body(std::istreambuf_iterator<char>(in), {});
    CHECK(response.getStatus() == 413);
    CHECK_FALSE(response.getKeepAlive());
    base::Result<protocol::ErrorBody> problem = protocol::decodeErrorBody(body);
    REQUIRE(problem.ok());
    CHECK(problem->code == "body_too_large");
  }
  SECTION("a body at the limit is read and goes to the codec") {
    Exchange at = exchange(port, "POST", "/v1/commit", atLimit);  // whitespace only: not JSON
    CHECK(at.status == protocol::httpStatus(protocol::decodeCommitRequest(atLimit).error().code));
    CHECK(problemCode(at) != "body_too_large");
  }
  CHECK(f.outbox->pending() == 0);
  CHECK(f.core.received().empty());
}

TEST_CASE("AgentServer: a body that is not JSON by its Content-Type is refused", "[agent]") {
  Fixture f;
  std::string body = encode(test::sampleCommit("20"));
  Exchange text = exchange(f.server->port(), "POST", "/v1/commit", body, "text/plain");
  CHECK(text.status == protocol::httpStatus(ErrorCode::kUnsupportedMediaType));
  CHECK(problemCode(text) == "unsupported_media_type");

  Exchange charset =
      exchange(f.server->port(), "POST", "/v1/commit", body, "Application/JSON; charset=utf-8");
  CHECK(charset.status == 200);
  CHECK(f.core.accepted("/v1/commit") == std::vector<std::string>{body});
}

TEST_CASE("AgentServer: every response carries X-Request-Id", "[agent]") {
  Fixture f;
  uint16_t port = f.server->port();

  Exchange echoed = exchange(port, "GET", "/v1/agent/status", "", "", "till-7.req_42");
  CHECK(echoed.requestId == "till-7.req_42");

  Exchange generated = exchange(port, "GET", "/v1/agent/status", "", "");
  CHECK_FALSE(generated.requestId.empty());
  CHECK(isValidRequestId(generated.requestId));

  Exchange invalid = exchange(port, "GET", "/v1/agent/status", "", "", "bad id with spaces");
  CHECK(invalid.requestId != "bad id with spaces");
  CHECK(isValidRequestId(invalid.requestId));

  // Errors carry it too, in the header and in the problem body.
  Exchange error = exchange(port, "POST", "/v1/commit", "{", "application/json", "req-err-1");
  CHECK(error.requestId == "req-err-1");
  CHECK(problemCode(error) == protocol::codeName(ErrorCode::kMalformedJson));
}

TEST_CASE("AgentServer: request ids are checked for length and characters", "[agent]") {
  CHECK(isValidRequestId("a"));
  CHECK(isValidRequestId("0f8e-11:22.x_y"));
  CHECK(isValidRequestId(std::string(64, 'a')));
  CHECK_FALSE(isValidRequestId(""));
  CHECK_FALSE(isValidRequestId(std::string(65, 'a')));
  CHECK_FALSE(isValidRequestId("a b"));
  CHECK_FALSE(isValidRequestId("a\r\nX-Injected: 1"));
  CHECK_FALSE(isValidRequestId("caf\xc3\xa9"));
}

TEST_CASE("AgentServer: a port already in use is reported, not thrown", "[agent]") {
  Fixture f;
  AgentServerOptions options;
  options.port = f.server->port();
  base::Result<std::unique_ptr<AgentServer>> second = AgentServer::start(options, *f.service);
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace loyalty::agent
