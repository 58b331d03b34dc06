// Tests of card number validation and generation (loyalty/protocol/card.h).
#include "loyalty/protocol/card.h"

#include <catch2/catch.hpp>
#include <string>

using loyalty::protocol::cardForCustomerNumber;
using loyalty::protocol::isValidCard;
using loyalty::protocol::luhnCheckDigit;

TEST_CASE("Card: Luhn check digit of known numbers", "[protocol]") {
  CHECK(luhnCheckDigit("7992739871") == '3');  // the textbook example 79927398713
  CHECK(luhnCheckDigit("411111111111111") == '1');
  CHECK(luhnCheckDigit("900000000001") == '9');
  CHECK(luhnCheckDigit("0") == '0');
  CHECK(luhnCheckDigit("1") == '8');
}

TEST_CASE("Card: accepts 13 to 19 digits with a valid check digit", "[protocol]") {
  CHECK(isValidCard("4222222222222"));        // 13 digits
  CHECK(isValidCard("378282246310005"));      // 15
  CHECK(isValidCard("4111111111111111"));     // 16
  CHECK(isValidCard("6011111111111117"));     // 16
  CHECK(isValidCard("9000000000019"));        // our issuer range
  CHECK(isValidCard("4111111111111111110"));  // 19
  CHECK_FALSE(isValidCard("4111111111111112"));
  CHECK_FALSE(isValidCard("9000000000018"));
}

TEST_CASE("Card: refuses bad lengths and non-digits", "[protocol]") {
  // 12 and 20 digits, each with a correct Luhn digit: the length alone refuses them.
  const std::string twelve = std::string("90000000001") + luhnCheckDigit("90000000001");
  const std::string twenty =
      std::string("9000000000000000001") + luhnCheckDigit("9000000000000000001");
  REQUIRE(twelve.size() == 12);
  REQUIRE(twenty.size() == 20);
  CHECK_FALSE(isValidCard(twelve));
  CHECK_FALSE(isValidCard(twenty));
  CHECK_FALSE(isValidCard(""));
  CHECK_FALSE(isValidCard("4111 1111 1111 1111"));
  CHECK_FALSE(isValidCard("4111-1111-1111-1111"));
  CHECK_FALSE(isValidCard("411111111111111a"));
  CHECK_FALSE(isValidCard(" 4111111111111111"));
  CHECK_FALSE(isValidCard("\xEF\xBC\x94\x31\x31\x31\x31\x31\x31\x31\x31\x31\x31\x31\x31"));
}

TEST_CASE("Card: every single-digit typo is detected", "[protocol]") {
  const std::string card = "4111111111111111";
  for (size_t i = 0; i < card.size(); ++i) {
    for (char d = '0'; d <= '9'; ++d) {
      if (d == card[i]) {
        continue;
      }
      std::string typo = card;
      typo[i] = d;
      INFO(typo);
      CHECK_FALSE(isValidCard(typo));
    }
  }
}

TEST_CASE("Card: numbers generated from customer ids", "[protocol]") {
  CHECK(cardForCustomerNumber(0) == "9000000000001");
  CHECK(cardForCustomerNumber(1) == "9000000000019");
  CHECK(cardForCustomerNumber(42) == "9000000000423");
  CHECK(cardForCustomerNumber(1234567) == "9000012345675");
  CHECK(cardForCustomerNumber(99'999'999'999ULL) == "9999999999992");
  for (uint64_t id = 0; id < 2000; id += 7) {
    const std::string card = cardForCustomerNumber(id);
    INFO(card);
    CHECK(card.size() == 13);
    CHECK(card[0] == '9');
    CHECK(isValidCard(card));
    CHECK(std::stoull(card.substr(1, 11)) == id);
  }
}
