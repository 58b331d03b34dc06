#include <catch2/catch.hpp>

#include "domain/catalogue.h"

using loyalty::base::ErrorCode;
using loyalty::core::domain::Catalogue;
using loyalty::core::domain::parseCatalogueCsv;
using loyalty::core::domain::SaleLine;

TEST_CASE("Catalogue CSV: plain, quoted and CRLF rows", "[domain]") {
  auto r = parseCatalogueCsv(
      "sku,name,category_path,brand\r\n"
      "A1,Milk 1L,dairy/milk,Farm\r\n"
      "B2,\"Wine, red \"\"reserve\"\"\",alcohol/wine,\"Chateau\nX\"\n"
      "\n"
      "C3,Bread,bakery,\n");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 3);
  CHECK((*r)[0].sku == "A1");
  CHECK((*r)[0].categoryPath == "dairy/milk");
  CHECK((*r)[1].name == "Wine, red \"reserve\"");
  CHECK((*r)[1].brand == "Chateau\nX");
  CHECK((*r)[2].brand.empty());
}

TEST_CASE("Catalogue CSV: a repeated sku replaces the earlier row", "[domain]") {
  auto r = parseCatalogueCsv("sku,name,category_path,brand\nA,x,one,b\nA,y,two,b\n");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].categoryPath == "two");
}

TEST_CASE("Catalogue CSV: bad files are refused with the line number", "[domain]") {
  struct Case {
    const char* csv;
    const char* where;
  };
  const Case cases[] = {
      {"", "line 1"},
      {"sku,name,category\nA,b,c\n", "line 1"},
      {"sku,name,category_path,brand\nA,b,c\n", "line 2"},
      {"sku,name,category_path,brand\nA,b,c,d,e\n", "line 2"},
      {"sku,name,category_path,brand\nA,b,c,d\n,b,c,d\n", "line 3"},
      {"sku,name,category_path,brand\nA B,b,c,d\n", "line 2"},
      {"sku,name,category_path,brand\nA,\"unterminated,c,d\n", "line 2"},
      {"sku,name,category_path,brand\nA,b\"x,c,d\n", "line 2"},
  };
  for (const auto& c : cases) {
    auto r = parseCatalogueCsv(c.csv);
    INFO(c.csv);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kInvalidCsv);
    CHECK(r.error().message.find(c.where) != std::string::npos);
  }
}

TEST_CASE("Catalogue: annotates basket lines with category and brand", "[domain]") {
  Catalogue catalogue;
  catalogue.upsert({{"BEER", "Beer", "alcohol/beer", "Brewco"}, {"MILK", "Milk", "dairy", ""}});
  std::vector<loyalty::core::domain::rules::PricedLine> lines(3);
  lines[0].sku = "BEER";
  lines[1].sku = "MILK";
  lines[2].sku = "UNKNOWN";
  lines[2].categoryPath = "stale";
  catalogue.annotate(lines);
  CHECK(lines[0].categoryPath == "alcohol/beer");
  CHECK(lines[0].brand == "Brewco");
  CHECK(lines[1].categoryPath == "dairy");
  CHECK(lines[2].categoryPath.empty());
  CHECK(catalogue.size() == 2);
  CHECK(catalogue.categoryOf("MILK") == std::optional<std::string>("dairy"));
  CHECK_FALSE(catalogue.categoryOf("NOPE").has_value());
}
