#include "domain/catalogue.h"

#include <mutex>

namespace loyalty::core::domain {
namespace {

using base::ErrorCode;

base::Error csvError(size_t line, const std::string& what) {
  return base::makeError(ErrorCode::kInvalidCsv, "line " + std::to_string(line) + ": " + what);
}

// Splits one CSV record starting at pos; advances pos past its line end. Handles quoted fields
// with "" escapes and line breaks inside quotes. Returns false on a malformed quote.
bool readRecord(std::string_view csv, size_t& pos, std::vector<std::string>& fields,
                size_t& line) {
  fields.clear();
  std::string field;
  bool quoted = false;
  bool fieldStarted = false;
  while (pos < csv.size()) {
    char c = csv[pos];
    if (quoted) {
      if (c == '"') {
        if (pos + 1 < csv.size() && csv[pos + 1] == '"') {
          field.push_back('"');
          pos += 2;
          continue;
        }
        quoted = false;
        ++pos;
        // After a closing quote only a separator or a line end may follow.
        if (pos < csv.size() && csv[pos] != ',' && csv[pos] != '\n' && csv[pos] != '\r') {
          return false;
        }
        continue;
      }
      if (c == '\n') {
        ++line;
      }
      field.push_back(c);
      ++pos;
      continue;
    }
    if (c == '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
      ++pos;
      continue;
    }
    if (c == '"') {
      return false;  // a quote in the middle of an unquoted field
    }
    if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      fieldStarted = false;
      ++pos;
      continue;
    }
    if (c == '\r' || c == '\n') {
      if (c == '\r' && pos + 1 < csv.size() && csv[pos + 1] == '\n') {
        ++pos;
      }
      ++pos;
      fields.push_back(std::move(field));
      return true;
    }
    field.push_back(c);
    fieldStarted = true;
    ++pos;
  }
  if (quoted) {
    return false;
  }
  fields.push_back(std::move(field));
  return true;
}

bool isValidSku(const std::string& sku) {
  if (sku.empty() || sku.size() > 64) {
    return false;
  }
  for (unsigned char c : sku) {
    if (c < 0x21 || c > 0x7E) {
      return false;
    }
  }
  return true;
}

bool isBlank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      return false;
    }
  }
  return true;
}

}  // namespace

base::Result<std::vector<Product>> parseCatalogueCsv(std::string_view csv) {
  std::vector<Product> products;
  std::unordered_map<std::string, size_t> index;
  std::vector<std::string> fields;
  size_t pos = 0;
  size_t line = 1;
  if (!readRecord(csv, pos, fields, line)) {
    return csvError(1, "malformed quoting in the header");
  }
  if (fields != std::vector<std::string>{"sku", "name", "category_path", "brand"}) {
    return csvError(1, "the header must be exactly sku,name,category_path,brand");
  }
  while (pos < csv.size()) {
    ++line;
    size_t recordLine = line;
    size_t start = pos;
    if (!readRecord(csv, pos, fields, line)) {
      return csvError(recordLine, "malformed quoting");
    }
    if (fields.size() == 1 && isBlank(csv.substr(start, pos - start))) {
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
  }
}

std::optional<std::string> Catalogue::categoryOf(const std::string& sku) const {
  std::shared_lock lock(mutex_);
  auto it = bySku_.find(sku);
  if (it == bySku_.end()) {
    return std::nullopt;
  }
  return it->second.categoryPath;
}

void Catalogue::markEarning(std::vector<SaleLine>& lines, const EarnRule& rule) const {
  std::shared_lock lock(mutex_);
  for (auto& line : lines) {
    auto it = bySku_.find(line.sku);
    line.earns = it == bySku_.end() || !rule.excludes(it->second.categoryPath);
  }
}

size_t Catalogue::size() const {
  std::shared_lock lock(mutex_);
  return bySku_.size();
}

}  // namespace loyalty::core::domain
