// Implementation of loyalty::agent::Client (include/loyalty/agent/client.h) over
// Poco::Net::HTTPClientSession. All connection handling lives in Client::Impl::exchange(), the one
// place to change when the agent talks TLS to the core.
#include "loyalty/agent/client.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <exception>
#include <istream>
#include <ostream>
#include <utility>

#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/errors.h"

namespace loyalty::agent {

namespace {

using base::ErrorCode;
using base::makeError;

// An answer bigger than this is refused (a customer history is the largest legitimate answer).
constexpr size_t kMaxResponseBytes = size_t{64} * 1024 * 1024;
constexpr const char* kJson = "application/json";

bool isSuccess(int status) { return status >= 200 && status <= 299; }

// The Error a non-2xx answer stands for: the code its problem+json body names, else one derived
// from the HTTP status.
base::Error errorFromAnswer(const Client::RawResponse& answer) {
  base::Result<protocol::ErrorBody> problem = protocol::decodeErrorBody(answer.body);
  if (problem.ok()) {
    std::optional<ErrorCode> code = protocol::codeFromName(problem->code);
    return makeError(code.value_or(ErrorCode::kInternal), problem->detail);
  }
  ErrorCode code = ErrorCode::kInternal;
  if (answer.status == 502 || answer.status == 503 || answer.status == 504) {
    code = ErrorCode::kUnavailable;
  }
  return makeError(code, "HTTP " + std::to_string(answer.status) + " without a problem body");
}

template <typename T>
using Decoder = base::Result<T> (*)(std::string_view);

template <typename T>
base::Result<T> decodeAnswer(base::Result<Client::RawResponse> answer, Decoder<T> decode) {
  if (!answer.ok()) {
    return answer.error();
  }
  if (!isSuccess(answer->status)) {
    return errorFromAnswer(*answer);
  }
  base::Result<T> decoded = decode(answer->body);
  if (!decoded.ok()) {
    return makeError(ErrorCode::kInternal,
                     "the server's answer is not valid protocol JSON: " + decoded.error().message);
  }
  return decoded;
}

}  // namespace

class Client::Impl {
 public:
  explicit Impl(ClientOptions options) : options_(std::move(options)) {}

  base::Result<RawResponse> exchange(const std::string& method, const std::string& path,
                                     const std::string& body, const std::string& contentType,
                                     const std::string& requestId) {
    // A keep-alive connection the server has closed meanwhile fails on first use: try once more
    // on a fresh connection. Every call we make is idempotent (POSTs carry an idempotency key).
    // A timeout is not retried: the caller's time budget is spent.
    for (int attempt = 0;; ++attempt) {
      bool reused = session_ != nullptr && session_->connected();
      try {
        return exchangeOnce(method, path, body, contentType, requestId);
      } catch (const Poco::TimeoutException&) {
        resetSession();
        return makeError(ErrorCode::kTimeout, "no answer from " + endpoint() + " within " +
                                                  std::to_string(options_.timeoutMs) + " ms");
      } catch (const Poco::Exception& e) {
        resetSession();
        if (reused && attempt == 0) {
          continue;
        }
        return makeError(ErrorCode::kUnavailable, endpoint() + ": " + e.displayText());
      } catch (const std::exception& e) {
        resetSession();
        return makeError(ErrorCode::kInternal, endpoint() + ": " + e.what());
      }
    }
  }

 private:
  RawResponse exchangeOnce(const std::string& method, const std::string& path,
                           const std::string& body, const std::string& contentType,
                           const std::string& requestId) {
    if (session_ == nullptr) {
      session_ = std::make_unique<Poco::Net::HTTPClientSession>(options_.host, options_.port);
      Poco::Timespan timeout(static_cast<long>(options_.timeoutMs) * 1000);
      session_->setTimeout(timeout, timeout, timeout);
      session_->setKeepAlive(true);
    }
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setKeepAlive(true);
    request.set("Accept", "application/json, application/problem+json");
    if (!requestId.empty()) {
      request.set("X-Request-Id", requestId);
    }
    if (!options_.bearerToken.empty()) {
      request.set("Authorization", "Bearer " + options_.bearerToken);
    }
    bool hasBody = !(method == Poco::Net::HTTPRequest::HTTP_GET && body.empty());
    if (hasBody) {
      request.setContentType(contentType);
      request.setContentLength64(static_cast<Poco::Int64>(body.size()));
    }
    std::ostream& out = session_->sendRequest(request);
    if (hasBody) {
      out.write(body.data(), static_cast<std::streamsize>(body.size()));
    }
    if (!out) {
      rethrowNetworkError("cannot send the request");
    }

    Poco::Net::HTTPResponse response;
    std::istream& in = session_->receiveResponse(response);
    RawResponse answer;
    answer.status = static_cast<int>(response.getStatus());
    answer.contentType = response.getContentType();
    char buffer[8192];
    while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
      answer.body.append(buffer, static_cast<size_t>(in.gcount()));
      if (answer.body.size() > kMaxResponseBytes) {
        throw Poco::Net::MessageException("answer larger than " +
                                          std::to_string(kMaxResponseBytes) + " bytes");
      }
    }
    if (in.bad()) {
      rethrowNetworkError("answer body cut short");
    }
    return answer;
  }

  // Poco's streams turn a socket exception into badbit and keep it in the session: throw it
  // again so that a timeout stays a timeout.
  [[noreturn]] void rethrowNetworkError(const std::string& fallback) {
    if (const Poco::Exception* e = session_->networkException()) {
      e->rethrow();
    }
    throw Poco::IOException(fallback);
  }

  void resetSession() {
    // Drop the connection: after a failure its state is unknown (a late answer could otherwise
    // be read as the answer to the next request).
    if (session_ != nullptr) {
      try {
        session_->reset();
      } catch (...) {
        // Closing a broken socket may throw; the session is discarded anyway.
      }
      session_.reset();
    }
  }

  std::string endpoint() const { return options_.host + ":" + std::to_string(options_.port); }

  const ClientOptions options_;
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Client::~Client() = default;

base::Result<Client::RawResponse> Client::send(const std::string& method, const std::string& path,
                                               const std::string& body,
                                               const std::string& contentType,
                                               const std::string& requestId) {
  return impl_->exchange(method, path, body, contentType, requestId);
}

base::Result<protocol::IdentifyResponse> Client::identify(
    const protocol::IdentifyRequest& request) {
  return decodeAnswer(send("POST", "/v1/identify", protocol::encode(request), kJson),
                      &protocol::decodeIdentifyResponse);
}

base::Result<protocol::PriceResponse> Client::price(const protocol::PriceRequest& request) {
  return decodeAnswer(send("POST", "/v1/price", protocol::encode(request), kJson),
                      &protocol::decodePriceResponse);
}

base::Result<protocol::CommitResponse> Client::commit(const protocol::CommitRequest& request) {
  return decodeAnswer(send("POST", "/v1/commit", protocol::encode(request), kJson),
                      &protocol::decodeCommitResponse);
}

base::Result<protocol::RefundResponse> Client::refund(const protocol::RefundRequest& request) {
  return decodeAnswer(send("POST", "/v1/refund", protocol::encode(request), kJson),
                      &protocol::decodeRefundResponse);
}

base::Result<protocol::CustomerHistory> Client::history(const std::string& card) {
  std::string encoded;
  Poco::URI::encode(card, "/?#%", encoded);
  return decodeAnswer(send("GET", "/v1/customers/" + encoded + "/history", "", kJson),
                      &protocol::decodeCustomerHistory);
}

base::Result<protocol::CatalogueImportResponse> Client::importCatalogue(const std::string& csv) {
  return decodeAnswer(send("PUT", "/v1/admin/catalogue", csv, "text/csv"),
                      &protocol::decodeCatalogueImportResponse);
}

base::Result<protocol::AgentStatus> Client::agentStatus() {
  return decodeAnswer(send("GET", "/v1/agent/status", "", kJson), &protocol::decodeAgentStatus);
}

}  // namespace loyalty::agent
