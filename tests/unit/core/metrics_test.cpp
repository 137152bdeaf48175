// The metrics parsers on real procfs text forms, and the collector on a fake
// /proc whose files the test advances between steps.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "metrics/metrics_collector.hpp"
#include "metrics/procfs_parsers.hpp"
#include "scratch_dir.hpp"

namespace ember {
namespace {

TEST(ProcfsParsersTest, ProcStatFirstLine) {
  CpuTimes cpu;
  ASSERT_TRUE(parse_proc_stat(
      "cpu  100 20 30 400 50 6 7 8 90 10\ncpu0 50 10 15 200 25 3 3 4 45 5\nintr 1 2\n", cpu));
  EXPECT_EQ(cpu.busy, 100u + 20 + 30 + 6 + 7 + 8);  // guest is inside user already
  EXPECT_EQ(cpu.total, cpu.busy + 400 + 50);
  EXPECT_FALSE(parse_proc_stat("cpu0 1 2 3 4 5 6 7 8\n", cpu));
  EXPECT_FALSE(parse_proc_stat("cpu  1 2 3\n", cpu));
  EXPECT_FALSE(parse_proc_stat("", cpu));
}

TEST(ProcfsParsersTest, Meminfo) {
  MemoryInfo memory;
  ASSERT_TRUE(
      parse_meminfo("MemTotal:       24684084 kB\nMemFree:         1000000 kB\n"
                    "MemAvailable:   23584084 kB\nBuffers:          123 kB\nSwapTotal: 0 kB\n",
                    memory));
  EXPECT_EQ(memory.total_bytes, 24684084ull * 1024);
  EXPECT_EQ(memory.available_bytes, 23584084ull * 1024);
  // "MemAvailable" must not be found inside another key.
  EXPECT_FALSE(parse_meminfo("MemTotal: 10 kB\nXMemAvailable: 5 kB\n", memory));
  EXPECT_FALSE(parse_meminfo("MemTotal: 10 kB\n", memory));
}

std::string pid_stat(const std::string& comm, std::uint64_t utime, std::uint64_t stime,
                     std::uint64_t start, std::uint64_t rss) {
  // Fields 1..24 and some after, as the kernel prints them (priority -2 is
  // real for RT tasks).
  return "4242 (" + comm + ") R 1 4242 4242 0 -1 4194560 100 0 0 0 " + std::to_string(utime) + " " +
         std::to_string(stime) + " 0 0 -2 0 3 0 " + std::to_string(start) + " 123456789 " +
         std::to_string(rss) + " 18446744073709551615 1 1 0 0 0\n";
}

TEST(ProcfsParsersTest, PidStatWithAwkwardComm) {
  PidStat stat;
  ASSERT_TRUE(parse_pid_stat(pid_stat("a b) (c", 150, 50, 9999, 2048), stat));
  EXPECT_EQ(stat.cpu_ticks, 200u);
  EXPECT_EQ(stat.start_ticks, 9999u);
  EXPECT_EQ(stat.rss_pages, 2048u);
  EXPECT_FALSE(parse_pid_stat("4242 (x) R 1 2 3\n", stat));
  EXPECT_FALSE(parse_pid_stat("garbage", stat));
}

TEST(ProcfsParsersTest, PidStatOfThisProcess) {
  std::ifstream file("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  PidStat stat;
  ASSERT_TRUE(parse_pid_stat(text, stat)) << text;
  EXPECT_GT(stat.rss_pages, 0u);
  EXPECT_GT(stat.start_ticks, 0u);
}

class FakeProc {
 public:
  void host(std::uint64_t busy, std::uint64_t idle, std::uint64_t available_kb) {
    write("stat",
          "cpu  " + std::to_string(busy) + " 0 0 " + std::to_string(idle) + " 0 0 0 0 0 0\n");
    write("meminfo", "MemTotal: 1000 kB\nMemAvailable: " + std::to_string(available_kb) + " kB\n");
  }
  void process(std::uint32_t pid, std::uint64_t ticks, std::uint64_t rss_pages) {
    std::filesystem::create_directories(root_ / std::to_string(pid));
    write(std::to_string(pid) + "/stat", pid_stat("w", ticks, 0, 1, rss_pages));
  }
  void exit(std::uint32_t pid) { std::filesystem::remove_all(root_ / std::to_string(pid)); }
  std::string root() const { return root_.string(); }

 private:
  void write(const std::string& name, const std::string& text) {
    std::ofstream(root_ / name) << text;
  }
  ember::test::ScratchDir scratch_{"ember-metrics-test"};
  const std::filesystem::path root_ = scratch_.path();
};

constexpr std::int64_t kSecond = 1'000'000'000;

TEST(MetricsCollectorTest, HostAndProcessDeltasPerStep) {
  const double hz = double(sysconf(_SC_CLK_TCK));
  const std::uint64_t page = std::uint64_t(sysconf(_SC_PAGESIZE));
  FakeProc proc;
  MetricsCollector collector(proc.root());
  std::vector<std::uint32_t> pids = {7, 8};
  proc.host(100, 100, 800);
  proc.process(7, 1000, 10);
  collector.track(7, 0);  // pid 8 unknown until its first step
  collector.step(50 * kSecond, 0, pids);

  proc.host(100 + 150, 100 + 50, 600);            // 150 of 200 ticks busy
  proc.process(7, 1000 + std::uint64_t(hz), 20);  // one second of CPU in 2 s
  proc.process(8, 500, 30);                       // first seen: gets a base only
  collector.step(52 * kSecond, 2 * kSecond, pids);

  proc.process(8, 500 + std::uint64_t(3 * hz), 40);  // three cores for a second
  proc.exit(7);
  collector.step(53 * kSecond, 3 * kSecond, pids);

  std::vector<HostMetrics> host;
  std::vector<ProcessMetrics> processes;
  collector.take(host, processes);
  ASSERT_EQ(host.size(), 2u);  // the first step only set the CPU base
  EXPECT_EQ(host[0].time_ns, 52 * kSecond);
  EXPECT_DOUBLE_EQ(host[0].cpu_utilization, 0.75);
  EXPECT_EQ(host[0].memory_total_bytes, 1000u * 1024);
  EXPECT_EQ(host[0].memory_available_bytes, 600u * 1024);
  EXPECT_DOUBLE_EQ(host[1].cpu_utilization, 0.0);  // no ticks advanced: no division by zero

  // Step 1: pid 7's base is from track() at the same instant (no time passed:
  // no entry), pid 8 does not exist yet. Step 3: pid 7 has exited.
  ASSERT_EQ(processes.size(), 2u);
  EXPECT_EQ(processes[0].pid, 7u);
  EXPECT_DOUBLE_EQ(processes[0].cpu_cores, 0.5);
  EXPECT_EQ(processes[0].rss_bytes, 20 * page);
  EXPECT_EQ(processes[0].time_ns, 52 * kSecond);
  EXPECT_EQ(processes[1].pid, 8u);
  EXPECT_DOUBLE_EQ(processes[1].cpu_cores, 3.0);
  EXPECT_EQ(processes[1].rss_bytes, 40 * page);
  EXPECT_EQ(processes[1].time_ns, 53 * kSecond);

  collector.take(host, processes);
  EXPECT_TRUE(host.empty());
  EXPECT_TRUE(processes.empty());
}

// A process first seen just before a step: 2 ticks in 30 ms would read as
// several cores. The step is skipped and the next one spans from the base.
TEST(MetricsCollectorTest, SliverStepsWaitForTheNextStep) {
  const std::uint64_t hz = std::uint64_t(sysconf(_SC_CLK_TCK));
  const std::int64_t ms = kSecond / 1000;
  FakeProc proc;
  MetricsCollector collector(proc.root());
  proc.host(1, 1, 1);
  proc.process(5, 100, 1);
  std::vector<std::uint32_t> pids = {5};
  collector.track(5, 0);
  proc.process(5, 102, 1);
  collector.step(30 * ms, 30 * ms, pids);
  proc.process(5, 100 + hz, 1);
  collector.step(kSecond, kSecond, pids);
  std::vector<HostMetrics> host;
  std::vector<ProcessMetrics> processes;
  collector.take(host, processes);
  ASSERT_EQ(processes.size(), 1u);
  EXPECT_EQ(processes[0].time_ns, kSecond);
  EXPECT_DOUBLE_EQ(processes[0].cpu_cores, 1.0);  // hz ticks since track(), over 1 s
}

TEST(MetricsCollectorTest, UnseenBasesAreForgotten) {
  FakeProc proc;
  MetricsCollector collector(proc.root());
  proc.host(1, 1, 1);
  proc.process(9, 100, 1);
  std::vector<std::uint32_t> pids = {9};
  collector.step(kSecond, kSecond, pids);
  collector.forget_unseen();  // 9 was seen: kept
  collector.forget_unseen();  // not stepped since: forgotten
  proc.process(9, 200, 1);
  collector.step(2 * kSecond, 2 * kSecond, pids);  // a new base, no entry
  std::vector<HostMetrics> host;
  std::vector<ProcessMetrics> processes;
  collector.take(host, processes);
  EXPECT_TRUE(processes.empty());
}

}  // namespace
}  // namespace ember
