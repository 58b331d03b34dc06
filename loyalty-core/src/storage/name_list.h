// Name lists in storage: the tiers and stores of a campaign and the stores of a user are lists
// of short names ([A-Za-z0-9_-] in practice). SqliteStore keeps such a list as one text value,
// the names joined by ','; InMemoryStore refuses the same lists so that both stores behave
// alike. An empty list is the empty text.
//
// Invariant: for every list accepted by checkNameList(), splitNameList(joinNameList(list)) ==
// list. A list is refused (kInvalidValue) when a name is empty or holds the separator.
//
// Thread safety: pure functions over values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "loyalty/base/result.h"

namespace loyalty::core::storage {

inline constexpr char kNameListSeparator = ',';

// what names the list in the error, e.g. "campaign stores".
inline base::Status checkNameList(std::string_view what, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (name.empty() || name.find(kNameListSeparator) != std::string::npos) {
      return base::makeError(
          base::ErrorCode::kInvalidValue,
          std::string(what) + ": a name is empty or holds '" + kNameListSeparator + "'");
    }
  }
  return base::okStatus();
}

// Requires: checkNameList(names) succeeded.
inline std::string joinNameList(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) {
    if (!text.empty()) {
      text += kNameListSeparator;
    }
    text += name;
  }
  return text;
}

inline std::vector<std::string> splitNameList(std::string_view text) {
  std::vector<std::string> names;
  if (text.empty()) {
    return names;
  }
  size_t start = 0;
  for (;;) {
    const size_t end = text.find(kNameListSeparator, start);
    names.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) {
      return names;
    }
    start = end + 1;
  }
}

}  // namespace loyalty::core::storage
