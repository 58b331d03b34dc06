// Tests of the C++ client library (pos-agent/include/loyalty/agent/client.h) against the fake
// core: typed calls, error mapping, timeouts and reconnection.
#include "loyalty/agent/client.h"

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "fake_core.h"
#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/errors.h"
#include "samples.h"

namespace loyalty::agent {
namespace {

using base::ErrorCode;
using test::FakeCore;

Client clientFor(const FakeCore& core, int timeoutMs = 2000) {
  return Client(test::localClient(core.port(), timeoutMs));
}

TEST_CASE("Client: typed calls decode the server's answers", "[agent]") {
  FakeCore core;
  Client client = clientFor(core);

  base::Result<protocol::IdentifyResponse> identify = client.identify(test::sampleIdentify());
  REQUIRE(identify.ok());
  CHECK(protocol::encode(*identify) == protocol::encode(FakeCore::identifyAnswer()));

  base::Result<protocol::CommitResponse> commit = client.commit(test::sampleCommit("1"));
  REQUIRE(commit.ok());
  CHECK(protocol::encode(*commit) == protocol::encode(FakeCore::commitAnswer()));

  base::Result<protocol::RefundResponse> refund = client.refund(test::sampleRefund("2", "1"));
  REQUIRE(refund.ok());
  CHECK(protocol::encode(*refund) == protocol::encode(FakeCore::refundAnswer()));

  base::Result<protocol::CustomerHistory> history = client.history(test::sampleCard());
  REQUIRE(history.ok());
  CHECK(history->customerId == FakeCore::historyAnswer().customerId);

  base::Result<protocol::CatalogueImportResponse> imported =
      client.importCatalogue("sku,name,price\nA,Apple,100\nB,Bread,250\n");
  REQUIRE(imported.ok());
  CHECK(imported->imported == 2);

  std::vector<test::ReceivedRequest> received = core.received();
  REQUIRE(received.size() == 5);
  CHECK(received[0].method == "POST");
  CHECK(received[0].uri == "/v1/identify");
  CHECK(received[0].body == protocol::encode(test::sampleIdentify()));
  CHECK(received[1].uri == "/v1/commit");
  CHECK(received[2].uri == "/v1/refund");
  CHECK(received[3].method == "GET");
  CHECK(received[3].uri == "/v1/customers/" + test::sampleCard() + "/history");
  CHECK(received[4].method == "PUT");
  CHECK(received[4].uri == "/v1/admin/catalogue");
  CHECK(received[4].contentType == "text/csv");
}

TEST_CASE("Client: a problem+json answer becomes an Error with its code", "[agent]") {
  FakeCore core;
  Client client = clientFor(core);
  for (ErrorCode code : {ErrorCode::kInvalidCard, ErrorCode::kUnknownSale,
                         ErrorCode::kIdempotencyConflict, ErrorCode::kUnavailable}) {
    core.setError(code);
    base::Result<protocol::CommitResponse> commit = client.commit(test::sampleCommit("1"));
    REQUIRE_FALSE(commit.ok());
    CHECK(commit.error().code == code);
    CHECK(commit.error().message == "fake core refused: " + std::string(protocol::codeName(code)));
  }
}

TEST_CASE("Client: an unknown error code or a non-protocol answer is kInternal", "[agent]") {
  FakeCore core;
  Client client = clientFor(core);

  protocol::ErrorBody unknown;
  unknown.type = "urn:loyalty:error:from_the_future";
  unknown.title = "From the future";
  unknown.status = 400;
  unknown.code = "from_the_future";
  unknown.detail = "a code this client does not know";
  unknown.requestId = "r";
  core.setRaw(400, "application/problem+json", protocol::encode(unknown));
  base::Result<protocol::IdentifyResponse> future = client.identify(test::sampleIdentify());
  REQUIRE_FALSE(future.ok());
  CHECK(future.error().code == ErrorCode::kInternal);
  CHECK(future.error().message == "a code this client does not know");

  core.setRaw(200, "application/json", "{\"not\":\"an identify response\"}");
  base::Result<protocol::IdentifyResponse> garbage = client.identify(test::sampleIdentify());
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.error().code == ErrorCode::kInternal);

  core.setRaw(503, "text/html", "<html>proxy says no</html>");
  base::Result<protocol::IdentifyResponse> proxy = client.identify(test::sampleIdentify());
  REQUIRE_FALSE(proxy.ok());
  CHECK(proxy.error().code == ErrorCode::kUnavailable);

  // send() is the raw exchange: any status is a value.
  base::Result<Client::RawResponse> raw = client.send("POST", "/v1/identify", "{}");
  REQUIRE(raw.ok());
  CHECK(raw->status == 503);
  CHECK(raw->contentType == "text/html");
  CHECK(raw->body == "<html>proxy says no</html>");
}

TEST_CASE("Client: a refused connection is kUnavailable", "[agent]") {
  uint16_t closedPort = 0;
  {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    closedPort = socket.address().port();
  }  // closed: nothing listens there now
  Client client(test::localClient(closedPort, 2000));
  base::Result<protocol::IdentifyResponse> identify = client.identify(test::sampleIdentify());
  REQUIRE_FALSE(identify.ok());
  CHECK(identify.error().code == ErrorCode::kUnavailable);
}

TEST_CASE("Client: no answer within the timeout is kTimeout", "[agent]") {
  FakeCore core;
  core.setHang();
  Client client = clientFor(core, 200);
  auto started = std::chrono::steady_clock::now();
  base::Result<protocol::CommitResponse> commit = client.commit(test::sampleCommit("1"));
  auto elapsed = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(commit.ok());
  CHECK(commit.error().code == ErrorCode::kTimeout);
  CHECK(elapsed < std::chrono::seconds(2));  // the fake hangs for up to 30 s

  // The timed-out connection is not reused: a late answer cannot be taken for the next one.
  core.setOk();
  base::Result<protocol::IdentifyResponse> identify = client.identify(test::sampleIdentify());
  REQUIRE(identify.ok());
  CHECK(identify->customerId == FakeCore::identifyAnswer().customerId);
}

TEST_CASE("Client: reconnects once when the server closed the kept-alive connection", "[agent]") {
  FakeCore core;
  Client client = clientFor(core);
  REQUIRE(client.identify(test::sampleIdentify()).ok());
  core.restart();  // closes every connection, listens again on the same port
  base::Result<protocol::IdentifyResponse> again = client.identify(test::sampleIdentify());
  REQUIRE(again.ok());
  CHECK(again->customerId == FakeCore::identifyAnswer().customerId);

  core.stop();
  base::Result<protocol::IdentifyResponse> down = client.identify(test::sampleIdentify());
  REQUIRE_FALSE(down.ok());
  CHECK(down.error().code == ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace loyalty::agent
