#include "domain/catalogue.h"

#include <mutex>

#include "domain/csv.h"
#include "domain/item_id.h"

namespace loyalty::core::domain {
namespace {

using base::ErrorCode;

base::Error csvError(size_t line, const std::string& what) {
  return base::makeError(ErrorCode::kInvalidCsv, "line " + std::to_string(line) + ": " + what);
}

}  // namespace

base::Result<std::vector<Product>> parseCatalogueCsv(std::string_view csv) {
  std::vector<Product> products;
  std::unordered_map<std::string, size_t> index;
  std::vector<std::string> fields;
  size_t pos = 0;
  size_t line = 1;
  if (!readCsvRecord(csv, pos, fields, line)) {
    return csvError(1, "malformed quoting in the header");
  }
  if (fields != std::vector<std::string>{"sku", "name", "category_path", "brand"}) {
    return csvError(1, "the header must be exactly sku,name,category_path,brand");
  }
  while (pos < csv.size()) {
    ++line;
    size_t recordLine = line;
    size_t start = pos;
    if (!readCsvRecord(csv, pos, fields, line)) {
      return csvError(recordLine, "malformed quoting");
    }
    if (fields.size() == 1 && isBlankCsv(csv.substr(start, pos - start))) {
      continue;  // blank line
    }
    if (fields.size() != 4) {
      return csvError(recordLine, "expected 4 fields, found " + std::to_string(fields.size()));
    }
    if (!isValidSku(fields[0])) {
      return csvError(recordLine, "sku must be 1..64 printable ASCII characters");
    }
    if (fields[1].size() > 256 || fields[2].size() > 256 || fields[3].size() > 256) {
      return csvError(recordLine, "name, category_path and brand are at most 256 bytes");
    }
    Product p{std::move(fields[0]), std::move(fields[1]), std::move(fields[2]),
              std::move(fields[3])};
    auto it = index.find(p.sku);
    if (it != index.end()) {
      products[it->second] = std::move(p);
    } else {
      if (products.size() >= kMaxCatalogueRows) {
        return csvError(recordLine, "more than 1,000,000 products");
      }
      index.emplace(p.sku, products.size());
      products.push_back(std::move(p));
    }
  }
  return products;
}

void Catalogue::upsert(const std::vector<Product>& products) {
  std::unique_lock lock(mutex_);
  for (const auto& p : products) {
    bySku_[p.sku] = p;
    skuByItem_[itemIdOf(p.sku)] = p.sku;
  }
}

std::optional<std::string> Catalogue::skuOfItem(int64_t itemId) const {
  std::shared_lock lock(mutex_);
  auto it = skuByItem_.find(itemId);
  if (it == skuByItem_.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::optional<std::string> Catalogue::categoryOf(const std::string& sku) const {
  std::shared_lock lock(mutex_);
  auto it = bySku_.find(sku);
  if (it == bySku_.end()) {
    return std::nullopt;
  }
  return it->second.categoryPath;
}

void Catalogue::annotate(std::vector<rules::PricedLine>& lines) const {
  std::shared_lock lock(mutex_);
  for (auto& line : lines) {
    auto it = bySku_.find(line.sku);
    if (it == bySku_.end()) {
      line.categoryPath.clear();
      line.brand.clear();
    } else {
      line.categoryPath = it->second.categoryPath;
      line.brand = it->second.brand;
    }
  }
}

size_t Catalogue::size() const {
  std::shared_lock lock(mutex_);
  return bySku_.size();
}

}  // namespace loyalty::core::domain
