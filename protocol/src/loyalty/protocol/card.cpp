// Loyalty card numbers: length check and Luhn (ISO/IEC 7812-1 annex B) check digit.
// See loyalty/protocol/card.h and docs/protocol.md, "Card numbers".
#include "loyalty/protocol/card.h"

#include <cassert>

namespace loyalty::protocol {

namespace {

bool allDigits(std::string_view s) {
  for (const char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

}  // namespace

char luhnCheckDigit(std::string_view digits) {
  assert(!digits.empty() && allDigits(digits));
  // Walking from the right, the digit next to the (future) check digit is doubled, then every
  // second one.
  int sum = 0;
  bool doubled = true;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (doubled) {
      d *= 2;
      if (d > 9) {
        d -= 9;
      }
    }
    sum += d;
    doubled = !doubled;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

bool isValidCard(std::string_view card) {
  if (card.size() < kCardMinDigits || card.size() > kCardMaxDigits || !allDigits(card)) {
    return false;
  }
  return luhnCheckDigit(card.substr(0, card.size() - 1)) == card.back();
}

std::string cardForCustomerNumber(uint64_t id) {
  constexpr uint64_t kLimit = 100'000'000'000ULL;  // 10^11: the id takes 11 digits
  assert(id < kLimit);
  std::string card(13, '0');
  card[0] = '9';
  uint64_t rest = id % kLimit;
  for (size_t i = 11; i >= 1; --i) {
    card[i] = static_cast<char>('0' + rest % 10);
    rest /= 10;
  }
  card[12] = luhnCheckDigit(std::string_view(card).substr(0, 12));
  return card;
}

}  // namespace loyalty::protocol
