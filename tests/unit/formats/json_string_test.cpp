#include "json_string.hpp"

#include <gtest/gtest.h>

#include "mini_json.hpp"

namespace ember::formats {
namespace {

std::string as_json(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

TEST(JsonStringTest, EscapesQuotesBackslashAndControlCharacters) {
  EXPECT_EQ(as_json("plain"), "\"plain\"");
  EXPECT_EQ(as_json("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(as_json("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(as_json(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(as_json(std::string("a\0b", 3)), "\"a\\u0000b\"");
}

TEST(JsonStringTest, KeepsValidUtf8) { EXPECT_EQ(as_json("π € 😀"), "\"π € 😀\""); }

TEST(JsonStringTest, ReplacesInvalidUtf8) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(as_json("a\xff"
                    "b"),
            "\"a" + fffd + "b\"");
  EXPECT_EQ(as_json("\xC0\xAF"), "\"" + fffd + fffd + "\"");                        // overlong '/'
  EXPECT_EQ(as_json("\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"");             // surrogate
  EXPECT_EQ(as_json("\xE2\x82"), "\"" + fffd + fffd + "\"");                        // truncated €
  EXPECT_EQ(as_json("\xF4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");  // > U+10FFFF
}

TEST(JsonStringTest, RoundTripsThroughAParser) {
  std::string text;
  for (int c = 1; c < 128; ++c) text += static_cast<char>(c);
  EXPECT_EQ(test::JsonParser::parse(as_json(text)).text, text);
}

}  // namespace
}  // namespace ember::formats
