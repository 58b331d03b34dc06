// CSV helpers of the domain's import parsers (catalogue, history): RFC 4180 records and the
// SKU format. Pure functions over the input text.
//
// Thread safety: re-entrant.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace loyalty::core::domain {

// Splits one CSV record starting at pos into fields; advances pos past its line end (LF or
// CRLF) and line past the line breaks inside quoted fields. Handles quoted fields with ""
// escapes. Returns false on a malformed quote.
bool readCsvRecord(std::string_view csv, size_t& pos, std::vector<std::string>& fields,
                   size_t& line);

// True for 1..64 printable ASCII characters (0x21..0x7E): the SKU format of the protocol.
bool isValidSku(const std::string& sku);

// True when s holds only spaces, tabs and line breaks.
bool isBlankCsv(std::string_view s);

}  // namespace loyalty::core::domain
