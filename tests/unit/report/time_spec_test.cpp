#include "time_spec.hpp"

#include <gtest/gtest.h>

#include "story_windows.hpp"

namespace ember::report {
namespace {

using test::kS;
constexpr std::int64_t kNow = 1'795'633'512LL * kS;  // 2026-11-25T19:05:12Z

std::int64_t at(const std::string& text) {
  std::int64_t ns = -1;
  Status status = parse_time(text, kNow, ns);
  EXPECT_TRUE(status) << text << ": " << status.message();
  return ns;
}

std::string error(const std::string& text) {
  std::int64_t ns = 0;
  Status status = parse_time(text, kNow, ns);
  EXPECT_FALSE(status) << text;
  return status.message();
}

TEST(TimeSpecTest, NowAndDurationsBeforeNow) {
  EXPECT_EQ(at("now"), kNow);
  EXPECT_EQ(at("-15m"), kNow - 15 * 60 * kS);
  EXPECT_EQ(at("-2h"), kNow - 2 * 3600 * kS);
  EXPECT_EQ(at("-1d"), kNow - 86400 * kS);
  EXPECT_EQ(at("-1w"), kNow - 7 * 86400 * kS);
  EXPECT_EQ(at("-90s"), kNow - 90 * kS);
  EXPECT_EQ(at("-1h30m"), kNow - 5400 * kS);
  EXPECT_EQ(at("-1.5h"), kNow - 5400 * kS);
  EXPECT_EQ(at("now-10m"), kNow - 600 * kS);
  EXPECT_EQ(at(" -1m "), kNow - 60 * kS);
}

TEST(TimeSpecTest, Iso8601InUtcUnlessAZoneIsGiven) {
  EXPECT_EQ(at("2026-11-25T19:05:12Z"), kNow);
  EXPECT_EQ(at("2026-11-25T19:05:12"), kNow);
  EXPECT_EQ(at("2026-11-25 19:05:12"), kNow);
  EXPECT_EQ(at("2026-11-25T19:05"), kNow - 12 * kS);
  EXPECT_EQ(at("2026-11-25"), kNow - (19 * 3600 + 5 * 60 + 12) * kS);
  EXPECT_EQ(at("2026-11-25T21:05:12+02:00"), kNow);
  EXPECT_EQ(at("2026-11-25T14:35:12-0430"), kNow);
  EXPECT_EQ(at("2026-11-25T19:05:12.250Z"), kNow + 250'000'000);
  EXPECT_EQ(at("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(at("2024-02-29T00:00:00Z"), 1'709'164'800LL * kS);  // leap day
}

TEST(TimeSpecTest, EpochSecondsAndNanoseconds) {
  EXPECT_EQ(at("1795633512"), kNow);
  EXPECT_EQ(at("@1795633512"), kNow);
  EXPECT_EQ(at("1795633512.5"), kNow + kS / 2);
  EXPECT_EQ(at("1795633512000000123"), kNow + 123);
}

TEST(TimeSpecTest, BadTimesSayWhatIsAccepted) {
  EXPECT_NE(error("yesterday").find("cannot read the time 'yesterday'"), std::string::npos);
  EXPECT_NE(error("yesterday").find("-15m"), std::string::npos);
  EXPECT_NE(error("-15").find("needs a unit"), std::string::npos);
  EXPECT_NE(error("-15y").find("units are s, m, h, d and w"), std::string::npos);
  error("");
  error("-");
  error("2026-13-01");
  error("2026-02-30");
  error("2026-11-25T25:00");
  error("2026-11-25T19:05:12Q");
  error("26-11-25");
  error("179563351200000");  // 15 digits: neither seconds nor nanoseconds
  error("12abc");
  error("9300000000");  // seconds past 2262: would wrap to 1680
  // Durations past a century are refused before they could overflow.
  EXPECT_NE(error("-999999999w").find("more than 100 years"), std::string::npos);
  EXPECT_NE(error("-36600d36600d").find("more than 100 years"), std::string::npos);
  EXPECT_EQ(at("-5200w"), kNow - 5200LL * 7 * 86400 * kS);
}

TEST(TimeSpecTest, Ranges) {
  TimeRange r;
  ASSERT_TRUE(parse_time_range("-2h..-1h", kNow, r));
  EXPECT_EQ(r.from_ns, kNow - 7200 * kS);
  EXPECT_EQ(r.to_ns, kNow - 3600 * kS);
  ASSERT_TRUE(parse_time_range("2026-11-25T19:00Z..now", kNow, r));
  EXPECT_EQ(r.to_ns, kNow);
  ASSERT_TRUE(parse_time_range("-1m", kNow, r));  // FROM alone: until now
  EXPECT_EQ(r.from_ns, kNow - 60 * kS);
  EXPECT_EQ(r.to_ns, kNow);
  EXPECT_FALSE(parse_time_range("..-1h", kNow, r));
  EXPECT_FALSE(parse_time_range("-1h..-2h", kNow, r));
  Status bad = parse_time_range("-1h..later", kNow, r);
  EXPECT_NE(bad.message().find("'later'"), std::string::npos);
}

}  // namespace
}  // namespace ember::report
