// Settings: every configuration key of loyalty-core, read once at startup and validated.
// docs/configuration.md lists the keys; loyalty-core/config/loyalty-core.properties is a sample.
#pragma once

#include <cstdint>
#include <string>

#include <Poco/Util/AbstractConfiguration.h>

#include "domain/rules/earn_rules.h"
#include "loyalty/base/result.h"

namespace loyalty::core::app {

struct Settings {
  std::string httpHost = "127.0.0.1";
  uint16_t httpPort = 8440;   // 0: the OS chooses (see portFile)
  std::string portFile;       // when set, the bound port is written here once listening
  int httpThreads = 16;
  int httpQueue = 1024;
  int keepAliveTimeoutS = 15;
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
};

// Reads the loyalty.core.* keys. Relative paths are resolved against baseDir (the directory
// of the configuration file). Errors: kInvalidValue naming the key.
base::Result<Settings> readSettings(const Poco::Util::AbstractConfiguration& config,
                                    const std::string& baseDir);

}  // namespace loyalty::core::app
