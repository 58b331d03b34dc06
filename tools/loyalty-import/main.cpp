// loyalty-import: the tool's process entry. The work is in import_tool.cpp; this file only
// connects it to the core over HTTP (Poco) and to the process.
#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Timespan.h>

#include <cstdlib>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "loyalty-import/import_tool.h"

namespace loyalty::tools::import {
namespace {

// The integer after "name": in a flat JSON object, or -1.
int64_t jsonInteger(const std::string& body, const std::string& name) {
  const std::string quoted = "\"" + name + "\"";
  size_t at = body.find(quoted);
  if (at == std::string::npos) {
    return -1;
  }
  at = body.find(':', at + quoted.size());
  if (at == std::string::npos) {
    return -1;
  }
  ++at;
  while (at < body.size() && body[at] == ' ') {
    ++at;
  }
  int64_t value = 0;
  bool any = false;
  for (; at < body.size() && body[at] >= '0' && body[at] <= '9'; ++at) {
    value = value * 10 + (body[at] - '0');
    any = true;
  }
  return any ? value : -1;
}

class HttpSink final : public HistorySink {
 public:
  HttpSink(const Endpoint& core, int timeoutMs, std::string token)
      : session_(core.host, core.port), token_(std::move(token)) {
    session_.setTimeout(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(timeoutMs) * 1000));
    session_.setKeepAlive(true);
  }

  base::Result<ChunkAnswer> send(const std::string& csv, const std::string& skuPrefix) override {
    try {
      Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST,
                                     "/v1/admin/history?sku_prefix=" + skuPrefix,
                                     Poco::Net::HTTPMessage::HTTP_1_1);
      request.setContentType("text/csv");
      if (!token_.empty()) {
        request.set("Authorization", "Bearer " + token_);
      }
      request.setContentLength(static_cast<std::streamsize>(csv.size()));
      session_.sendRequest(request).write(csv.data(), static_cast<std::streamsize>(csv.size()));
      Poco::Net::HTTPResponse response;
      std::istream& in = session_.receiveResponse(response);
      std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (response.getStatus() == Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED) {
        return base::makeError(base::ErrorCode::kUnauthorized,
                               "the core wants an admin token (--token or LOYALTY_TOKEN; "
                               "'loyaltyctl login' prints one): " +
                                   body);
      }
      if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
        return base::makeError(
            base::ErrorCode::kUnavailable,
            "the core answered " + std::to_string(response.getStatus()) + ": " + body);
      }
      ChunkAnswer answer;
      answer.importedBaskets = jsonInteger(body, "imported_baskets");
      answer.skippedExisting = jsonInteger(body, "skipped_existing");
      if (answer.importedBaskets < 0 || answer.skippedExisting < 0) {
        return base::makeError(base::ErrorCode::kInternal, "unexpected answer: " + body);
      }
      return answer;
    } catch (const Poco::Exception& e) {
      session_.reset();
      return base::makeError(base::ErrorCode::kUnavailable, "core unreachable: " + e.displayText());
    } catch (const std::exception& e) {
      session_.reset();
      return base::makeError(base::ErrorCode::kUnavailable, std::string("core: ") + e.what());
    }
  }

 private:
  Poco::Net::HTTPClientSession session_;
  const std::string token_;
};

}  // namespace
}  // namespace loyalty::tools::import

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return loyalty::tools::import::runImport(
        args,
        [](const loyalty::tools::Endpoint& core, int timeoutMs, const std::string& token) {
          return std::make_unique<loyalty::tools::import::HttpSink>(core, timeoutMs, token);
        },
        std::cout, std::cerr, std::getenv("LOYALTY_TOKEN"));
  } catch (const std::exception& e) {
    std::cerr << "loyalty-import: internal: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "loyalty-import: internal: unexpected exception\n";
  }
  return 1;
}
