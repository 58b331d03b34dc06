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
  ClientCoreApi(const Endpoint& core, int timeoutMs, const std::string& token)
      : client_(agent::ClientOptions{core.host, core.port, timeoutMs, token}) {}

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
  agent::Client client_;
};

}  // namespace
}  // namespace loyalty::tools

int main(int argc, char** argv) {
  using loyalty::tools::ClientCoreApi;
  std::vector<std::string> args(argv + 1, argv + argc);
  loyalty::tools::CtlEnvironment env;
  env.core = std::getenv(loyalty::tools::kCoreEnvVar);
  env.token = std::getenv(loyalty::tools::kTokenEnvVar);
  try {
    return loyalty::tools::runLoyaltyctl(
        args, env,
        [](const loyalty::tools::Endpoint& core, int timeoutMs, const std::string& token) {
          return std::make_unique<ClientCoreApi>(core, timeoutMs, token);
        },
        std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "loyaltyctl: internal: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "loyaltyctl: internal: unexpected exception\n";
  }
  return 1;
}
