// loyalty::agent::Client: the C++ client library for POS software, and the HTTP client the
// pos-agent itself uses to reach the loyalty-core. Both servers speak the same v1 JSON for
// identify, price, commit and refund (docs/protocol.md), so one client serves both.
//
// Errors: a problem+json answer becomes an Error with the code it names; no answer in time is
// kTimeout; a refused or broken connection is kUnavailable; an answer that is not valid protocol
// JSON is kInternal.
//
// TLS: with ClientOptions::tls set, the Client speaks HTTPS: it checks the server's certificate
// against the chain's CA (and that it names the host it connects to), presents its own client
// certificate when one is configured (mutual TLS, as the loyalty-core requires of pos-agents),
// and resumes the TLS session of an earlier connection (of any Client sharing the same ClientTls)
// instead of making a full handshake. A TLS failure (refused certificate, plain-HTTP server) is
// kUnavailable like any other connection failure.
//
// Thread safety: none. A Client keeps one keep-alive connection; use one Client per thread.
// A ClientTls may be shared by any number of Clients on any threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "loyalty/base/result.h"
#include "loyalty/protocol/messages.h"

namespace loyalty::agent {

// The files of a TLS client (PEM). Relative paths are relative to the working directory.
struct ClientTlsFiles {
  std::string caCertificateFile;  // the chain's CA: the server's certificate must chain to it
  std::string certificateFile;    // this client's certificate; empty: none is presented
  std::string privateKeyFile;     // its private key (unencrypted); set exactly when the above is
};

// The TLS state that Clients share: the TLS context built once from the files (TLS 1.2 or 1.3
// only), and the most recent TLS session, which the next new connection offers for resumption.
class ClientTls {
 public:
  // Errors: kInvalidValue naming the file that cannot be read or used (not PEM, key and
  // certificate do not match, the certificate is not issued by the CA).
  static base::Result<std::shared_ptr<ClientTls>> create(const ClientTlsFiles& files);
  ~ClientTls();
  ClientTls(const ClientTls&) = delete;
  ClientTls& operator=(const ClientTls&) = delete;

  // The subject of the client certificate ("CN=S042/T03"), empty without one.
  const std::string& certificateSubject() const;
  // New TLS connections of the Clients sharing this that carried an answer, and how many of
  // them resumed a session (an abbreviated handshake) rather than making a full handshake.
  int64_t connections() const;
  int64_t resumedConnections() const;

  class Impl;  // defined in client.cpp
  Impl& impl() const { return *impl_; }

 private:
  explicit ClientTls(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct ClientOptions {
  ClientOptions() = default;
  ClientOptions(std::string host_, uint16_t port_, int timeoutMs_, std::string bearerToken_ = "")
      : host(std::move(host_)),
        port(port_),
        timeoutMs(timeoutMs_),
        bearerToken(std::move(bearerToken_)) {}

  std::string host = "127.0.0.1";
  uint16_t port = 0;
  int timeoutMs = 2000;  // connect, send and receive, each
  std::string bearerToken;  // when set, sent as "Authorization: Bearer <token>" (admin API)
  std::shared_ptr<ClientTls> tls;  // when set, HTTPS with this TLS state; null: plain HTTP
};

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  base::Result<protocol::IdentifyResponse> identify(const protocol::IdentifyRequest& request);
  base::Result<protocol::PriceResponse> price(const protocol::PriceRequest& request);
  base::Result<protocol::CommitResponse> commit(const protocol::CommitRequest& request);
  base::Result<protocol::RefundResponse> refund(const protocol::RefundRequest& request);
  // Core only.
  base::Result<protocol::CustomerHistory> history(const std::string& card);
  base::Result<protocol::CatalogueImportResponse> importCatalogue(const std::string& csv);
  // Agent only.
  base::Result<protocol::AgentStatus> agentStatus();

  // One raw exchange: method, path, body; returns the HTTP status and the response body.
  // Transport failures are errors; any HTTP status is a value. A non-empty requestId is sent as
  // X-Request-Id (the pos-agent passes the till's own on, so one id follows a sale to the core).
  struct RawResponse {
    int status = 0;
    std::string body;
    std::string contentType;
  };
  base::Result<RawResponse> send(const std::string& method, const std::string& path,
                                 const std::string& body,
                                 const std::string& contentType = "application/json",
                                 const std::string& requestId = "");

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace loyalty::agent
