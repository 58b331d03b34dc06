// Tests of the tools' text helpers (tools/common/text_format.h).
#include "common/text_format.h"

#include <catch2/catch.hpp>

namespace loyalty::tools {
namespace {

TEST_CASE("TextFormat: money has two decimals and no floating point", "[tools]") {
  CHECK(formatMoney(base::Money(0)) == "0.00");
  CHECK(formatMoney(base::Money(5)) == "0.05");
  CHECK(formatMoney(base::Money(1234)) == "12.34");
  CHECK(formatMoney(base::Money(100)) == "1.00");
  CHECK(formatMoney(base::Money(-5)) == "-0.05");
  CHECK(formatMoney(base::Money(-1999)) == "-19.99");
  CHECK(formatMoney(base::Money(10'000'000'000)) == "100000000.00");
  CHECK(formatMoney(base::Money(INT64_MIN)) == "-92233720368547758.08");
  CHECK(formatPoints(base::Points(-12)) == "-12");
  CHECK(formatPoints(base::Points(340)) == "340");
}

TEST_CASE("TextFormat: UTC dates and times from epoch milliseconds", "[tools]") {
  CHECK(utcDate(0) == "1970-01-01");
  CHECK(utcDate(-1) == "1969-12-31");
  CHECK(utcDate(951'782'400'000) == "2000-02-29");
  CHECK(utcDate(951'868'799'999) == "2000-02-29");
  CHECK(utcDate(951'868'800'000) == "2000-03-01");
  CHECK(utcDate(1'709'251'199'000) == "2024-02-29");
  CHECK(utcTimeCompact(0) == "000000");
  CHECK(utcTimeCompact(1'709'251'199'000) == "235959");
  CHECK(utcTimeCompact(45'296'789) == "123456");
  CHECK(utcTimeCompact(-1000) == "235959");
}

TEST_CASE("TextFormat: microseconds as milliseconds", "[tools]") {
  CHECK(formatMicrosAsMillis(0) == "0.000");
  CHECK(formatMicrosAsMillis(7) == "0.007");
  CHECK(formatMicrosAsMillis(1234) == "1.234");
  CHECK(formatMicrosAsMillis(2'000'000) == "2000.000");
}

TEST_CASE("TextFormat: tables pad columns and align numbers right", "[tools]") {
  TextTable t({"kind", "points"}, {TextTable::Align::kLeft, TextTable::Align::kRight});
  t.addRow({"earn", "12"});
  t.addRow({"adjustment", "-3"});
  CHECK(t.rowCount() == 2);
  CHECK(t.render() ==
        "kind        points\n"
        "earn            12\n"
        "adjustment      -3\n");

  TextTable left({"a", "b"});
  left.addRow({"long value", ""});
  CHECK(left.render() ==
        "a           b\n"
        "long value\n");  // no trailing spaces
}

}  // namespace
}  // namespace loyalty::tools
