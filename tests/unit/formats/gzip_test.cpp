#include "gzip.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace ember::formats {
namespace {

TEST(GzipTest, RoundTripsAndCompresses) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "python3;main;handler " + std::to_string(i % 7) + "\n";
  std::string packed = gzip(text);
  EXPECT_EQ(packed.substr(0, 2), "\x1f\x8b");
  EXPECT_LT(packed.size(), text.size() / 4);
  EXPECT_EQ(gunzip(packed), text);
  EXPECT_EQ(gunzip(gzip("")), "");
}

TEST(GzipTest, TruncatedAndForeignDataAreErrors) {
  std::string packed = gzip(std::string(10000, 'x'));
  EXPECT_THROW(gunzip(packed.substr(0, packed.size() / 2)), std::runtime_error);
  EXPECT_THROW(gunzip("not gzip at all"), std::runtime_error);
}

// A megabyte of one byte packs into about a kilobyte: a small file must not
// be able to make its reader allocate what it claims.
TEST(GzipTest, InflatingPastTheLimitIsAnError) {
  std::string text(1 << 20, 'a');
  std::string packed = gzip(text);
  EXPECT_LT(packed.size(), 4096u);
  EXPECT_EQ(gunzip(packed, text.size()), text);
  try {
    gunzip(packed, text.size() - 1);
    FAIL() << "inflated past its limit";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("more than 1048575 bytes"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ember::formats
