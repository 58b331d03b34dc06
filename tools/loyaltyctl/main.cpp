// loyaltyctl: the admin command line over the loyalty-core's HTTP API. The commands live in
// ctl.cpp; this file only connects them to the real HTTP client and the process.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "loyalty/agent/client.h"
#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/errors.h"
#include "loyaltyctl/ctl.h"

namespace loyalty::tools {
namespace {

// The Error a non-2xx answer stands for: the code its problem+json body names, else one derived
// from the HTTP status.
base::Error errorFromAnswer(const agent::Client::RawResponse& answer) {
  auto problem = protocol::decodeErrorBody(answer.body);
  if (problem.ok()) {
    const auto code = protocol::codeFromName(problem->code);
    return base::makeError(code.value_or(base::ErrorCode::kInternal), problem->detail);
  }
  const bool down = answer.status == 502 || answer.status == 503 || answer.status == 504;
  return base::makeError(down ? base::ErrorCode::kUnavailable : base::ErrorCode::kInternal,
                         "HTTP " + std::to_string(answer.status) + " without a problem body");
}

class ClientCoreApi final : public CoreApi {
 public:
  ClientCoreApi(const Endpoint& core, int timeoutMs, const std::string& token,
                std::shared_ptr<agent::ClientTls> tls)
      : client_(options(core, timeoutMs, token, std::move(tls))) {}

  base::Result<protocol::CustomerHistory> history(const std::string& card) override {
    return client_.history(card);
  }
  base::Result<protocol::CatalogueImportResponse> importCatalogue(const std::string& csv) override {
    return client_.importCatalogue(csv);
  }
  base::Result<std::string> call(const std::string& method, const std::string& path,
                                 const std::string& body) override {
    auto answer = client_.send(method, path, body);
    if (!answer.ok()) {
      return answer.error();
    }
    if (answer->status < 200 || answer->status > 299) {
      return errorFromAnswer(answer.value());
    }
    return std::move(answer.value().body);
  }

 private:
  static agent::ClientOptions options(const Endpoint& core, int timeoutMs, const std::string& token,
                                      std::shared_ptr<agent::ClientTls> tls) {
    agent::ClientOptions o(core.host, core.port, timeoutMs, token);
    o.tls = std::move(tls);
    return o;
  }

  agent::Client client_;
};

// HTTPS to a core that has TLS on: LOYALTY_TLS_CA (the chain's CA certificate) and, because the
// core asks every client for a certificate, LOYALTY_TLS_CERT and LOYALTY_TLS_KEY (one issued by
// loyalty-ca, docs/operations.md). Unset: plain HTTP. Returns false after printing why.
bool tlsFromEnvironment(std::shared_ptr<agent::ClientTls>& tls) {
  const char* ca = std::getenv("LOYALTY_TLS_CA");
  if (ca == nullptr || *ca == '\0') {
    return true;
  }
  agent::ClientTlsFiles files;
  files.caCertificateFile = ca;
  const char* cert = std::getenv("LOYALTY_TLS_CERT");
  const char* key = std::getenv("LOYALTY_TLS_KEY");
  files.certificateFile = cert != nullptr ? cert : "";
  files.privateKeyFile = key != nullptr ? key : "";
  auto created = agent::ClientTls::create(files);
  if (!created.ok()) {
    std::cerr << "loyaltyctl: TLS: " << created.error().message << "\n";
    return false;
  }
  tls = std::move(created).value();
  return true;
}

}  // namespace
}  // namespace loyalty::tools

int main(int argc, char** argv) {
  using loyalty::tools::ClientCoreApi;
  std::vector<std::string> args(argv + 1, argv + argc);
  loyalty::tools::CtlEnvironment env;
  env.core = std::getenv(loyalty::tools::kCoreEnvVar);
  env.token = std::getenv(loyalty::tools::kTokenEnvVar);
  try {
    std::shared_ptr<loyalty::agent::ClientTls> tls;
    if (!loyalty::tools::tlsFromEnvironment(tls)) {
      return 1;
    }
    return loyalty::tools::runLoyaltyctl(
        args, env,
        [tls](const loyalty::tools::Endpoint& core, int timeoutMs, const std::string& token) {
          return std::make_unique<ClientCoreApi>(core, timeoutMs, token, tls);
        },
        std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "loyaltyctl: internal: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "loyaltyctl: internal: unexpected exception\n";
  }
  return 1;
}
