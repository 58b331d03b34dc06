// Catalogue: the products the core knows (sku -> name, category path, brand), held in memory for
// the checkout path and persisted through the store.
//
// Import format (docs/protocol.md, "Catalogue import"): CSV, RFC 4180 quoting, a header line
// exactly `sku,name,category_path,brand`, one product per line; an sku seen again replaces the
// earlier row. parseCatalogueCsv() refuses the whole file on the first bad line (kInvalidCsv,
// with its line number), so an import is all or nothing.
//
// Thread safety: all methods may be called concurrently (readers share a lock).
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "domain/model.h"
#include "domain/rules/earn_engine.h"
#include "loyalty/base/result.h"

namespace loyalty::core::domain {

inline constexpr size_t kMaxCatalogueRows = 1'000'000;

base::Result<std::vector<Product>> parseCatalogueCsv(std::string_view csv);

class Catalogue {
 public:
  Catalogue() = default;
  Catalogue(const Catalogue&) = delete;
  Catalogue& operator=(const Catalogue&) = delete;

  void upsert(const std::vector<Product>& products);
  // The sku of a known product with itemIdOf(sku) == itemId (domain/item_id.h), or nullopt.
  std::optional<std::string> skuOfItem(int64_t itemId) const;
  // The product's category path, or nullopt for an unknown sku.
  std::optional<std::string> categoryOf(const std::string& sku) const;
  // Fills each line's categoryPath and brand from the catalogue (empty for an unknown sku).
  // One lock for the whole basket (this is on the checkout path).
  void annotate(std::vector<rules::PricedLine>& lines) const;
  size_t size() const;

 private:
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Product> bySku_;  // guarded by mutex_
  std::unordered_map<int64_t, std::string> skuByItem_;  // itemIdOf(sku) -> sku; guarded by mutex_
};

}  // namespace loyalty::core::domain
