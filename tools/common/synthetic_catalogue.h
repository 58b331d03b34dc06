// Synthetic catalogue: the documented, deterministic derivation of what the preprocessed TaFeng
// data lacks (prices, quantities, product names, categories, brands, card numbers), so that every
// tool and every run turns the same basket into the same sale.
//
// The derivation (normative; docs copy it):
//
//   h(x) = splitmix64(x): the first output of Vigna's SplitMix64 generator seeded with x, i.e.
//          z = x + 0x9E3779B97F4A7C15;
//          z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
//          z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
//          h = z ^ (z >> 31)
//          all in unsigned 64-bit arithmetic (wrapping). Item and user ids are >= 0 and are
//          converted to uint64 unchanged.
//   For item id i, with C1 = kCategorySalt = 0x43415445474F5259 ("CATEGORY") and
//   C2 = kBrandSalt = 0x4252414E44535F5F ("BRANDS__"):
//     sku        = "TF" + decimal(i)                   e.g. item 42 -> "TF42"
//     name       = "Item " + decimal(i)
//     unit price = 49 + h(i) % 1951 cents              0.49 .. 19.99
//     category   = kCategories[h(i ^ C1) % 20]
//     brand      = "Brand " + decimal(h(i ^ C2) % 60)  "Brand 0" .. "Brand 59"
//   kCategories (index: path):
//      0 produce/fruit         1 produce/vegetables     2 dairy/milk            3 dairy/cheese
//      4 dairy/yoghurt         5 bakery                 6 meat/fresh            7 fish
//      8 frozen                9 pantry/rice-pasta     10 pantry/canned        11 snacks
//     12 beverages/soft-drinks 13 household/cleaning   14 personal-care        15 tobacco
//     16 alcohol/beer         17 alcohol/wine          18 deposits             19 gift-cards
//   Quantity of item i in basket b of user u (b = 0-based index into the shopper's baskets,
//   history first, as in TaFengData):
//     r = h(u * 1000003 + b * 7919 + i) % 10                 (uint64 arithmetic)
//     quantity = 1 + (r == 0 ? 2 : r < 3 ? 1 : 0)            so 3 with p=0.1, 2 with p=0.2, else 1
//   Card of user u: protocol::cardForCustomerNumber(u + 1)   "9" + 11-digit (u+1) + Luhn digit
//     (u + 1 keeps customer number 0 unused whatever the preprocessing; the shared TaFeng files
//     number users from 1, so user 1 holds card 9000000000027)
//   Basket lines of (u, b, items): line numbers 1..n in item order; sku, quantity and unit price
//     as above.
//   Catalogue CSV: header "sku,name,category_path,brand", one row per item in the order given,
//     rows ending in "\n"; a field is quoted (RFC 4180: wrapped in '"', inner '"' doubled) when it
//     contains a comma, a double quote, CR or LF. Prices are not part of the catalogue: the till
//     sends them with each basket.
//
// Thread safety: all functions are pure and re-entrant.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/base/money.h"
#include "loyalty/protocol/messages.h"

namespace loyalty::tools {

inline constexpr uint64_t kCategorySalt = 0x43415445474F5259ULL;  // "CATEGORY"
inline constexpr uint64_t kBrandSalt = 0x4252414E44535F5FULL;     // "BRANDS__"
inline constexpr int64_t kMinUnitPrice = 49;                      // cents
inline constexpr int64_t kUnitPriceSpread = 1951;                 // prices 49 .. 1999 cents
inline constexpr uint64_t kBrandCount = 60;

inline constexpr std::array<std::string_view, 20> kCategories = {
    "produce/fruit",          // 0
    "produce/vegetables",     // 1
    "dairy/milk",             // 2
    "dairy/cheese",           // 3
    "dairy/yoghurt",          // 4
    "bakery",                 // 5
    "meat/fresh",             // 6
    "fish",                   // 7
    "frozen",                 // 8
    "pantry/rice-pasta",      // 9
    "pantry/canned",          // 10
    "snacks",                 // 11
    "beverages/soft-drinks",  // 12
    "household/cleaning",     // 13
    "personal-care",          // 14
    "tobacco",                // 15
    "alcohol/beer",           // 16
    "alcohol/wine",           // 17
    "deposits",               // 18
    "gift-cards",             // 19
};

inline constexpr const char* kCatalogueCsvHeader = "sku,name,category_path,brand";

// h(x): SplitMix64's first output for seed x (see above).
constexpr uint64_t splitmix64(uint64_t x) {
  uint64_t z = x + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

struct CatalogueItem {
  int64_t itemId = 0;
  std::string sku;
  std::string name;
  std::string categoryPath;
  std::string brand;
  base::Money unitPrice;
};

// Requires (all): itemId >= 0, userId >= 0.
std::string skuOf(int64_t itemId);
base::Money unitPriceOf(int64_t itemId);
std::string_view categoryOf(int64_t itemId);
std::string brandOf(int64_t itemId);
CatalogueItem catalogueItem(int64_t itemId);

int64_t quantityOf(int64_t userId, size_t basketIndex, int64_t itemId);

// Requires: userId + 1 < 10^11.
std::string cardOf(int64_t userId);

// The lines of a CommitRequest (and PriceRequest) for one basket.
std::vector<protocol::BasketLine> basketLines(int64_t userId, size_t basketIndex,
                                              const std::vector<int64_t>& items);

// Sum of quantity * unit price over the lines.
base::Money basketTotal(const std::vector<protocol::BasketLine>& lines);

// One CSV field, quoted when needed (RFC 4180).
std::string csvField(std::string_view field);

// The catalogue CSV (header and one row per item id, in the given order).
std::string catalogueCsv(const std::vector<int64_t>& itemIds);

}  // namespace loyalty::tools
