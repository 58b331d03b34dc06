// Implementation of loyalty::agent::Client (include/loyalty/agent/client.h) over
// Poco::Net::HTTPClientSession, or Poco::Net::HTTPSClientSession when ClientOptions::tls is set.
// All connection handling lives in Client::Impl::exchange().
//
// TLS: the Poco Context is configured here with OpenSSL directly (files, TLS 1.2+, verification
// without Poco's SSLManager, whose default certificate handler could prompt on a console). A
// session is resumed by handing the stored one to the socket before it connects; the session is
// stored after the first answer on a connection, because in TLS 1.3 the server's session ticket
// arrives after the handshake.
#include "loyalty/agent/client.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/Session.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <cstdio>
#include <exception>
#include <istream>
#include <mutex>
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

// TLS 1.2 suites: forward secrecy and AEAD only (TLS 1.3 uses OpenSSL's defaults, all AEAD).
constexpr const char* kTls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20";

// The OpenSSL error queue as text (emptied).
std::string opensslErrors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {  // NOLINT(google-runtime-int): OpenSSL API
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    text += (text.empty() ? "" : "; ") + std::string(buffer);
  }
  return text.empty() ? std::string("unknown OpenSSL error") : text;
}

// Never prompts for a passphrase (a daemon has no console); encrypted keys are refused.
int noPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return 0; }

}  // namespace

// ---- ClientTls ------------------------------------------------------------------------------

class ClientTls::Impl {
 public:
  explicit Impl(Poco::Net::Context::Ptr context, std::string subject)
      : context_(std::move(context)), subject_(std::move(subject)) {}

  const Poco::Net::Context::Ptr& context() const { return context_; }
  const std::string& subject() const { return subject_; }

  Poco::Net::Session::Ptr session() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return session_;
  }

  // A new connection has carried its first exchange: count it and keep its session.
  void noteConnection(bool resumed, Poco::Net::Session::Ptr session) {
    connections_.fetch_add(1);
    if (resumed) {
      resumed_.fetch_add(1);
    }
    if (!session.isNull() && SSL_SESSION_is_resumable(session->sslSession()) == 1) {
      std::lock_guard<std::mutex> lock(mutex_);
      session_ = std::move(session);
    }
  }

  int64_t connections() const { return connections_.load(); }
  int64_t resumed() const { return resumed_.load(); }

 private:
  const Poco::Net::Context::Ptr context_;
  const std::string subject_;
  mutable std::mutex mutex_;
  Poco::Net::Session::Ptr session_;  // guarded by mutex_
  std::atomic<int64_t> connections_{0};
  std::atomic<int64_t> resumed_{0};
};

namespace {

base::Error badTlsFile(const std::string& file, const std::string& what) {
  return makeError(ErrorCode::kInvalidValue, file + ": " + what);
}

// The subject of the context's own certificate, "" without one.
std::string ownCertificateSubject(SSL_CTX* ctx) {
  X509* cert = SSL_CTX_get0_certificate(ctx);
  if (cert == nullptr) {
    return "";
  }
  BIO* bio = BIO_new(BIO_s_mem());
  std::string subject = "?";
  if (bio != nullptr &&
      X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);  // NOLINT(google-runtime-int): OpenSSL
    subject.assign(data, length > 0 ? static_cast<size_t>(length) : 0);  // "CN=S042/T03"
  }
  BIO_free(bio);
  return subject;
}

// Checks that the client certificate chains to the CA (a till given another chain's certificate
// would otherwise only learn it from the core's refusal).
base::Status checkOwnCertificate(SSL_CTX* ctx, const std::string& certificateFile) {
  X509* cert = SSL_CTX_get0_certificate(ctx);
  X509_STORE_CTX* check = X509_STORE_CTX_new();
  bool ok = check != nullptr &&
            X509_STORE_CTX_init(check, SSL_CTX_get_cert_store(ctx), cert, nullptr) == 1 &&
            X509_STORE_CTX_set_purpose(check, X509_PURPOSE_SSL_CLIENT) == 1;
  std::string reason = "cannot check it";
  if (ok) {
    ok = X509_verify_cert(check) == 1;
    reason = X509_verify_cert_error_string(X509_STORE_CTX_get_error(check));
  }
  X509_STORE_CTX_free(check);
  ERR_clear_error();
  if (!ok) {
    return badTlsFile(certificateFile, "not usable with the CA certificate: " + reason);
  }
  return base::okStatus();
}

}  // namespace

base::Result<std::shared_ptr<ClientTls>> ClientTls::create(const ClientTlsFiles& files) {
  if (files.caCertificateFile.empty()) {
    return makeError(ErrorCode::kInvalidValue, "TLS needs the CA certificate file");
  }
  if (files.certificateFile.empty() != files.privateKeyFile.empty()) {
    return makeError(ErrorCode::kInvalidValue,
                     "a client certificate and its private key go together");
  }
  try {
    Poco::Net::Context::Params params;
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;  // checks the host name too
    params.loadDefaultCAs = false;                                // only the chain's own CA
    params.cipherList = kTls12Ciphers;
    // Poco lists X448 first; X25519 costs about 0.4 ms less per handshake on each side
    // (measured with loyalty-bench --scenario reconnect --tls).
    params.ecdhCurve = "X25519:P-256";
    Poco::Net::Context::Ptr context(
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params));
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    context->enableExtendedCertificateVerification(true);  // the certificate must name the host
    SSL_CTX* ctx = context->sslContext();
    ERR_clear_error();
    // OpenSSL's own chain verification; Poco's callback would consult the SSLManager.
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_default_passwd_cb(ctx, &noPassphrase);
    if (SSL_CTX_load_verify_locations(ctx, files.caCertificateFile.c_str(), nullptr) != 1) {
      return badTlsFile(files.caCertificateFile,
                        "cannot load the CA certificate: " + opensslErrors());
    }
    if (!files.certificateFile.empty()) {
      if (SSL_CTX_use_certificate_chain_file(ctx, files.certificateFile.c_str()) != 1) {
        return badTlsFile(files.certificateFile, "cannot load the certificate: " + opensslErrors());
      }
      if (SSL_CTX_use_PrivateKey_file(ctx, files.privateKeyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
        return badTlsFile(files.privateKeyFile,
                          "cannot load the private key (PEM, unencrypted): " + opensslErrors());
      }
      if (SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        return badTlsFile(files.privateKeyFile,
                          "does not belong to the certificate " + files.certificateFile);
      }
      if (auto usable = checkOwnCertificate(ctx, files.certificateFile); !usable.ok()) {
        return usable.error();
      }
    }
    std::string subject = ownCertificateSubject(ctx);
    return std::shared_ptr<ClientTls>(
        new ClientTls(std::make_unique<Impl>(std::move(context), std::move(subject))));
  } catch (const Poco::Exception& e) {
    ERR_clear_error();
    return makeError(ErrorCode::kInvalidValue, "cannot set up TLS: " + e.displayText());
  }
}

ClientTls::ClientTls(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ClientTls::~ClientTls() = default;

const std::string& ClientTls::certificateSubject() const { return impl_->subject(); }
int64_t ClientTls::connections() const { return impl_->connections(); }
int64_t ClientTls::resumedConnections() const { return impl_->resumed(); }

namespace {

// An HTTPS session that offers the shared stored TLS session whenever it (re)connects, and
// reports each new connection to the ClientTls once its first answer has been read.
class ResumingHttpsSession final : public Poco::Net::HTTPSClientSession {
 public:
  ResumingHttpsSession(const std::string& host, uint16_t port, ClientTls::Impl& tls)
      : HTTPSClientSession(host, port, tls.context()), tls_(tls) {}

  // Call after an answer has been read.
  void noteExchange() {
    if (!fresh_) {
      return;
    }
    fresh_ = false;
    Poco::Net::SecureStreamSocket socket(this->socket());
    tls_.noteConnection(socket.sessionWasReused(), socket.currentSession());
  }

 protected:
  void connect(const Poco::Net::SocketAddress& address) override {
    fresh_ = false;
    Poco::Net::SecureStreamSocket socket(this->socket());
    Poco::Net::Session::Ptr stored = tls_.session();
    if (!stored.isNull()) {
      socket.useSession(stored);
    }
    HTTPSClientSession::connect(address);  // the handshake; throws when it fails
    fresh_ = true;
  }

 private:
  ClientTls::Impl& tls_;
  bool fresh_ = false;  // connected, the first answer not yet read
};

}  // namespace

// ---- Client -----------------------------------------------------------------------------------

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
      if (options_.tls != nullptr) {
        auto https = std::make_unique<ResumingHttpsSession>(options_.host, options_.port,
                                                            options_.tls->impl());
        tlsSession_ = https.get();
        session_ = std::move(https);
      } else {
        session_ = std::make_unique<Poco::Net::HTTPClientSession>(options_.host, options_.port);
      }
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
    if (tlsSession_ != nullptr) {
      tlsSession_->noteExchange();
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
      tlsSession_ = nullptr;
    }
  }

  std::string endpoint() const { return options_.host + ":" + std::to_string(options_.port); }

  const ClientOptions options_;
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
  ResumingHttpsSession* tlsSession_ = nullptr;  // session_ when it is HTTPS
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
