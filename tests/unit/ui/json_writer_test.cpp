#include "json_writer.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "mini_json.hpp"

namespace ember::ui {
namespace {

using ember::test::Json;
using ember::test::JsonParser;

TEST(JsonWriterTest, NestedValuesReadBack) {
  JsonWriter json;
  json.begin_object();
  json.field("name", "a \"quoted\"\n\xff name").field("n", std::uint64_t{18446744073709551615ull});
  json.key("list").begin_array().value(1).value(2.5).null().value(true).begin_object().end_object();
  json.end_array();
  json.field("nan", std::numeric_limits<double>::quiet_NaN());
  json.key("raw").raw("[1,2]");
  json.key("empty").begin_array().end_array();
  json.end_object();
  Json read = JsonParser::parse(json.text());
  EXPECT_EQ(read["name"].text, "a \"quoted\"\n\xef\xbf\xbd name");
  EXPECT_EQ(read["n"].text, "18446744073709551615");
  ASSERT_EQ(read["list"].size(), 5u);
  EXPECT_EQ(read["list"][1].number, 2.5);
  EXPECT_EQ(read["list"][2].type, Json::Type::null);
  EXPECT_EQ(read["nan"].type, Json::Type::null);
  EXPECT_EQ(read["raw"].size(), 2u);
  EXPECT_EQ(read["empty"].size(), 0u);
}

TEST(JsonWriterTest, SecondsKeepMilliseconds) {
  EXPECT_EQ(seconds_of(1'795'633'512'345'678'901), 1795633512.345);
}

}  // namespace
}  // namespace ember::ui
