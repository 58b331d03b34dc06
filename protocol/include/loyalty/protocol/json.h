// A small, strict JSON reader and writer (RFC 8259), with no dependencies beyond the standard library.
//
// Why our own: the wire contract needs checks that general-purpose parsers do not all make —
// invalid UTF-8, duplicate object keys, nesting depth and integer overflow are refused with distinct
// error codes — and the POS client library should not pull in a framework.
//
// Numbers: an integer literal that fits in int64_t is kept exactly (Type::kInt). An integer that does
// not fit is refused (kValueOutOfRange). Literals with a fraction or exponent are Type::kDouble.
// Objects keep their keys in document order. Strings are UTF-8, escapes decoded.
//
// Thread safety: parse() and Writer are re-entrant; a Value is a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loyalty/base/result.h"

namespace loyalty::protocol::json {

class Value;
using Member = std::pair<std::string, Value>;

class Value {
 public:
  enum class Type { kNull, kBool, kInt, kDouble, kString, kArray, kObject };

  Value() = default;
  static Value null() { return Value(); }
  static Value boolean(bool b);
  static Value integer(int64_t i);
  static Value number(double d);
  static Value string(std::string s);
  static Value array(std::vector<Value> items = {});
  static Value object(std::vector<Member> members = {});

  Type type() const { return type_; }
  bool isNull() const { return type_ == Type::kNull; }
  bool isBool() const { return type_ == Type::kBool; }
  bool isInt() const { return type_ == Type::kInt; }
  bool isDouble() const { return type_ == Type::kDouble; }
  bool isString() const { return type_ == Type::kString; }
  bool isArray() const { return type_ == Type::kArray; }
  bool isObject() const { return type_ == Type::kObject; }

  // Requires: the matching is*() is true.
  bool asBool() const;
  int64_t asInt() const;
  double asDouble() const;  // also accepts kInt
  const std::string& asString() const;
  const std::vector<Value>& items() const;
  std::vector<Value>& items();
  const std::vector<Member>& members() const;
  std::vector<Member>& members();

  // Object lookup. Returns nullptr when absent or when this is not an object.
  const Value* find(std::string_view key) const;

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  int64_t int_ = 0;
  double double_ = 0;
  std::string string_;
  std::vector<Value> items_;
  std::vector<Member> members_;
};

struct ParseLimits {
  size_t maxBytes = 256 * 1024;
  int maxDepth = 16;
};

// Parses one JSON document (surrounding whitespace allowed, nothing else).
// Errors: kBodyTooLarge, kMalformedJson, kInvalidEncoding, kNestingTooDeep, kDuplicateKey,
// kValueOutOfRange (integer literal outside int64_t). The message names the byte offset.
base::Result<Value> parse(std::string_view text, const ParseLimits& limits = ParseLimits());

// Compact, deterministic serialisation: members in stored order, no spaces, strings escaped
// (control characters as \u00XX, '/' not escaped, non-ASCII UTF-8 passed through).
std::string serialize(const Value& value);

// Streaming writer that produces the same compact form without building a Value.
// Usage: Writer w; w.beginObject(); w.key("a"); w.value(int64_t{1}); w.endObject(); w.str();
// Commas are inserted automatically. Misuse (a value where a key is expected) is a programming
// error checked by assert.
class Writer {
 public:
  Writer() = default;
  void beginObject();
  void endObject();
  void beginArray();
  void endArray();
  void key(std::string_view k);
  void value(std::string_view s);
  void value(const char* s) { value(std::string_view(s)); }
  void value(int64_t i);
  void value(int i) { value(static_cast<int64_t>(i)); }
  void value(bool b);
  void null();
  void raw(std::string_view json);  // an already serialised value
  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool afterKey_ = false;
};

// Appends s to out as a JSON string literal (with quotes).
void appendQuoted(std::string& out, std::string_view s);

}  // namespace loyalty::protocol::json
