// loyalty-import's admin token (tools/loyalty-import/import_tool.h): --token, else LOYALTY_TOKEN,
// handed to the sink that sends the chunks; no token at all is passed on as "".
#include <catch2/catch.hpp>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "loyalty-import/import_tool.h"
#include "support/test_support.h"

namespace loyalty::tools::import {
namespace {

class CountingSink final : public HistorySink {
 public:
  base::Result<ChunkAnswer> send(const std::string&, const std::string&) override {
    ChunkAnswer a;
    a.importedBaskets = 1;
    return a;
  }
};

// Runs an import of a one-basket file; returns the token the sink factory was given.
std::string tokenSeen(const std::vector<std::string>& extraArgs, const char* envToken) {
  testing::TempDir dir("loyalty-import-token");
  testing::writeFile(dir.file("b.csv"), "customer_id,basket_key,item_id\n1,1,10\n");
  std::vector<std::string> args = {"--core", "127.0.0.1:9", "--baskets", dir.file("b.csv")};
  args.insert(args.end(), extraArgs.begin(), extraArgs.end());
  std::string seen = "(not called)";
  std::ostringstream out;
  std::ostringstream err;
  const int exit = runImport(
      args,
      [&seen](const Endpoint&, int, const std::string& token) {
        seen = token;
        return std::make_unique<CountingSink>();
      },
      out, err, envToken);
  INFO(err.str());
  CHECK(exit == 0);
  return seen;
}

TEST_CASE("loyalty-import: the token comes from --token, else LOYALTY_TOKEN", "[tools]") {
  CHECK(tokenSeen({"--token", "from-flag"}, "from-env") == "from-flag");
  CHECK(tokenSeen({}, "from-env") == "from-env");
  CHECK(tokenSeen({}, nullptr).empty());
  CHECK(parseImportOptions({"--core", "h:1", "--tafeng", "d", "--token", "t"})->token == "t");
  CHECK_FALSE(parseImportOptions({"--core", "h:1", "--tafeng", "d", "--token"}).ok());
  CHECK(importUsage().find("--token") != std::string::npos);
}

}  // namespace
}  // namespace loyalty::tools::import
