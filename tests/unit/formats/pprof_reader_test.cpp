#include "pprof_reader.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <map>
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

TEST(PprofReaderTest, EachFrameKeepsItsKindInAStackOfSeveralKinds) {
  // Guessed from the file, the kernel frame and a Python frame of frozen
  // code would both come back native.
  Window original = sample_window();
  original.frames[1].file = "<frozen runpy>";
  Window back;
  Status read = read_pprof(gunzip(pprof_gzip(original)), back);
  ASSERT_TRUE(read) << read.message();
  std::map<std::string, std::string> kinds;
  for (const Frame& frame : back.frames) kinds[frame.name] = frame.kind;
  EXPECT_EQ(kinds["main"], frame_kind::native);
  EXPECT_EQ(kinds["handler"], frame_kind::python);
  EXPECT_EQ(kinds["do_sys_open"], frame_kind::kernel);

  // A profile without ember's kinds (another writer's, an older ember's):
  // the guess from the file, as before.
  pb::Profile profile;
  ASSERT_TRUE(profile.ParseFromString(gunzip(pprof_gzip(original))));
  for (pb::Function& function : *profile.mutable_function()) function.clear_ember_kind();
  ASSERT_TRUE(read_pprof(profile.SerializeAsString(), back));
  kinds.clear();
  for (const Frame& frame : back.frames) kinds[frame.name] = frame.kind;
  EXPECT_EQ(kinds["do_sys_open"], frame_kind::native);
}

TEST(PprofReaderTest, MetricsGoOnlyWhereAskedForAndComeBack) {
  Window original = sample_window();
  original.host_metrics = {HostMetrics{original.start_ns + 1'000'000'000, 0.25, 8000, 6000}};
  original.process_metrics = {ProcessMetrics{original.start_ns + 1'000'000'000, 100, 1.5, 4096}};
  Window plain, with;
  ASSERT_TRUE(read_pprof(gunzip(pprof_gzip(original)), plain));
  EXPECT_TRUE(plain.host_metrics.empty());
  EXPECT_TRUE(plain.process_metrics.empty());
  ASSERT_TRUE(read_pprof(gunzip(pprof_gzip(original, PprofOptions{.metrics = true})), with));
  ASSERT_EQ(with.host_metrics.size(), 1u);
  EXPECT_EQ(with.host_metrics[0].time_ns, original.host_metrics[0].time_ns);
  EXPECT_EQ(with.host_metrics[0].cpu_utilization, 0.25);
  EXPECT_EQ(with.host_metrics[0].memory_available_bytes, 6000u);
  ASSERT_EQ(with.process_metrics.size(), 1u);
  EXPECT_EQ(with.process_metrics[0].pid, 100u);
  EXPECT_EQ(with.process_metrics[0].cpu_cores, 1.5);
  EXPECT_EQ(with.process_metrics[0].rss_bytes, 4096u);
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

// A pid that ran two programs (a shell's child, then what it exec'd): each
// sample comes back under its own program, as the fleet server stores it.
TEST(PprofReaderTest, APidsTwoProgramsComeBackApart) {
  Window window = sample_window();
  ProcessInfo shell;
  shell.pid = 100;
  shell.comm = "sh";
  shell.instance = 1;
  window.processes.insert(window.processes.begin(), shell);
  StackCount before_exec = window.samples.at(0);
  before_exec.pid = 100;
  before_exec.instance = 1;
  before_exec.count = 3;
  window.samples.push_back(before_exec);
  Window back;
  Status read = read_pprof(gunzip(pprof_gzip(window)), back);
  ASSERT_TRUE(read) << read.message();
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::string> names;
  for (const ProcessInfo& p : back.processes) names[{p.pid, p.instance}] = p.comm;
  EXPECT_EQ((names[{100, 1}]), "sh");
  EXPECT_EQ((names[{100, 0}]), "python3");
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> counts, wanted;
  for (const StackCount& s : back.samples) counts[{s.pid, s.instance}] += s.count;
  for (const StackCount& s : window.samples) wanted[{s.pid, s.instance}] += s.count;
  EXPECT_EQ(counts, wanted);
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
