#include "domain/csv.h"

namespace loyalty::core::domain {

// Splits one CSV record starting at pos; advances pos past its line end. Handles quoted fields
// with "" escapes and line breaks inside quotes. Returns false on a malformed quote.
bool readCsvRecord(std::string_view csv, size_t& pos, std::vector<std::string>& fields,
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

bool isBlankCsv(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      return false;
    }
  }
  return true;
}

}  // namespace loyalty::core::domain
