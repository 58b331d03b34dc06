// loyalty::agent::Client: the C++ client library for POS software, and the HTTP client the
// pos-agent itself uses to reach the loyalty-core. Both servers speak the same v1 JSON for
// identify, price, commit and refund (docs/protocol.md), so one client serves both.
//
// Errors: a problem+json answer becomes an Error with the code it names; no answer in time is
// kTimeout; a refused or broken connection is kUnavailable; an answer that is not valid protocol
// JSON is kInternal.
//
// Thread safety: none. A Client keeps one keep-alive connection; use one Client per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "loyalty/base/result.h"
#include "loyalty/protocol/messages.h"

namespace loyalty::agent {

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
