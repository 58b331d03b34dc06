// Loyalty card numbers: 13 to 19 ASCII digits, the last of which is a Luhn (ISO/IEC 7812) check digit.
// See docs/protocol.md, "Card numbers".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace loyalty::protocol {

inline constexpr size_t kCardMinDigits = 13;
inline constexpr size_t kCardMaxDigits = 19;

// Returns the Luhn check digit ('0'..'9') for the given digits (without check digit).
// Requires: digits is non-empty and all ASCII digits.
char luhnCheckDigit(std::string_view digits);

// True when card has 13..19 digits and a correct check digit.
bool isValidCard(std::string_view card);

// The card number a simulator or importer derives from a numeric customer id:
// prefix "9" (our issuer range), the id zero-padded to 11 digits, then the check digit (13 digits).
// Requires: id < 10^11.
std::string cardForCustomerNumber(uint64_t id);

}  // namespace loyalty::protocol
