// Settings: the pos-agent's configuration (keys loyalty.agent.*), read once at startup from the
// layered Poco configuration and validated. The sample pos-agent.properties documents every key.
//
// Relative paths (outbox.path, http.portFile, coupons.keyDir, core.tls.*) are resolved against
// baseDir, the directory of the configuration file, so the agent never depends on its working
// directory (a daemon runs in /). A key under loyalty.agent. that the agent does not know is an error (it is
// most likely a typo).
//
// Thread safety: readSettings is re-entrant; Settings is a plain value.
#pragma once

#include <memory>
#include <string>

#include "loyalty/base/result.h"
#include "server/agent_server.h"
#include "server/agent_service.h"

namespace Poco::Util {
class AbstractConfiguration;
}  // namespace Poco::Util

namespace loyalty::protocol {
class CouponVerifier;
}  // namespace loyalty::protocol

namespace loyalty::agent {

inline constexpr const char* kConfigPrefix = "loyalty.agent.";

struct Settings {
  AgentServerOptions server;    // http.host, http.port, http.threads
  std::string portFile;         // http.portFile, absolute; empty when not configured
  AgentServiceOptions service;  // core.*, outbox.retry*, outbox.deliveryConcurrency, offers.*
  std::string outboxPath;       // outbox.path, absolute
  std::string couponKeyDir;     // coupons.keyDir, absolute; empty when not configured
  // core.tls.caCertificate, core.tls.certificate, core.tls.privateKey, absolute: all three set
  // (HTTPS with mutual TLS to the core) or none (plain HTTP).
  ClientTlsFiles coreTls;
  bool coreTlsEnabled() const { return !coreTls.caCertificateFile.empty(); }
};

// Errors: kInvalidValue naming the key and what is wrong with it.
base::Result<Settings> readSettings(const Poco::Util::AbstractConfiguration& config,
                                    const std::string& baseDir);

// The coupon verifier of coupons.keyDir: every coupon-key-<id>.pub.pem in it
// (protocol::loadCouponVerifier). An empty keyDir gives nullptr (offline coupons are refused).
// Errors: kInvalidValue naming loyalty.agent.coupons.keyDir when the directory cannot be read,
// holds no public key, or a key file is not an Ed25519 public key (a configuration error).
base::Result<std::shared_ptr<const protocol::CouponVerifier>> loadCouponKeys(
    const std::string& keyDir);

// The TLS state of the core connections for settings.coreTls (files read and checked here);
// nullptr when TLS is not configured. Errors: kInvalidValue naming the loyalty.agent.core.tls.*
// keys when a file cannot be used.
base::Result<std::shared_ptr<ClientTls>> loadCoreTls(const Settings& settings);

// Writes content to path atomically (a temporary file beside it, then rename), so that a reader
// never sees a partly written file.
// Errors: kStorageFailure.
base::Status writeFileAtomically(const std::string& path, const std::string& content);

}  // namespace loyalty::agent
