// The request-head parser of the event server: request line, header fields, Content-Length,
// framing errors and the head size limit.
#include <catch2/catch.hpp>

#include <string>

#include "http/http_parser.h"

using namespace loyalty;
using loyalty::core::http::parseRequestHead;
using loyalty::core::http::RequestHead;

namespace {

RequestHead complete(const std::string& text) {
  auto r = parseRequestHead(text);
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  return **r;
}

std::string failure(const std::string& text, size_t limit = core::http::kMaxHeadBytes) {
  auto r = parseRequestHead(text, limit);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == base::ErrorCode::kInvalidValue);
  return r.error().message;
}

}  // namespace

TEST_CASE("HttpParser: request line, headers and head size", "[protocol]") {
  const std::string text =
      "POST /v1/commit?x=1 HTTP/1.1\r\nHost: core\r\nContent-Type: application/json\r\n"
      "Content-Length: 12\r\nX-Request-Id:  abc-1 \r\n\r\n{\"a\":1}";
  RequestHead head = complete(text);
  CHECK(head.method == "POST");
  CHECK(head.target == "/v1/commit?x=1");
  CHECK(head.minorVersion == 1);
  CHECK(head.contentLength == 12);
  CHECK(head.keepAlive);
  CHECK(head.header("content-type") == "application/json");
  CHECK(head.header("X-REQUEST-ID") == "abc-1");
  CHECK(head.header("Missing").empty());
  CHECK(head.size == text.find("{"));
}

TEST_CASE("HttpParser: an incomplete head asks for more bytes", "[protocol]") {
  const std::string text = "GET /v1/health HTTP/1.1\r\nHost: core\r\n\r\n";
  for (size_t n = 0; n < text.size(); ++n) {
    auto r = parseRequestHead(text.substr(0, n));
    REQUIRE(r.ok());
    CHECK_FALSE(r->has_value());
  }
  CHECK(complete(text).size == text.size());
}

TEST_CASE("HttpParser: bare LF line ends and leading empty lines are accepted", "[protocol]") {
  RequestHead head = complete("\r\nGET / HTTP/1.1\nHost: x\n\n");
  CHECK(head.method == "GET");
  CHECK(head.target == "/");
  CHECK(head.header("Host") == "x");
}

TEST_CASE("HttpParser: keep-alive follows the version and the Connection header", "[protocol]") {
  CHECK(complete("GET / HTTP/1.1\r\n\r\n").keepAlive);
  CHECK_FALSE(complete("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").keepAlive);
  CHECK_FALSE(complete("GET / HTTP/1.1\r\nConnection: TE, Close\r\n\r\n").keepAlive);
  CHECK_FALSE(complete("GET / HTTP/1.0\r\n\r\n").keepAlive);
  CHECK(complete("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keepAlive);
  CHECK(complete("GET / HTTP/1.0\r\n\r\n").minorVersion == 0);
}

TEST_CASE("HttpParser: Content-Length is framed strictly", "[protocol]") {
  CHECK(complete("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").contentLength == 0);
  CHECK(complete("POST / HTTP/1.1\r\n\r\n").contentLength == 0);
  CHECK(complete("POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n")
            .contentLength == 5);
  CHECK(failure("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")
            .find("conflicting") != std::string::npos);
  CHECK(failure("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n").find("Content-Length") !=
        std::string::npos);
  failure("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n");
  failure("POST / HTTP/1.1\r\nContent-Length: \r\n\r\n");
  failure("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n");
}

TEST_CASE("HttpParser: chunked bodies are refused", "[protocol]") {
  CHECK(failure("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").find("chunked") !=
        std::string::npos);
}

TEST_CASE("HttpParser: bad framing is an error, not a guess", "[protocol]") {
  failure("GET /\r\n\r\n");                          // no version
  failure("GET  / HTTP/1.1\r\n\r\n");                // two spaces
  failure("GET / HTTP/2.0\r\n\r\n");                 // unsupported version
  failure("G(T / HTTP/1.1\r\n\r\n");                 // not a token
  failure("GET / HTTP/1.1\r\nNo colon here\r\n\r\n");
  failure("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n");
  failure("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n");
  failure(std::string("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n"));
  failure(std::string("GET /a\x01 HTTP/1.1\r\n\r\n"));
}

TEST_CASE("HttpParser: heads over the limit are refused, complete or not", "[protocol]") {
  std::string big = "GET / HTTP/1.1\r\nX-Pad: " + std::string(2000, 'a') + "\r\n";
  CHECK(failure(big, 1024).find("over 1024 bytes") != std::string::npos);
  CHECK(failure(big + "\r\n", 1024).find("over 1024 bytes") != std::string::npos);
  // Within the limit the same head is fine.
  CHECK(complete(big + "\r\n").header("X-Pad").size() == 2000);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i) {
    many += "H" + std::to_string(i) + ": v\r\n";
  }
  CHECK(failure(many + "\r\n").find("header fields") != std::string::npos);
}

TEST_CASE("HttpParser: Expect: 100-continue is reported", "[protocol]") {
  CHECK(complete("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
            .expectContinue);
  CHECK_FALSE(complete("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n").expectContinue);
}
