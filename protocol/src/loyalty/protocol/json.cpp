// Strict RFC 8259 JSON reader and compact writer (loyalty/protocol/json.h).
//
// Reader: one pass validates the whole text as UTF-8 (ASCII fast path, 8 bytes at a time), then
// an iterative parser builds the Value tree. Nesting is kept on an explicit frame stack (never
// the call stack), so depth costs no recursion. Finished elements of open containers wait on two
// scratch stacks and are moved into an exactly sized vector when their container closes, so
// each array or object allocates once. Strings without escapes are copied in one step.
// Duplicate keys: linear scan for small objects, a hash set once an object grows past
// kLinearKeyScan members (the 14,000-key data files stay linear in time).
//
// Writer: compact output; invalid UTF-8 handed to the writer (which the protocol never produces)
// is replaced by U+FFFD so that the output always parses.
#include "loyalty/protocol/json.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <memory>
#include <unordered_set>

namespace loyalty::protocol::json {

using base::Error;
using base::ErrorCode;

// ---------------------------------------------------------------------------------------------
// Value

Value Value::boolean(bool b) {
  Value v;
  v.type_ = Type::kBool;
  v.bool_ = b;
  return v;
}

Value Value::integer(int64_t i) {
  Value v;
  v.type_ = Type::kInt;
  v.int_ = i;
  return v;
}

Value Value::number(double d) {
  Value v;
  v.type_ = Type::kDouble;
  v.double_ = d;
  return v;
}

Value Value::string(std::string s) {
  Value v;
  v.type_ = Type::kString;
  v.string_ = std::move(s);
  return v;
}

Value Value::array(std::vector<Value> items) {
  Value v;
  v.type_ = Type::kArray;
  v.items_ = std::move(items);
  return v;
}

Value Value::object(std::vector<Member> members) {
  Value v;
  v.type_ = Type::kObject;
  v.members_ = std::move(members);
  return v;
}

bool Value::asBool() const {
  assert(isBool());
  return bool_;
}

int64_t Value::asInt() const {
  assert(isInt());
  return int_;
}

double Value::asDouble() const {
  assert(isDouble() || isInt());
  return isInt() ? static_cast<double>(int_) : double_;
}

const std::string& Value::asString() const {
  assert(isString());
  return string_;
}

const std::vector<Value>& Value::items() const {
  assert(isArray());
  return items_;
}

std::vector<Value>& Value::items() {
  assert(isArray());
  return items_;
}

const std::vector<Member>& Value::members() const {
  assert(isObject());
  return members_;
}

std::vector<Member>& Value::members() {
  assert(isObject());
  return members_;
}

const Value* Value::find(std::string_view key) const {
  if (type_ != Type::kObject) {
    return nullptr;
  }
  for (const Member& m : members_) {
    if (m.first == key) {
      return &m.second;
    }
  }
  return nullptr;
}

namespace {

// ---------------------------------------------------------------------------------------------
// UTF-8

// Length of the valid multi-byte UTF-8 sequence starting at p (whose first byte is >= 0x80),
// or 0 when the bytes there are not valid UTF-8 (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF, no truncated sequences).
size_t utf8SequenceLength(const unsigned char* p, const unsigned char* end) {
  const unsigned char b0 = p[0];
  size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 == 0xE0) {
    len = 3;
    lo = 0xA0;
  } else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
    len = 3;
  } else if (b0 == 0xED) {
    len = 3;
    hi = 0x9F;  // U+D800..U+DFFF are not characters
  } else if (b0 == 0xF0) {
    len = 4;
    lo = 0x90;
  } else if (b0 >= 0xF1 && b0 <= 0xF3) {
    len = 4;
  } else if (b0 == 0xF4) {
    len = 4;
    hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;  // continuation byte, C0/C1 overlong lead, or F5..FF
  }
  if (static_cast<size_t>(end - p) < len) {
    return 0;
  }
  if (p[1] < lo || p[1] > hi) {
    return 0;
  }
  for (size_t i = 2; i < len; ++i) {
    if (p[i] < 0x80 || p[i] > 0xBF) {
      return 0;
    }
  }
  return len;
}

// Offset of the first byte that is not valid UTF-8, or npos when the whole text is valid.
size_t firstInvalidUtf8(std::string_view text) {
  const auto* begin = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char* p = begin;
  const unsigned char* end = begin + text.size();
  constexpr uint64_t kHighBits = 0x8080808080808080ULL;
  while (p < end) {
    while (end - p >= 8) {
      uint64_t chunk = 0;
      std::memcpy(&chunk, p, sizeof chunk);
      if ((chunk & kHighBits) != 0) {
        break;
      }
      p += 8;
    }
    if (p == end) {
      break;
    }
    if (*p < 0x80) {
      ++p;
      continue;
    }
    const size_t len = utf8SequenceLength(p, end);
    if (len == 0) {
      return static_cast<size_t>(p - begin);
    }
    p += len;
  }
  return std::string_view::npos;
}

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// ---------------------------------------------------------------------------------------------
// Parser

constexpr size_t kLinearKeyScan = 16;

bool isDigit(char c) { return c >= '0' && c <= '9'; }

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

class Parser {
 public:
  Parser(std::string_view text, const ParseLimits& limits)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()), limits_(limits) {}

  base::Result<Value> run();

 private:
  struct Frame {
    bool object = false;
    size_t mark = 0;  // first index of this container's elements in values_ or members_
    std::string key;  // object: the key whose value is being parsed
    std::unique_ptr<std::unordered_set<std::string>> keys;  // large objects only
  };

  bool fail(ErrorCode code, const char* at, const char* what);
  void skipWhitespace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) {
      ++p_;
    }
  }
  bool parseScalar(Value& out);
  bool parseString(std::string& out);
  bool parseEscape(std::string& out);
  bool parseHex4(uint32_t& out);
  bool parseNumber(Value& out);
  bool parseLiteral(const char* word, size_t len, Value value, Value& out);
  bool parseKey(Frame& frame);
  // Where the value starting now goes: the root, or a new element of the innermost container.
  Value& slot();

  const char* begin_;
  const char* p_;
  const char* end_;
  ParseLimits limits_;
  std::vector<Frame> frames_;
  std::vector<Value> values_;    // elements of open arrays
  std::vector<Member> members_;  // members of open objects
  Value root_;
  Error error_;
};

bool Parser::fail(ErrorCode code, const char* at, const char* what) {
  std::string message(what);
  message += " at byte ";
  message += std::to_string(at - begin_);
  error_ = base::makeError(code, std::move(message));
  return false;
}

base::Result<Value> Parser::run() {
  const size_t size = static_cast<size_t>(end_ - begin_);
  if (size > limits_.maxBytes) {
    return base::makeError(ErrorCode::kBodyTooLarge, "JSON text of " + std::to_string(size) +
                                                         " bytes exceeds the limit of " +
                                                         std::to_string(limits_.maxBytes));
  }
  const size_t bad = firstInvalidUtf8(std::string_view(begin_, size));
  if (bad != std::string_view::npos) {
    fail(ErrorCode::kInvalidEncoding, begin_ + bad, "invalid UTF-8");
    return error_;
  }

  skipWhitespace();
  for (;;) {
    // A value starts at p_ (whitespace already skipped).
    if (p_ == end_) {
      fail(ErrorCode::kMalformedJson, p_, "unexpected end of input, expected a value");
      return error_;
    }
    const char c = *p_;
    if (c == '[' || c == '{') {
      if (static_cast<int>(frames_.size()) + 1 > limits_.maxDepth) {
        fail(ErrorCode::kNestingTooDeep, p_, "nesting deeper than the limit");
        return error_;
      }
      ++p_;
      skipWhitespace();
      const bool object = c == '{';
      if (p_ < end_ && *p_ == (object ? '}' : ']')) {
        ++p_;
        slot() = object ? Value::object() : Value::array();
      } else {
        frames_.emplace_back();
        Frame& frame = frames_.back();
        frame.object = object;
        frame.mark = object ? members_.size() : values_.size();
        if (object && !parseKey(frame)) {
          return error_;
        }
        continue;  // parse the first element
      }
    } else if (!parseScalar(slot())) {
      return error_;
    }

    // A value is complete: go on to the next element, closing containers as they end.
    for (;;) {
      if (frames_.empty()) {
        skipWhitespace();
        if (p_ != end_) {
          fail(ErrorCode::kMalformedJson, p_, "unexpected text after the JSON value");
          return error_;
        }
        return std::move(root_);
      }
      Frame& frame = frames_.back();
      skipWhitespace();
      const char close = frame.object ? '}' : ']';
      if (p_ < end_ && *p_ == ',') {
        ++p_;
        skipWhitespace();
        if (frame.object && !parseKey(frame)) {
          return error_;
        }
        break;  // parse the next element
      }
      if (p_ < end_ && *p_ == close) {
        ++p_;
        Value done;
        if (frame.object) {
          auto first = members_.begin() + static_cast<std::ptrdiff_t>(frame.mark);
          done = Value::object(std::vector<Member>(std::make_move_iterator(first),
                                                   std::make_move_iterator(members_.end())));
          members_.erase(first, members_.end());
        } else {
          auto first = values_.begin() + static_cast<std::ptrdiff_t>(frame.mark);
          done = Value::array(std::vector<Value>(std::make_move_iterator(first),
                                                 std::make_move_iterator(values_.end())));
          values_.erase(first, values_.end());
        }
        frames_.pop_back();
        slot() = std::move(done);
        continue;
      }
      fail(ErrorCode::kMalformedJson, p_,
           p_ == end_ ? "unexpected end of input"
                      : (frame.object ? "expected ',' or '}'" : "expected ',' or ']'"));
      return error_;
    }
  }
}

Value& Parser::slot() {
  if (frames_.empty()) {
    return root_;
  }
  Frame& frame = frames_.back();
  if (frame.object) {
    return members_.emplace_back(std::move(frame.key), Value()).second;
  }
  return values_.emplace_back();
}

bool Parser::parseKey(Frame& frame) {
  if (p_ == end_ || *p_ != '"') {
    return fail(ErrorCode::kMalformedJson, p_, "expected a string key");
  }
  const char* keyStart = p_;
  if (!parseString(frame.key)) {
    return false;
  }
  const size_t count = members_.size() - frame.mark;
  if (frame.keys) {
    if (!frame.keys->insert(frame.key).second) {
      return fail(ErrorCode::kDuplicateKey, keyStart, "duplicate key");
    }
  } else {
    for (size_t i = frame.mark; i < members_.size(); ++i) {
      if (members_[i].first == frame.key) {
        return fail(ErrorCode::kDuplicateKey, keyStart, "duplicate key");
      }
    }
    if (count >= kLinearKeyScan) {
      frame.keys = std::make_unique<std::unordered_set<std::string>>();
      frame.keys->reserve(count * 4);
      for (size_t i = frame.mark; i < members_.size(); ++i) {
        frame.keys->insert(members_[i].first);
      }
      frame.keys->insert(frame.key);
    }
  }
  skipWhitespace();
  if (p_ == end_ || *p_ != ':') {
    return fail(ErrorCode::kMalformedJson, p_, "expected ':'");
  }
  ++p_;
  skipWhitespace();
  return true;
}

bool Parser::parseScalar(Value& out) {
  switch (*p_) {
    case '"': {
      std::string s;
      if (!parseString(s)) {
        return false;
      }
      out = Value::string(std::move(s));
      return true;
    }
    case 't':
      return parseLiteral("true", 4, Value::boolean(true), out);
    case 'f':
      return parseLiteral("false", 5, Value::boolean(false), out);
    case 'n':
      return parseLiteral("null", 4, Value::null(), out);
    default:
      if (*p_ == '-' || isDigit(*p_)) {
        return parseNumber(out);
      }
      return fail(ErrorCode::kMalformedJson, p_, "unexpected character");
  }
}

bool Parser::parseLiteral(const char* word, size_t len, Value value, Value& out) {
  if (static_cast<size_t>(end_ - p_) < len || std::memcmp(p_, word, len) != 0) {
    return fail(ErrorCode::kMalformedJson, p_, "invalid literal");
  }
  p_ += len;
  out = std::move(value);
  return true;
}

bool Parser::parseNumber(Value& out) {
  const char* start = p_;
  const bool negative = *p_ == '-';
  if (negative) {
    ++p_;
  }
  if (p_ == end_ || !isDigit(*p_)) {
    return fail(ErrorCode::kMalformedJson, p_, "expected a digit");
  }
  const char* digits = p_;
  if (*p_ == '0') {
    ++p_;
    if (p_ < end_ && isDigit(*p_)) {
      return fail(ErrorCode::kMalformedJson, start, "leading zero in number");
    }
  } else {
    while (p_ < end_ && isDigit(*p_)) {
      ++p_;
    }
  }
  const char* digitsEnd = p_;
  bool integral = true;
  if (p_ < end_ && *p_ == '.') {
    integral = false;
    ++p_;
    if (p_ == end_ || !isDigit(*p_)) {
      return fail(ErrorCode::kMalformedJson, p_, "expected a digit after '.'");
    }
    while (p_ < end_ && isDigit(*p_)) {
      ++p_;
    }
  }
  if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
    integral = false;
    ++p_;
    if (p_ < end_ && (*p_ == '+' || *p_ == '-')) {
      ++p_;
    }
    if (p_ == end_ || !isDigit(*p_)) {
      return fail(ErrorCode::kMalformedJson, p_, "expected a digit in the exponent");
    }
    while (p_ < end_ && isDigit(*p_)) {
      ++p_;
    }
  }

  if (integral) {
    // Accumulate the magnitude; |INT64_MIN| = 2^63 fits in uint64_t.
    const uint64_t limit = negative ? (uint64_t{1} << 63) : (uint64_t{1} << 63) - 1;
    uint64_t magnitude = 0;
    const size_t count = static_cast<size_t>(digitsEnd - digits);
    if (count <= 18) {
      for (const char* d = digits; d < digitsEnd; ++d) {
        magnitude = magnitude * 10 + static_cast<uint64_t>(*d - '0');
      }
    } else {
      for (const char* d = digits; d < digitsEnd; ++d) {
        if (__builtin_mul_overflow(magnitude, uint64_t{10}, &magnitude) ||
            __builtin_add_overflow(magnitude, static_cast<uint64_t>(*d - '0'), &magnitude) ||
            magnitude > limit) {
          return fail(ErrorCode::kValueOutOfRange, start, "integer outside the 64-bit range");
        }
      }
    }
    if (negative) {
      out = Value::integer(magnitude == (uint64_t{1} << 63) ? INT64_MIN
                                                            : -static_cast<int64_t>(magnitude));
    } else {
      out = Value::integer(static_cast<int64_t>(magnitude));
    }
    return true;
  }

  double d = 0;
  const auto result = std::from_chars(start, p_, d);
  if (result.ec == std::errc::result_out_of_range) {
    return fail(ErrorCode::kValueOutOfRange, start, "number outside the double range");
  }
  if (result.ec != std::errc() || result.ptr != p_) {
    return fail(ErrorCode::kMalformedJson, start, "invalid number");
  }
  out = Value::number(d);
  return true;
}

bool Parser::parseString(std::string& out) {
  // p_ is at the opening quote; the text is known to be valid UTF-8.
  ++p_;
  const char* start = p_;
  while (p_ < end_) {
    const auto c = static_cast<unsigned char>(*p_);
    if (c == '"') {
      out.assign(start, p_);
      ++p_;
      return true;
    }
    if (c == '\\') {
      break;
    }
    if (c < 0x20) {
      return fail(ErrorCode::kMalformedJson, p_, "unescaped control character in string");
    }
    ++p_;
  }
  if (p_ == end_) {
    return fail(ErrorCode::kMalformedJson, p_, "unterminated string");
  }

  // Slow path: the string has escapes. The decoded form is never longer than the raw form.
  const char* q = p_;
  while (q < end_ && *q != '"') {
    q += (*q == '\\' && end_ - q >= 2) ? 2 : 1;
  }
  out.clear();
  out.reserve(static_cast<size_t>(q - start));
  out.append(start, p_);
  while (p_ < end_) {
    const auto c = static_cast<unsigned char>(*p_);
    if (c == '"') {
      ++p_;
      return true;
    }
    if (c == '\\') {
      if (!parseEscape(out)) {
        return false;
      }
      continue;
    }
    if (c < 0x20) {
      return fail(ErrorCode::kMalformedJson, p_, "unescaped control character in string");
    }
    const char* run = p_;
    while (p_ < end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) >= 0x20) {
      ++p_;
    }
    out.append(run, p_);
  }
  return fail(ErrorCode::kMalformedJson, p_, "unterminated string");
}

bool Parser::parseHex4(uint32_t& out) {
  if (end_ - p_ < 4) {
    return fail(ErrorCode::kMalformedJson, p_, "truncated \\u escape");
  }
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    const int h = hexValue(p_[i]);
    if (h < 0) {
      return fail(ErrorCode::kMalformedJson, p_ + i, "invalid hex digit in \\u escape");
    }
    v = (v << 4) | static_cast<uint32_t>(h);
  }
  p_ += 4;
  out = v;
  return true;
}

bool Parser::parseEscape(std::string& out) {
  const char* escape = p_;  // at the backslash
  ++p_;
  if (p_ == end_) {
    return fail(ErrorCode::kMalformedJson, p_, "unterminated string");
  }
  const char e = *p_++;
  switch (e) {
    case '"':
      out.push_back('"');
      return true;
    case '\\':
      out.push_back('\\');
      return true;
    case '/':
      out.push_back('/');
      return true;
    case 'b':
      out.push_back('\b');
      return true;
    case 'f':
      out.push_back('\f');
      return true;
    case 'n':
      out.push_back('\n');
      return true;
    case 'r':
      out.push_back('\r');
      return true;
    case 't':
      out.push_back('\t');
      return true;
    case 'u':
      break;
    default:
      return fail(ErrorCode::kMalformedJson, escape, "invalid escape");
  }
  uint32_t cp = 0;
  if (!parseHex4(cp)) {
    return false;
  }
  if (cp >= 0xDC00 && cp <= 0xDFFF) {
    return fail(ErrorCode::kInvalidEncoding, escape, "lone low surrogate in \\u escape");
  }
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') {
      return fail(ErrorCode::kInvalidEncoding, escape, "lone high surrogate in \\u escape");
    }
    p_ += 2;
    uint32_t low = 0;
    if (!parseHex4(low)) {
      return false;
    }
    if (low < 0xDC00 || low > 0xDFFF) {
      return fail(ErrorCode::kInvalidEncoding, escape, "lone high surrogate in \\u escape");
    }
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  }
  appendUtf8(out, cp);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Writer helpers

void appendInt(std::string& out, int64_t i) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, i);
  out.append(buf, r.ptr);
}

void appendDouble(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";  // JSON has no NaN or infinity
    return;
  }
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  const std::string_view text(buf, static_cast<size_t>(r.ptr - buf));
  out += text;
  if (text.find_first_of(".e") == std::string_view::npos) {
    out += ".0";  // keep it a double when read back
  }
}

void serializeTo(std::string& out, const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull:
      out += "null";
      return;
    case Value::Type::kBool:
      out += v.asBool() ? "true" : "false";
      return;
    case Value::Type::kInt:
      appendInt(out, v.asInt());
      return;
    case Value::Type::kDouble:
      appendDouble(out, v.asDouble());
      return;
    case Value::Type::kString:
      appendQuoted(out, v.asString());
      return;
    case Value::Type::kArray: {
      out.push_back('[');
      bool first = true;
      for (const Value& item : v.items()) {
        if (!first) {
          out.push_back(',');
        }
        first = false;
        serializeTo(out, item);
      }
      out.push_back(']');
      return;
    }
    case Value::Type::kObject: {
      out.push_back('{');
      bool first = true;
      for (const Member& m : v.members()) {
        if (!first) {
          out.push_back(',');
        }
        first = false;
        appendQuoted(out, m.first);
        out.push_back(':');
        serializeTo(out, m.second);
      }
      out.push_back('}');
      return;
    }
  }
}

}  // namespace

base::Result<Value> parse(std::string_view text, const ParseLimits& limits) {
  Parser parser(text, limits);
  return parser.run();
}

std::string serialize(const Value& value) {
  std::string out;
  serializeTo(out, value);
  return out;
}

void appendQuoted(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* end = p + s.size();
  while (p < end) {
    const unsigned char* run = p;
    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') {
      ++p;
    }
    out.append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
    if (p == end) {
      break;
    }
    const unsigned char c = *p;
    if (c == '"') {
      out += "\\\"";
      ++p;
    } else if (c == '\\') {
      out += "\\\\";
      ++p;
    } else if (c < 0x20) {
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
      ++p;
    } else {
      const size_t len = utf8SequenceLength(p, end);
      if (len == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
        ++p;
      } else {
        out.append(reinterpret_cast<const char*>(p), len);
        p += len;
      }
    }
  }
  out.push_back('"');
}

// ---------------------------------------------------------------------------------------------
// Writer

void Writer::separate() {
  if (afterKey_) {
    afterKey_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) {
      out_.push_back(',');
    }
    first_.back() = false;
  }
}

void Writer::beginObject() {
  separate();
  out_.push_back('{');
  first_.push_back(true);
}

void Writer::endObject() {
  assert(!first_.empty() && !afterKey_);
  first_.pop_back();
  out_.push_back('}');
}

void Writer::beginArray() {
  separate();
  out_.push_back('[');
  first_.push_back(true);
}

void Writer::endArray() {
  assert(!first_.empty() && !afterKey_);
  first_.pop_back();
  out_.push_back(']');
}

void Writer::key(std::string_view k) {
  assert(!first_.empty() && !afterKey_);
  separate();
  appendQuoted(out_, k);
  out_.push_back(':');
  afterKey_ = true;
}

void Writer::value(std::string_view s) {
  separate();
  appendQuoted(out_, s);
}

void Writer::value(int64_t i) {
  separate();
  appendInt(out_, i);
}

void Writer::value(bool b) {
  separate();
  out_ += b ? "true" : "false";
}

void Writer::null() {
  separate();
  out_ += "null";
}

void Writer::raw(std::string_view json) {
  separate();
  out_ += json;
}

}  // namespace loyalty::protocol::json
