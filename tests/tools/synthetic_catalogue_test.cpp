// Tests of the synthetic catalogue derivation (tools/common/synthetic_catalogue.h). The pinned
// values were computed independently of this code from the formulas in the header; if one of
// them changes, every run and every document that used the old derivation is invalidated.
#include "common/synthetic_catalogue.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "loyalty/protocol/card.h"
#include "loyalty/protocol/limits.h"

namespace loyalty::tools {
namespace {

TEST_CASE("Catalogue: h is SplitMix64", "[tools]") {
  // The published SplitMix64 outputs: seed 0, and the first three for seed 1234567 (each output
  // is h of the previous state plus the golden gamma).
  CHECK(splitmix64(0) == 0xE220A8397B1DCDAFULL);
  const uint64_t gamma = 0x9E3779B97F4A7C15ULL;
  CHECK(splitmix64(1234567) == 6457827717110365317ULL);
  CHECK(splitmix64(1234567 + gamma) == 3203168211198807973ULL);
  CHECK(splitmix64(1234567 + 2 * gamma) == 9817491932198370423ULL);
}

TEST_CASE("Catalogue: pinned items", "[tools]") {
  struct Pinned {
    int64_t id;
    int64_t cents;
    const char* category;
    const char* brand;
  };
  const Pinned pinned[] = {
      {0, 201, "beverages/soft-drinks", "Brand 2"},
      {1, 1584, "produce/fruit", "Brand 22"},
      {2, 178, "bakery", "Brand 57"},
      {3, 662, "bakery", "Brand 0"},
      {42, 1778, "frozen", "Brand 42"},
      {11996, 1930, "dairy/milk", "Brand 33"},
  };
  for (const Pinned& p : pinned) {
    INFO("item " << p.id);
    const CatalogueItem item = catalogueItem(p.id);
    CHECK(item.itemId == p.id);
    CHECK(item.sku == "TF" + std::to_string(p.id));
    CHECK(item.name == "Item " + std::to_string(p.id));
    CHECK(item.unitPrice == base::Money(p.cents));
    CHECK(item.categoryPath == p.category);
    CHECK(item.brand == p.brand);
    CHECK(skuOf(p.id) == item.sku);
    CHECK(unitPriceOf(p.id) == item.unitPrice);
    CHECK(categoryOf(p.id) == item.categoryPath);
    CHECK(brandOf(p.id) == item.brand);
  }
}

TEST_CASE("Catalogue: prices span 0.49 to 19.99, every category and brand is used", "[tools]") {
  int64_t lo = INT64_MAX;
  int64_t hi = INT64_MIN;
  std::set<std::string_view> categories;
  std::set<std::string> brands;
  for (int64_t i = 0; i < 100'000; ++i) {
    const int64_t p = unitPriceOf(i).value();
    lo = std::min(lo, p);
    hi = std::max(hi, p);
    if (i < 12'000) {
      categories.insert(categoryOf(i));
      brands.insert(brandOf(i));
    }
  }
  CHECK(lo == 49);
  CHECK(hi == 1999);
  CHECK(categories.size() == kCategories.size());
  CHECK(brands.size() == kBrandCount);
  // The categories a store typically excludes from earning are all there.
  for (const char* excluded :
       {"tobacco", "alcohol/beer", "alcohol/wine", "deposits", "gift-cards"}) {
    CHECK(categories.count(excluded) == 1);
  }
}

TEST_CASE("Catalogue: quantities follow the documented formula", "[tools]") {
  // Pinned: user 1, basket 0, items 0..19, and a far corner.
  const int64_t expected[] = {1, 1, 1, 1, 1, 1, 3, 1, 2, 1, 1, 2, 1, 2, 1, 1, 1, 1, 1, 1};
  for (int64_t i = 0; i < 20; ++i) {
    INFO("item " << i);
    CHECK(quantityOf(1, 0, i) == expected[i]);
  }
  CHECK(quantityOf(13949, 5, 11996) == 1);

  // The formula itself, restated.
  for (int64_t u = 0; u < 30; ++u) {
    for (size_t b = 0; b < 5; ++b) {
      for (int64_t i = 0; i < 30; ++i) {
        const uint64_t r =
            splitmix64(static_cast<uint64_t>(u) * 1000003 + b * 7919 + static_cast<uint64_t>(i)) %
            10;
        const int64_t want = r == 0 ? 3 : r < 3 ? 2 : 1;
        REQUIRE(quantityOf(u, b, i) == want);
      }
    }
  }

  // Distribution over 100,000 draws: 70% ones, 20% twos, 10% threes (exact counts pinned).
  std::map<int64_t, int> counts;
  for (int64_t u = 0; u < 100; ++u) {
    for (size_t b = 0; b < 10; ++b) {
      for (int64_t i = 0; i < 100; ++i) {
        ++counts[quantityOf(u, b, i)];
      }
    }
  }
  CHECK(counts.size() == 3);
  CHECK(counts[1] == 69'881);
  CHECK(counts[2] == 20'032);
  CHECK(counts[3] == 10'087);
}

TEST_CASE("Catalogue: cards are valid, distinct and pinned", "[tools]") {
  CHECK(cardOf(0) == "9000000000019");
  CHECK(cardOf(1) == "9000000000027");
  CHECK(cardOf(13949) == "9000000139502");
  CHECK(cardOf(41) == protocol::cardForCustomerNumber(42));
  std::set<std::string> seen;
  for (int64_t u = 0; u < 20'000; ++u) {
    const std::string card = cardOf(u);
    REQUIRE(protocol::isValidCard(card));
    REQUIRE(seen.insert(card).second);
  }
}

TEST_CASE("Catalogue: basket lines are numbered in item order", "[tools]") {
  const std::vector<int64_t> items = {6, 42, 0, 8};
  const auto lines = basketLines(1, 0, items);
  REQUIRE(lines.size() == 4);
  int64_t total = 0;
  for (size_t k = 0; k < lines.size(); ++k) {
    INFO("line " << k + 1);
    CHECK(lines[k].line == static_cast<int64_t>(k) + 1);
    CHECK(lines[k].sku == skuOf(items[k]));
    CHECK(lines[k].quantity == quantityOf(1, 0, items[k]));
    CHECK(lines[k].unitPrice == unitPriceOf(items[k]));
    CHECK(lines[k].quantity <= protocol::kMaxQuantity);
    total += lines[k].quantity * lines[k].unitPrice.value();
  }
  CHECK(lines[0].quantity == 3);  // item 6 of user 1's first basket (pinned above)
  CHECK(lines[3].quantity == 2);  // item 8
  CHECK(basketTotal(lines) == base::Money(total));
  CHECK(basketLines(1, 0, {}).empty());
  CHECK(basketTotal({}) == base::Money(0));
}

TEST_CASE("Catalogue: CSV fields are quoted only where RFC 4180 needs it", "[tools]") {
  CHECK(csvField("Brand 7") == "Brand 7");
  CHECK(csvField("") == "");
  CHECK(csvField("a,b") == "\"a,b\"");
  CHECK(csvField("12\" pizza") == "\"12\"\" pizza\"");
  CHECK(csvField("two\nlines") == "\"two\nlines\"");
  CHECK(csvField("cr\r") == "\"cr\r\"");
  CHECK(csvField("\"") == "\"\"\"\"");
}

TEST_CASE("Catalogue: the CSV has the header and one row per item, in order", "[tools]") {
  const std::string csv = catalogueCsv({3, 0, 42});
  CHECK(csv ==
        "sku,name,category_path,brand\n"
        "TF3,Item 3,bakery,Brand 0\n"
        "TF0,Item 0,beverages/soft-drinks,Brand 2\n"
        "TF42,Item 42,frozen,Brand 42\n");
  CHECK(catalogueCsv({}) == "sku,name,category_path,brand\n");
}

}  // namespace
}  // namespace loyalty::tools
