// Settings: every configuration key of loyalty-core, read once at startup and validated.
// docs/configuration.md lists the keys; loyalty-core/config/loyalty-core.properties is a sample.
#pragma once

#include <cstdint>
#include <string>

#include <Poco/Util/AbstractConfiguration.h>

#include "domain/rules/earn_rules.h"
#include "loyalty/base/result.h"

namespace loyalty::core::app {

// TLS of the server (docs/operations.md, "TLS"). Empty certificate: plain HTTP. Otherwise the
// server speaks HTTPS only, and privateKey and caCertificate are set too (readSettings checks).
struct TlsSettings {
  std::string certificate;    // PEM: the core's server certificate (loyalty-ca issue --kind server)
  std::string privateKey;     // PEM: its private key (unencrypted, mode 0600)
  std::string caCertificate;  // PEM: the chain's CA; client certificates must chain to it
  std::string crl;            // PEM CRL of that CA; empty: no revocation check. Re-read on change.
  bool requireClientCertificate = true;  // false: clients without a certificate are let in too

  bool enabled() const { return !certificate.empty(); }
};

struct Settings {
  std::string httpHost = "127.0.0.1";
  uint16_t httpPort = 8440;   // 0: the OS chooses (see portFile)
  std::string portFile;       // when set, the bound port is written here once listening
  int httpThreads = 16;
  int httpQueue = 1024;
  int keepAliveTimeoutS = 15;
  // http.engine: "event" (http/event_server.h: epoll, idle connections cost no thread; HTTP or
  // HTTPS; the default) or "poco" (Poco's HTTPServer: a pool thread per open connection).
  std::string httpEngine = "event";
  // http.ioThreads (engine event): threads that own the connections, reading, writing and
  // making TLS handshakes. Default (0 in the file): 1 without TLS; with TLS the machine's
  // hardware threads, at least 2 and at most 4.
  int httpIoThreads = 1;
  std::string databasePath = "loyalty-core.db";
  int storageMaxBatch = 512;
  int storageReadConnections = 4;
  // The base rate of the programme on first start (before HQ stores one via the admin API).
  domain::rules::BaseRate earn;
  std::string couponKeyDir;      // loyalty-keys output; empty: no coupons are issued or accepted
  int couponSigningKeyId = 1;    // the private key coupon-key-<id>.pem that signs new coupons
  std::string bootstrapUser;          // the first HQ admin, created when there is no user yet
  std::string bootstrapPasswordFile;  // its password: the first line of this file
  int64_t tokenMinutes = 480;
  int64_t passwordIterations = 100'000;
  TlsSettings tls;  // loyalty.core.tls.*
  int64_t neighbourRefreshMinutes = 60;  // rebuild of personalized coupons' neighbour vectors
};

// Reads the loyalty.core.* keys. Relative paths are resolved against baseDir (the directory
// of the configuration file). Errors: kInvalidValue naming the key.
base::Result<Settings> readSettings(const Poco::Util::AbstractConfiguration& config,
                                    const std::string& baseDir);

}  // namespace loyalty::core::app
