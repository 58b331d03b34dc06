// The configuration of the core's HTTP engine (loyalty.core.http.engine). The checkout and
// idempotency acceptance tests run on both engines (checkout_flow_test, idempotency_test).
#include <catch2/catch.hpp>

#include "integration/daemons.h"

using namespace loyalty::testing;

TEST_CASE("EventEngine: refused with TLS, and an unknown engine is a configuration error",
          "[integration]") {
  TempDir dir("loyalty-ev-config");
  writeFile(dir.file("tls.properties"),
            "loyalty.core.http.port = 0\n"
            "loyalty.core.http.engine = event\n"
            "loyalty.core.tls.certificate = server.pem\n"
            "loyalty.core.tls.privateKey = server.key\n"
            "loyalty.core.tls.caCertificate = ca.pem\n");
  ChildProcess p(coreBinary(), {"--config=" + dir.file("tls.properties")}, dir.file("out"));
  CHECK(p.wait() == 78);  // EX_CONFIG
  CHECK(readFile(dir.file("out")).find("loyalty.core.http.engine") != std::string::npos);
  writeFile(dir.file("bad.properties"), "loyalty.core.http.engine = libuv\n");
  ChildProcess q(coreBinary(), {"--config=" + dir.file("bad.properties")}, dir.file("out2"));
  CHECK(q.wait() == 78);
  CHECK(readFile(dir.file("out2")).find("must be poco or event") != std::string::npos);
}
