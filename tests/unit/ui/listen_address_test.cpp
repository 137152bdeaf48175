#include "listen_address.hpp"

#include <gtest/gtest.h>

namespace ember {
namespace {

TEST(ListenAddressTest, HostsAndPorts) {
  ListenAddress a;
  ASSERT_TRUE(parse_listen_address("127.0.0.1:8080", a));
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 8080);
  ASSERT_TRUE(parse_listen_address("[::1]:0", a));
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 0);
  EXPECT_FALSE(parse_listen_address("::1:80", a));
  EXPECT_FALSE(parse_listen_address("[nonsense]:80", a));
  EXPECT_FALSE(parse_listen_address(":80", a));
  EXPECT_FALSE(parse_listen_address("host:", a));
  EXPECT_FALSE(parse_listen_address("host:65536", a));
  EXPECT_FALSE(parse_listen_address("host:8o", a));
}

TEST(ListenAddressTest, Loopback) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_FALSE(is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
  EXPECT_FALSE(is_loopback_host("localhost.evil.example"));
}

}  // namespace
}  // namespace ember
