// A strict little JSON parser for tests: reads the writers' output back so the
// tests check structure and values, not text. Rejects anything RFC 8259 does
// (trailing commas, raw control characters, bad escapes), so a writer bug that
// produces invalid JSON fails the test.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ember::test {

struct Json {
  enum class Type { null, boolean, number, string, array, object };
  Type type = Type::null;
  bool boolean = false;
  double number = 0;
  std::string text;  // string value, or a number's literal digits
  std::vector<Json> array;
  std::map<std::string, Json> object;

  bool has(const std::string& key) const { return type == Type::object && object.count(key); }
  const Json& operator[](const std::string& key) const {
    if (!has(key)) throw std::runtime_error("no key " + key);
    return object.at(key);
  }
  const Json& operator[](std::size_t i) const { return array.at(i); }
  std::size_t size() const { return type == Type::array ? array.size() : object.size(); }
};

class JsonParser {
 public:
  static Json parse(std::string_view text) {
    JsonParser p(text);
    p.skip_space();
    Json value = p.value();
    p.skip_space();
    if (p.at_ != text.size()) p.error("trailing characters");
    return value;
  }

 private:
  explicit JsonParser(std::string_view text) : s_(text) {}

  [[noreturn]] void error(const std::string& what) const {
    throw std::runtime_error("JSON at " + std::to_string(at_) + ": " + what);
  }
  char peek() const { return at_ < s_.size() ? s_[at_] : '\0'; }
  void expect(char c) {
    if (peek() != c) error(std::string("expected '") + c + "'");
    ++at_;
  }
  void skip_space() {
    while (at_ < s_.size() &&
           (s_[at_] == ' ' || s_[at_] == '\n' || s_[at_] == '\r' || s_[at_] == '\t'))
      ++at_;
  }
  bool literal(std::string_view word) {
    if (s_.substr(at_, word.size()) != word) return false;
    at_ += word.size();
    return true;
  }

  Json value() {
    Json v;
    char c = peek();
    if (c == '{') {
      v.type = Json::Type::object;
      ++at_;
      skip_space();
      if (peek() == '}') {
        ++at_;
        return v;
      }
      while (true) {
        skip_space();
        std::string key = string();
        skip_space();
        expect(':');
        skip_space();
        if (v.object.count(key)) error("duplicate key " + key);
        v.object[key] = value();
        skip_space();
        if (peek() == ',') {
          ++at_;
          continue;
        }
        expect('}');
        return v;
      }
    }
    if (c == '[') {
      v.type = Json::Type::array;
      ++at_;
      skip_space();
      if (peek() == ']') {
        ++at_;
        return v;
      }
      while (true) {
        skip_space();
        v.array.push_back(value());
        skip_space();
        if (peek() == ',') {
          ++at_;
          continue;
        }
        expect(']');
        return v;
      }
    }
    if (c == '"') {
      v.type = Json::Type::string;
      v.text = string();
      return v;
    }
    if (literal("true")) {
      v.type = Json::Type::boolean;
      v.boolean = true;
      return v;
    }
    if (literal("false")) {
      v.type = Json::Type::boolean;
      return v;
    }
    if (literal("null")) return v;
    return number();
  }

  Json number() {
    std::size_t start = at_;
    if (peek() == '-') ++at_;
    if (peek() == '0') {
      ++at_;
    } else if (peek() >= '1' && peek() <= '9') {
      while (peek() >= '0' && peek() <= '9') ++at_;
    } else {
      error("expected a value");
    }
    if (peek() == '.') {
      ++at_;
      if (!(peek() >= '0' && peek() <= '9')) error("bad fraction");
      while (peek() >= '0' && peek() <= '9') ++at_;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++at_;
      if (peek() == '+' || peek() == '-') ++at_;
      if (!(peek() >= '0' && peek() <= '9')) error("bad exponent");
      while (peek() >= '0' && peek() <= '9') ++at_;
    }
    Json v;
    v.type = Json::Type::number;
    v.text = std::string(s_.substr(start, at_ - start));
    v.number = std::stod(v.text);
    return v;
  }

  unsigned hex4() {
    if (at_ + 4 > s_.size()) error("short \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[at_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        error("bad \\u escape");
    }
    return v;
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string string() {
    expect('"');
    std::string out;
    while (true) {
      if (at_ >= s_.size()) error("unterminated string");
      auto c = static_cast<unsigned char>(s_[at_++]);
      if (c == '"') return out;
      if (c < 0x20) error("raw control character in string");
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      char e = s_[at_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t cp = hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (!literal("\\u")) error("lone high surrogate");
            std::uint32_t low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) error("bad low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            error("lone low surrogate");
          }
          append_utf8(out, cp);
          break;
        }
        default: error("bad escape");
      }
    }
  }

  std::string_view s_;
  std::size_t at_ = 0;
};

}  // namespace ember::test
