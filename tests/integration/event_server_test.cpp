// The configuration of the core's HTTP engine (loyalty.core.http.engine). The checkout and
// idempotency acceptance tests run on both engines (checkout_flow_test, idempotency_test).
#include <catch2/catch.hpp>

#include "integration/daemons.h"

using namespace loyalty::testing;

TEST_CASE("EventEngine: bad engine settings are configuration errors, TLS is not refused",
          "[integration]") {
  TempDir dir("loyalty-ev-config");
  // The event engine serves TLS too: with unusable TLS files the error names the TLS key.
  writeFile(dir.file("tls.properties"),
            "loyalty.core.http.port = 0\n"
            "loyalty.core.http.engine = event\n"
            "loyalty.core.tls.certificate = server.pem\n"
            "loyalty.core.tls.privateKey = server.key\n"
            "loyalty.core.tls.caCertificate = ca.pem\n");
  ChildProcess p(coreBinary(), {"--config=" + dir.file("tls.properties")}, dir.file("out"));
  CHECK(p.wait() == 78);  // EX_CONFIG
  CHECK(readFile(dir.file("out")).find("loyalty.core.tls.") != std::string::npos);
  CHECK(readFile(dir.file("out")).find("loyalty.core.http.engine") == std::string::npos);
  writeFile(dir.file("bad.properties"), "loyalty.core.http.engine = libuv\n");
  ChildProcess q(coreBinary(), {"--config=" + dir.file("bad.properties")}, dir.file("out2"));
  CHECK(q.wait() == 78);
  CHECK(readFile(dir.file("out2")).find("must be poco or event") != std::string::npos);
  writeFile(dir.file("io.properties"), "loyalty.core.http.ioThreads = 65\n");
  ChildProcess r(coreBinary(), {"--config=" + dir.file("io.properties")}, dir.file("out3"));
  CHECK(r.wait() == 78);
  CHECK(readFile(dir.file("out3")).find("loyalty.core.http.ioThreads") != std::string::npos);
}
