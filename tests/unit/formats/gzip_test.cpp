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

}  // namespace
}  // namespace ember::formats
