#include "common/synthetic_catalogue.h"

#include <cassert>

#include "loyalty/protocol/card.h"

namespace loyalty::tools {

std::string skuOf(int64_t itemId) {
  assert(itemId >= 0);
  return "TF" + std::to_string(itemId);
}

base::Money unitPriceOf(int64_t itemId) {
  assert(itemId >= 0);
  const uint64_t h = splitmix64(static_cast<uint64_t>(itemId));
  return base::Money(kMinUnitPrice + static_cast<int64_t>(h % kUnitPriceSpread));
}

std::string_view categoryOf(int64_t itemId) {
  assert(itemId >= 0);
  const uint64_t h = splitmix64(static_cast<uint64_t>(itemId) ^ kCategorySalt);
  return kCategories[h % kCategories.size()];
}

std::string brandOf(int64_t itemId) {
  assert(itemId >= 0);
  const uint64_t h = splitmix64(static_cast<uint64_t>(itemId) ^ kBrandSalt);
  return "Brand " + std::to_string(h % kBrandCount);
}

CatalogueItem catalogueItem(int64_t itemId) {
  CatalogueItem item;
  item.itemId = itemId;
  item.sku = skuOf(itemId);
  item.name = "Item " + std::to_string(itemId);
  item.categoryPath = std::string(categoryOf(itemId));
  item.brand = brandOf(itemId);
  item.unitPrice = unitPriceOf(itemId);
  return item;
}

int64_t quantityOf(int64_t userId, size_t basketIndex, int64_t itemId) {
  assert(userId >= 0 && itemId >= 0);
  const uint64_t x = static_cast<uint64_t>(userId) * 1000003ULL +
                     static_cast<uint64_t>(basketIndex) * 7919ULL + static_cast<uint64_t>(itemId);
  const uint64_t r = splitmix64(x) % 10;
  return 1 + (r == 0 ? 2 : r < 3 ? 1 : 0);
}

std::string cardOf(int64_t userId) {
  assert(userId >= 0);
  return protocol::cardForCustomerNumber(static_cast<uint64_t>(userId) + 1);
}

std::vector<protocol::BasketLine> basketLines(int64_t userId, size_t basketIndex,
                                              const std::vector<int64_t>& items) {
  std::vector<protocol::BasketLine> lines;
  lines.reserve(items.size());
  int64_t lineNumber = 0;
  for (int64_t item : items) {
    protocol::BasketLine line;
    line.line = ++lineNumber;
    line.sku = skuOf(item);
    line.quantity = quantityOf(userId, basketIndex, item);
    line.unitPrice = unitPriceOf(item);
    lines.push_back(std::move(line));
  }
  return lines;
}

base::Money basketTotal(const std::vector<protocol::BasketLine>& lines) {
  base::Money total;
  for (const auto& line : lines) {
    total += base::Money(line.quantity * line.unitPrice.value());
  }
  return total;
}

std::string csvField(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    return std::string(field);
  }
  std::string out;
  out.reserve(field.size() + 2);
  out.push_back('"');
  for (char c : field) {
    if (c == '"') {
      out.push_back('"');
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string catalogueCsv(const std::vector<int64_t>& itemIds) {
  std::string out = kCatalogueCsvHeader;
  out.push_back('\n');
  for (int64_t id : itemIds) {
    const CatalogueItem item = catalogueItem(id);
    out += csvField(item.sku);
    out.push_back(',');
    out += csvField(item.name);
    out.push_back(',');
    out += csvField(item.categoryPath);
    out.push_back(',');
    out += csvField(item.brand);
    out.push_back('\n');
  }
  return out;
}

}  // namespace loyalty::tools
