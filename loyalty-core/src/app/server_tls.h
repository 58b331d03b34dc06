// ServerTls: the loyalty-core's TLS server context, mutual TLS with the pos-agents
// (docs/operations.md, "TLS: the chain's CA, terminal certificates, revocation").
//
// - TLS 1.2 or 1.3 only; TLS 1.2 suites with forward secrecy and AEAD only; no renegotiation.
// - Client certificates are verified against the chain's CA during the handshake (required by
//   default), and against the CA's CRL when one is configured: a revoked terminal is refused in
//   the handshake. The CRL file is re-read when it changes (checked at most once a second, at a
//   handshake), so `loyalty-ca revoke` takes effect without a restart; a new file that is not a
//   valid CRL of the CA is ignored with a warning and the previous list stays in force.
// - Session resumption: stateless session tickets (TLS 1.2 and 1.3) and a session cache, so that
//   a reconnecting agent makes an abbreviated handshake. A resumed session skips certificate
//   verification, so every ticket is checked again before use: a session whose client
//   certificate has been revoked or has expired since is refused (full handshake, then refused);
//   a changed CRL also flushes the session cache.
// - Refused client certificates are logged (logger loyalty.core.tls) with the peer address and
//   the subject, at most once a minute per certificate.
//
// Thread safety: the callbacks run on any server thread; the CRL state is guarded by a mutex.
// Lifetime: the ServerTls must outlive every socket made with context() (the callbacks point at
// it): create it before the server socket, destroy it after the server has stopped.
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/ServerSocket.h>

#include <memory>
#include <string>

#include "app/settings.h"
#include "loyalty/base/result.h"

namespace loyalty::core::app {

class ServerTls {
 public:
  // Requires: settings.enabled(). Errors: kInvalidValue naming the key whose file cannot be used
  // (unreadable, not PEM, key and certificate do not match, certificate not issued by the CA,
  // a CRL that the CA did not sign).
  static base::Result<std::unique_ptr<ServerTls>> create(const TlsSettings& settings);
  ~ServerTls();
  ServerTls(const ServerTls&) = delete;
  ServerTls& operator=(const ServerTls&) = delete;

  Poco::Net::Context::Ptr context() const;
  // A new unbound server socket that speaks TLS with context() (a Poco SecureServerSocket).
  Poco::Net::ServerSocket newServerSocket() const;
  // One line for the startup log: certificate subject, CA, client certificates, CRL entries.
  std::string summary() const;

  class State;  // server_tls.cpp

 private:
  explicit ServerTls(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace loyalty::core::app
