// Tests of HOST:PORT parsing (tools/common/endpoint.h).
#include "common/endpoint.h"

#include <catch2/catch.hpp>

namespace loyalty::tools {
namespace {

TEST_CASE("Endpoint: parses host and port", "[tools]") {
  auto e = parseEndpoint("127.0.0.1:8440");
  REQUIRE(e.ok());
  CHECK(e->host == "127.0.0.1");
  CHECK(e->port == 8440);
  CHECK(e->str() == "127.0.0.1:8440");

  auto named = parseEndpoint("core.example:1");
  REQUIRE(named.ok());
  CHECK(named->host == "core.example");
  CHECK(named->port == 1);

  auto v6 = parseEndpoint("[::1]:65535");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->port == 65535);
  CHECK(v6->str() == "[::1]:65535");
}

TEST_CASE("Endpoint: refuses malformed addresses", "[tools]") {
  for (const char* bad : {"", "host", "host:", ":80", "host:0", "host:65536", "host:80x", "host:-1",
                          "::1:80", "[::1]80", "[::1:80", "a b:80", "host:123456"}) {
    INFO(bad);
    auto e = parseEndpoint(bad);
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == base::ErrorCode::kInvalidValue);
  }
}

TEST_CASE("Endpoint: lists keep their order and refuse empty items", "[tools]") {
  auto list = parseEndpointList("a:1,b:2,[::1]:3");
  REQUIRE(list.ok());
  REQUIRE(list->size() == 3);
  CHECK((*list)[0] == Endpoint{"a", 1});
  CHECK((*list)[1] == Endpoint{"b", 2});
  CHECK((*list)[2] == Endpoint{"::1", 3});

  for (const char* bad : {"", ",", "a:1,", ",a:1", "a:1,,b:2", "a:1,b"}) {
    INFO(bad);
    CHECK_FALSE(parseEndpointList(bad).ok());
  }
}

}  // namespace
}  // namespace loyalty::tools
