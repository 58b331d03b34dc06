// loyalty-import's engine without a network: options, chunking and the send loop against a fake
// sink (the real binary against the real core is in history_import_test.cpp).
#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "loyalty-import/import_tool.h"
#include "support/test_support.h"

using namespace loyalty;
using namespace loyalty::tools::import;

namespace {

struct FakeSink final : HistorySink {
  std::vector<std::string>* chunks = nullptr;
  size_t failAt = SIZE_MAX;  // 0-based chunk that fails
  base::Result<ChunkAnswer> send(const std::string& csv, const std::string& prefix) override {
    if (chunks->size() == failAt) {
      return base::makeError(base::ErrorCode::kUnavailable, "core down");
    }
    chunks->push_back(prefix + "|" + csv);
    ChunkAnswer answer;
    // Count the baskets of the chunk: distinct (customer, key) pairs, rows are grouped.
    std::istringstream in(csv);
    std::string line;
    std::string last;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      const std::string basket = line.substr(0, line.find(',', line.find(',') + 1));
      if (basket != last) {
        ++answer.importedBaskets;
        last = basket;
      }
    }
    return answer;
  }
};

ImportBasket basket(const std::string& customer, const std::string& key, size_t lines) {
  ImportBasket b;
  b.customer = customer;
  b.key = key;
  for (size_t i = 0; i < lines; ++i) {
    b.lines.push_back(ImportLine{std::to_string(i), 1, 100});
  }
  return b;
}

}  // namespace

TEST_CASE("ImportTool: options are checked", "[tools]") {
  CHECK(parseImportOptions({"--core", "127.0.0.1:1", "--tafeng", "d"}).ok());
  CHECK(parseImportOptions({"--help"})->help);
  CHECK_FALSE(parseImportOptions({"--tafeng", "d"}).ok());  // no --core
  CHECK_FALSE(parseImportOptions({"--core", "127.0.0.1:1"}).ok());
  CHECK_FALSE(
      parseImportOptions({"--core", "127.0.0.1:1", "--tafeng", "d", "--baskets", "f"}).ok());
  CHECK_FALSE(parseImportOptions({"--core", "127.0.0.1:1", "--tafeng", "d", "--chunk", "0"}).ok());
  CHECK_FALSE(
      parseImportOptions({"--core", "127.0.0.1:1", "--tafeng", "d", "--sku-prefix", "a,b"}).ok());
  CHECK_FALSE(parseImportOptions({"--core", "nope", "--tafeng", "d"}).ok());
  auto o = parseImportOptions(
      {"--core", "127.0.0.1:1", "--baskets", "f.csv", "--chunk", "7", "--sku-prefix", ""});
  REQUIRE(o.ok());
  CHECK(o->chunkBaskets == 7);
  CHECK(o->skuPrefix.empty());
}

TEST_CASE("ImportTool: chunks hold at most N baskets and the row limit, in order", "[tools]") {
  std::vector<ImportBasket> baskets = {basket("1", "a", 3), basket("1", "b", 3),
                                       basket("2", "x,y", 5), basket("3", "c", 1)};
  std::vector<size_t> per;
  auto chunks = chunkCsv(baskets, 2, 6, &per);
  // 3 + 3 rows fill the first chunk; 5 rows, then 1 more would make 6: allowed.
  REQUIRE(chunks.size() == 2);
  CHECK(per == std::vector<size_t>{2, 2});
  CHECK(chunks[0] ==
        "customer_id,basket_key,item_id,quantity,unit_price_cents\n"
        "1,a,0,1,100\n1,a,1,1,100\n1,a,2,1,100\n1,b,0,1,100\n1,b,1,1,100\n1,b,2,1,100\n");
  CHECK(chunks[1].find("2,\"x,y\",4,1,100\n") != std::string::npos);  // quoted key
  auto small = chunkCsv(baskets, 10, 4, &per);
  CHECK(small.size() == 4);  // a basket over the row limit goes alone
}

TEST_CASE("ImportTool: a failed chunk stops the import with exit status 1", "[tools]") {
  loyalty::testing::TempDir dir("loyalty-import-tool");
  {
    std::ofstream f(dir.file("b.csv"));
    f << "customer_id,basket_key,item_id\n1,1,10\n1,2,11\n2,1,12\n3,1,13\n";
  }
  std::vector<std::string> sent;
  std::ostringstream out;
  std::ostringstream err;
  auto sinks = [&](size_t failAt) {
    return [&sent, failAt](const tools::Endpoint&, int) {
      auto sink = std::make_unique<FakeSink>();
      sink->chunks = &sent;
      sink->failAt = failAt;
      return sink;
    };
  };
  const std::vector<std::string> args = {"--core", "127.0.0.1:9", "--baskets", dir.file("b.csv"),
                                         "--chunk", "2"};
  CHECK(runImport(args, sinks(SIZE_MAX), out, err) == 0);
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].rfind("TF|customer_id,basket_key,item_id,quantity,unit_price_cents\n"
                      "1,1,10,1,",
                      0) == 0);
  CHECK(out.str().find("imported 4 baskets") != std::string::npos);
  CHECK(err.str().find("4/4 baskets") != std::string::npos);

  sent.clear();
  std::ostringstream err2;
  CHECK(runImport(args, sinks(1), out, err2) == 1);
  CHECK(sent.size() == 1);
  CHECK(err2.str().find("stopped after 2 of 4 baskets") != std::string::npos);
  CHECK(runImport({"--bogus"}, sinks(SIZE_MAX), out, err2) == 2);
}
