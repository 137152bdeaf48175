#include "pprof_reader.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "gzip.hpp"
#include "pprof_writer.hpp"
#include "profile.pb.h"
#include "sample_windows.hpp"

namespace ember::formats {
namespace {

namespace pb = perftools::profiles;
using ember::test::sample_window;

// ember's own profile of the sample window, as the generated parser reads it.
pb::Profile written_profile() {
  pb::Profile profile;
  EXPECT_TRUE(profile.ParseFromString(gunzip(pprof_gzip(sample_window()))));
  return profile;
}

TEST(PprofReaderTest, ReadsBackTheWindowsTimeAndSamples) {
  Window original = sample_window();
  Window back;
  Status read = read_pprof(written_profile().SerializeAsString(), back);
  ASSERT_TRUE(read) << read.message();
  EXPECT_EQ(back.start_ns, original.start_ns);
  EXPECT_EQ(back.end_ns, original.end_ns);
  EXPECT_EQ(back.total_samples(), original.total_samples());
}

TEST(PprofReaderTest, ReadsBackEachProcesssExecutableAndCommandLine) {
  Window back;
  Status read = read_pprof(written_profile().SerializeAsString(), back);
  ASSERT_TRUE(read) << read.message();
  std::map<std::uint32_t, std::pair<std::string, std::string>> seen;
  for (const ProcessInfo& p : back.processes) seen[p.pid] = {p.exe, p.cmdline};
  EXPECT_EQ(seen[100], (std::pair<std::string, std::string>{"/usr/bin/python3.11", "python3 app.py"}));
  EXPECT_EQ(seen[200].second, "python3 \"quoted\" \\ back");
  // Invalid UTF-8 is replaced: a proto3 string must be UTF-8, or the
  // profile does not parse at all.
  EXPECT_EQ(seen[300].second, "nginx: worker \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(PprofReaderTest, AnEndPastWhatNanosecondsHoldIsAnError) {
  // Found by the fuzz target: time_nanos + duration_nanos overflowed.
  pb::Profile profile = written_profile();
  profile.set_time_nanos(std::numeric_limits<std::int64_t>::max() - 10'000);
  profile.set_duration_nanos(60'000'000'000);
  Window back;
  Status read = read_pprof(profile.SerializeAsString(), back);
  ASSERT_FALSE(read);
  EXPECT_NE(read.message().find("duration_nanos"), std::string::npos) << read.message();
}

}  // namespace
}  // namespace ember::formats
