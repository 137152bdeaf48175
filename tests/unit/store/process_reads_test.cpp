// Reads of some processes: folded by name (StoreReader::read_process_names),
// drawing the flame graph the read per process draws with one process per
// name, and of the processes a filter keeps (read_process_samples_of).
#include "process_reads.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

#include "same_flame_tree.hpp"
#include "store_reader.hpp"
#include "store_windows.hpp"
#include "store_writer.hpp"
#include "test_files.hpp"

namespace ember::store {
namespace {

using test::kMinute;
using test::kStart;

// Window `i` (15 minutes from kStart + i * 15 min): the two processes of
// full_window, 20 short-lived `true`s and 10 `python3.12`s of their own
// pids, pid 300 named after i's parity (a pid reused under another name),
// pid 400 without a name, pid 77 without a row, and pid 600 a shell's child
// that exec'd `make` in the window (two processes of one pid, as the agent
// closes such a window).
Window churn_window(int i) {
  Window w = test::full_window(kStart + i * 15 * kMinute);
  w.end_ns = w.start_ns + 15 * kMinute;
  auto add = [&](std::uint32_t pid, const std::string& comm, std::uint32_t stack,
                 std::uint64_t count) {
    w.processes.push_back(test::process(pid, comm));
    w.threads.push_back({pid, pid, comm});
    w.samples.push_back({stack, pid, pid, count});
  };
  const std::uint32_t base = static_cast<std::uint32_t>(i);
  for (std::uint32_t n = 0; n < 20; ++n)
    add(1000 + base * 20 + n, "true", n % 2 ? 2 : 4, 1 + n % 3);
  for (std::uint32_t n = 0; n < 10; ++n) add(5000 + base * 10 + n, "python3.12", n % 2, 2 + n);
  add(300, i % 2 ? "cron-odd" : "cron-even", 3, 7);
  add(400, "", 0, 3);
  w.samples.push_back({1, 77, 77, 5});
  w.processes.push_back(test::process(600, "sh"));
  w.processes.back().instance = 1;
  w.processes.push_back(test::process(600, "make"));
  w.threads.push_back({600, 600, "make"});
  w.samples.push_back({2, 600, 600, 4, 0, 1});
  w.samples.push_back({0, 600, 600, 6, 0, 0});
  return w;
}

std::string write_store(const test::ScratchDir& dir, int windows) {
  std::string path = dir.file("ember.db");
  std::unique_ptr<StoreWriter> writer;
  StoreOutcome opened = StoreWriter::open(path, writer);
  EXPECT_TRUE(opened.ok()) << opened.message;
  for (int i = 0; i < windows && writer; ++i) {
    StoreOutcome written = writer->write(churn_window(i));
    EXPECT_TRUE(written.ok()) << written.message;
    EXPECT_TRUE(writer->roll_up().ok());
  }
  return path;
}

TEST(ProcessNames, AReadFoldedByNameDrawsTheFlameGraphOfTheReadPerProcess) {
  test::ScratchDir dir;
  std::string path = write_store(dir, 9);  // 19:05 to 21:20: two hours rolled up
  ASSERT_GE(test::query(path, "SELECT count(*) FROM rollups"), 1);
  std::unique_ptr<StoreReader> reader;
  ASSERT_TRUE(StoreReader::open(path, reader));
  const std::int64_t end = kStart + 9 * 15 * kMinute;
  for (auto [from, to] : std::vector<std::pair<std::int64_t, std::int64_t>>{
           {0, INT64_MAX}, {kStart + 40 * kMinute, end - 20 * kMinute}, {kStart, kStart + 1}}) {
    SCOPED_TRACE("from " + std::to_string(from) + " to " + std::to_string(to));
    Window each, names;
    ASSERT_TRUE(reader->read_process_samples(from, to, each));
    ASSERT_TRUE(reader->read_process_names(from, to, names));
    test::expect_same_flame_tree(names, each);
    EXPECT_EQ(names.total_samples(), each.total_samples());
    EXPECT_LT(names.samples.size(), each.samples.size()) << "rows of one name summed";
    // The reused pid 300's samples are under the name it had in each window
    // (7 a window), not all under its newest one.
    std::map<std::string, std::uint64_t> per_name;
    for (const StackCount& s : names.samples) {
      for (const ProcessInfo& p : names.processes) {
        if (p.pid == s.pid && p.instance == s.instance) per_name[p.comm] += s.count;
      }
    }
    std::uint64_t odd = 0, even = 0, windows = 0;
    for (int i = 0; i < 9; ++i) {
      const std::int64_t start = kStart + i * 15 * kMinute;
      if (start + 15 * kMinute <= from || start >= to) continue;
      (i % 2 ? odd : even) += 7;
      ++windows;
    }
    EXPECT_EQ(per_name["cron-odd"], odd);
    EXPECT_EQ(per_name["cron-even"], even);
    // The shell's child before its exec and `make` after it, apart.
    EXPECT_EQ(per_name["sh"], 4 * windows);
    EXPECT_EQ(per_name["make"], 6 * windows);

    // One process per name, the lowest pid of those that had it; the
    // unnamed one alone; nothing but pid, instance and name.
    std::map<std::string, std::uint32_t> lowest;
    for (const ProcessInfo& p : each.processes) {
      if (p.comm.empty()) continue;
      auto [it, inserted] = lowest.try_emplace(p.comm, p.pid);
      if (!inserted) it->second = std::min(it->second, p.pid);
    }
    std::map<std::string, std::uint32_t> folded;
    std::set<std::uint32_t> unnamed;
    for (const ProcessInfo& p : names.processes) {
      EXPECT_TRUE(p.exe.empty() && p.cmdline.empty() && p.container_id.empty() &&
                  p.container_name.empty() && p.pod_name.empty() && p.cgroup_id == 0)
          << p.pid;
      if (p.comm.empty()) {
        unnamed.insert(p.pid);
      } else {
        EXPECT_TRUE(folded.emplace(p.comm, p.pid).second) << p.comm << " twice";
      }
    }
    EXPECT_EQ(folded, lowest);
    EXPECT_EQ(unnamed, std::set<std::uint32_t>{400});
    for (const StackCount& s : names.samples) {
      EXPECT_EQ(s.tid, 0u);
      EXPECT_TRUE(unnamed.count(s.pid) || s.pid == 77 ||
                  std::any_of(folded.begin(), folded.end(),
                              [&](const auto& name) { return name.second == s.pid; }))
          << "a sample of pid " << s.pid << ", which no folded process is";
    }

    // The fold of any reader's read (StoreReader's default) is the same.
    fold_by_name(each);
    ASSERT_EQ(each.processes.size(), names.processes.size());
    for (std::size_t i = 0; i < each.processes.size(); ++i) {
      EXPECT_EQ(
          std::tie(each.processes[i].pid, each.processes[i].instance, each.processes[i].comm),
          std::tie(names.processes[i].pid, names.processes[i].instance, names.processes[i].comm));
    }
    ASSERT_EQ(each.samples.size(), names.samples.size());
    for (std::size_t i = 0; i < each.samples.size(); ++i) {
      EXPECT_EQ(std::tie(each.samples[i].pid, each.samples[i].instance, each.samples[i].stack,
                         each.samples[i].count),
                std::tie(names.samples[i].pid, names.samples[i].instance, names.samples[i].stack,
                         names.samples[i].count));
    }
  }
}

// A pid added twice is folded under its last name (a store read adds each
// name of a reused pid under a key of its own).
TEST(ProcessNames, APidAddedTwiceIsFoldedUnderItsLastName) {
  NameFold fold;
  fold.add(300, "cron-even");
  fold.add(7, "cron-odd");
  fold.add(300, "cron-odd");
  fold.add(9, "cron-even");
  fold.add(12, "");
  std::vector<ProcessInfo> processes = fold.finish();
  ASSERT_EQ(processes.size(), 3u);  // by pid: 7, 9, then the unnamed 12
  EXPECT_EQ(processes[0].pid, 7u);
  EXPECT_EQ(processes[0].comm, "cron-odd");
  EXPECT_EQ(processes[1].pid, 9u);
  EXPECT_EQ(processes[1].comm, "cron-even");
  EXPECT_EQ(processes[2].pid, 12u);
  EXPECT_EQ(processes[2].comm, "");
  EXPECT_EQ(fold.pid_for(300), 7u);
  EXPECT_EQ(fold.pid_for(9), 9u);
  EXPECT_EQ(fold.pid_for(12), 12u);
  EXPECT_EQ(fold.pid_for(55), 55u) << "a pid no row named stands for itself";
}

// Only the processes a filter keeps, each judged on its newest row, come
// back with their samples, stacks and frames: what the read of every process
// gives for them. A reused pid's programs are judged apart.
TEST(ProcessReads, AReadOfSomeProcessesIsTheirPartOfTheReadOfAll) {
  test::ScratchDir dir;
  std::string path = write_store(dir, 9);
  std::unique_ptr<StoreReader> reader;
  ASSERT_TRUE(StoreReader::open(path, reader));
  // python3.12, pid 300 while it is cron-even, pid 400 (unnamed), pid 77,
  // which no row describes, and pid 600 while it was the shell.
  const StoreReader::ProcessWanted wanted = [](const ProcessInfo* p, std::uint32_t pid) {
    if (!p) return pid == 77;
    return p->comm == "python3.12" || p->comm == "cron-even" || p->comm == "sh" || pid == 400;
  };
  const std::int64_t end = kStart + 9 * 15 * kMinute;
  // The samples of pid 300 while it was cron-even (7 in each even window),
  // of the windows read.
  for (auto [from, to, cron_even, windows] :
       std::vector<std::tuple<std::int64_t, std::int64_t, std::uint64_t, std::uint64_t>>{
           {0, INT64_MAX, 5 * 7, 9},
           {kStart + 40 * kMinute, end - 20 * kMinute, 3 * 7, 6},  // windows 2 to 7
           {kStart, kStart + 1, 7, 1}}) {
    SCOPED_TRACE("from " + std::to_string(from) + " to " + std::to_string(to));
    Window all, some;
    ASSERT_TRUE(reader->read_process_samples(from, to, all));
    ASSERT_TRUE(reader->read_process_samples_of(from, to, wanted, some));
    EXPECT_LT(some.stacks.size(), all.stacks.size()) << "only the stacks of their samples";
    keep_processes(all, wanted);
    ASSERT_FALSE(all.processes.empty());
    EXPECT_EQ(test::profile_of(some), test::profile_of(all));
    ASSERT_EQ(some.processes.size(), all.processes.size());
    std::set<std::uint32_t> pids;
    for (std::size_t i = 0; i < some.processes.size(); ++i) {
      EXPECT_EQ(some.processes[i].pid, all.processes[i].pid);
      EXPECT_EQ(some.processes[i].comm, all.processes[i].comm);
      EXPECT_EQ(some.processes[i].cmdline, all.processes[i].cmdline);
      pids.insert(some.processes[i].pid);
    }
    EXPECT_EQ(pids.count(400), 1u);
    std::uint64_t of_77 = 0, of_300 = 0, of_600 = 0;
    for (const StackCount& s : some.samples) {
      of_77 += s.pid == 77 ? s.count : 0;
      of_300 += s.pid == 300 ? s.count : 0;
      of_600 += s.pid == 600 ? s.count : 0;
    }
    EXPECT_EQ(of_300, cron_even);
    EXPECT_EQ(of_600, 4 * windows) << "the shell's, not make's";
    for (const ProcessInfo& p : some.processes) {
      if (p.pid == 300) {
        EXPECT_EQ(p.comm, "cron-even");
      }
    }
    EXPECT_GT(of_77, 0u) << "a pid without a row, which the filter keeps";
    EXPECT_EQ(std::tie(some.start_ns, some.end_ns, some.frequency_hz, some.lost_samples),
              std::tie(all.start_ns, all.end_ns, all.frequency_hz, all.lost_samples));
  }
}

}  // namespace
}  // namespace ember::store
