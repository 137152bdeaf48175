#include "agent/sink_runner.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "agent/window_bytes.hpp"

namespace ember {
namespace {

// Generous: only a broken runner waits this long.
constexpr auto kPatience = std::chrono::seconds(60);

// A sink that records the windows it got (by start_ns) and can be held: a
// held on_window (or flush) waits until released, as a sink stuck on a dead
// server would.
class FakeSink : public SinkPlugin {
 public:
  explicit FakeSink(bool hold_windows = false, bool hold_flush = false)
      : hold_windows_(hold_windows), hold_flush_(hold_flush) {}

  std::string_view name() const override { return "fake"; }
  Status configure(const Options&, Host&) override { return Status::ok(); }
  Status on_window(const Window& window) override {
    std::unique_lock<std::mutex> lock(mutex_);
    ++entered_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return !hold_windows_; });
    got_.push_back(window.start_ns);
    last_ = window;
    nices_.push_back(::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid))));
    changed_.notify_all();
    return Status::ok();
  }
  Status flush() override {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !hold_flush_; });
    return Status::ok();
  }
  Status close() override {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    changed_.notify_all();
    return Status::ok();
  }

  void release() {
    std::lock_guard<std::mutex> lock(mutex_);
    hold_windows_ = hold_flush_ = false;
    changed_.notify_all();
  }
  bool wait_for_windows(std::size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return got_.size() >= count; });
  }
  bool wait_until_entered() {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return entered_ > 0; });
  }
  bool wait_until_closed() {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return closed_; });
  }
  std::vector<std::int64_t> got() {
    std::lock_guard<std::mutex> lock(mutex_);
    return got_;
  }
  // The nice value of the sink's thread at each window.
  std::vector<int> nices() {
    std::lock_guard<std::mutex> lock(mutex_);
    return nices_;
  }
  bool closed() {
    std::lock_guard<std::mutex> lock(mutex_);
    return closed_;
  }
  Window last() {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool hold_windows_;
  bool hold_flush_;
  int entered_ = 0;
  bool closed_ = false;
  std::vector<std::int64_t> got_;
  Window last_;
  std::vector<int> nices_;
};

// Lets a held sink go at the end of a scope.
struct Releaser {
  FakeSink& sink;
  ~Releaser() { sink.release(); }
};

std::shared_ptr<const Window> window_at(std::int64_t start) {
  auto window = std::make_shared<Window>();
  window->start_ns = start;
  window->end_ns = start + 1;
  return window;
}

SinkEntry entry(const std::string& name, FakeSink& sink, std::size_t queue,
                std::chrono::milliseconds flush_timeout = kPatience) {
  SinkEntry e;
  e.name = name;
  e.plugin = &sink;
  e.settings.queue_windows = queue;
  e.settings.flush_timeout = flush_timeout;
  return e;
}

// A pid that ran two programs in the window (a shell's child, then what it
// exec'd): a sink built for ABI 6.5 gets both processes, an older one the
// window as 6.4 made it, one process per pid, the newest, with all samples.
TEST(SinkRunner, ASinkBuiltBeforeAgentWindowsHeldInstancesGetsOneProcessPerPid) {
  FakeSink current, old(/*hold_windows=*/true);
  SinkEntry old_entry = entry("old", old, 8);
  old_entry.settings.one_process_per_pid = true;
  auto window = std::make_shared<Window>();
  ProcessInfo shell, tool;
  shell.pid = tool.pid = 7;
  shell.comm = "sh";
  shell.instance = 1;
  tool.comm = "make";
  window->processes = {shell, tool};
  window->stacks = {{}};
  window->samples = {StackCount{0, 7, 7, 3, 0, 1}, StackCount{0, 7, 7, 5, 0, 0}};
  std::atomic<int> released{0};
  {
    SinkRunner runner({entry("current", current, 8), old_entry}, [&] { ++released; });
    Releaser releaser{old};
    runner.submit(window);
    ASSERT_TRUE(current.wait_for_windows(1));
    ASSERT_TRUE(old.wait_until_entered());
    // The old sink's copy is the window too: the hook (a heap trim) waits for it.
    EXPECT_EQ(released.load(), 0);
    old.release();
    ASSERT_TRUE(old.wait_for_windows(1));
  }
  EXPECT_EQ(released.load(), 1);
  Window apart = current.last(), folded = old.last();
  ASSERT_EQ(apart.processes.size(), 2u);
  EXPECT_EQ(apart.samples[0].instance, 1u);
  ASSERT_EQ(folded.processes.size(), 1u);
  EXPECT_EQ(folded.processes[0].comm, "make");
  // One count for the pid's thread and stack, as a 6.4 agent counted it.
  ASSERT_EQ(folded.samples.size(), 1u);
  EXPECT_EQ(folded.samples[0].count, 8u);
  EXPECT_EQ(folded.samples[0].instance, 0u);
  EXPECT_EQ(window->processes.size(), 2u) << "the agent's window is not changed";
}

TEST(SinkRunner, ASlowSinkNeitherStallsTheStoreNorHoldsMoreThanItsQueue) {
  FakeSink store;
  FakeSink slow(/*hold_windows=*/true);
  SinkRunner runner({entry("store", store, 8), entry("slow", slow, 4)});
  Releaser releaser{slow};  // before the runner goes, even when an assertion fails

  runner.submit(window_at(0));
  ASSERT_TRUE(slow.wait_until_entered());  // stuck in its first window now
  std::vector<std::weak_ptr<const Window>> submitted;
  for (int i = 1; i < 50; ++i) {
    auto window = window_at(i);
    submitted.push_back(window);
    runner.submit(std::move(window));
    // Every window reaches the store while the slow sink holds its first one.
    ASSERT_TRUE(store.wait_for_windows(i + 1));
  }
  EXPECT_EQ(store.got().size(), 50u);
  EXPECT_TRUE(slow.got().empty());

  // The slow sink holds its queue's worth, no more: the rest were dropped,
  // oldest first, and freed (windows are shared, not copied per sink).
  SinkCounters slow_counters{};
  SinkCounters store_counters{};
  for (const auto& [name, counters] : runner.counters()) {
    (name == "slow" ? slow_counters : store_counters) = counters;
  }
  EXPECT_EQ(slow_counters.queued, 4u);
  EXPECT_EQ(slow_counters.most_queued, 4u);
  EXPECT_EQ(slow_counters.dropped, 45u);
  EXPECT_EQ(store_counters.dropped, 0u);
  EXPECT_LE(store_counters.most_queued, 8u);
  std::size_t alive = 0;
  for (const auto& window : submitted) alive += !window.expired();
  EXPECT_EQ(alive, 4u);  // the slow sink's queue; the store let go of all

  slow.release();
  std::vector<std::string> abandoned;
  ASSERT_TRUE(runner.finish_all(abandoned));
  EXPECT_TRUE(abandoned.empty());
  EXPECT_EQ(slow.got(), (std::vector<std::int64_t>{0, 46, 47, 48, 49}));
  EXPECT_TRUE(slow.closed());
  EXPECT_TRUE(store.closed());
}

// A window holding about `mib` MiB: its frames' names.
std::shared_ptr<const Window> big_window_at(std::int64_t start, std::size_t mib) {
  auto window = std::make_shared<Window>();
  window->start_ns = start;
  window->end_ns = start + 1;
  for (std::size_t i = 0; i < mib * 16; ++i) {
    Frame& frame = window->frames.emplace_back();
    frame.name = std::string(64 << 10, 'f');
  }
  return window;
}

TEST(WindowBytes, CountsWhatTheWindowHolds) {
  const std::size_t empty = window_bytes(*window_at(0));
  const std::size_t one = window_bytes(*big_window_at(0, 1));
  EXPECT_GE(one, empty + (std::size_t{1} << 20));
  EXPECT_LE(one, empty + (std::size_t{11} << 20) / 10);  // within 10% of what it holds
  Window full;
  full.stacks.push_back(std::vector<std::uint32_t>(1000, 1));
  full.samples.resize(100);
  full.processes.emplace_back().cmdline = std::string(5000, 'c');
  full.label_sets.push_back({Label{"route", std::string(2000, 'r')}});
  EXPECT_GE(window_bytes(full),
            window_bytes(Window{}) + 4000 + 100 * sizeof(StackCount) + 5000 + 2000);
}

TEST(SinkRunner, AQueueOverItsByteBudgetDropsTheOldestAndCountsThem) {
  FakeSink slow(/*hold_windows=*/true);
  SinkEntry e = entry("slow", slow, /*queue=*/100);
  // Three 1 MiB windows fit, a fourth does not.
  e.settings.queue_bytes = window_bytes(*big_window_at(0, 1)) * 7 / 2;
  SinkRunner runner({e});
  Releaser releaser{slow};

  runner.submit(window_at(0));
  ASSERT_TRUE(slow.wait_until_entered());  // held in its first window
  std::vector<std::weak_ptr<const Window>> submitted;
  for (int i = 1; i <= 6; ++i) {
    auto window = big_window_at(i, 1);
    submitted.push_back(window);
    runner.submit(std::move(window));
  }
  SinkCounters counters = runner.counters().at(0).second;
  EXPECT_EQ(counters.queued, 3u);
  EXPECT_EQ(counters.dropped, 3u);
  EXPECT_EQ(counters.dropped_for_bytes, 3u);
  EXPECT_LE(counters.queued_bytes, e.settings.queue_bytes);
  EXPECT_EQ(runner.queued_bytes(), counters.queued_bytes);
  std::size_t alive = 0;
  for (const auto& window : submitted) alive += !window.expired();
  EXPECT_EQ(alive, 3u);  // the dropped ones are freed
  EXPECT_NE(runner.status().find("3 dropped"), std::string::npos) << runner.status();

  // A window bigger than the whole budget replaces what waits, alone.
  runner.submit(big_window_at(7, 4));
  counters = runner.counters().at(0).second;
  EXPECT_EQ(counters.queued, 1u);
  EXPECT_EQ(counters.dropped, 6u);

  slow.release();
  std::vector<std::string> abandoned;
  ASSERT_TRUE(runner.finish_all(abandoned));
  EXPECT_EQ(slow.got(), (std::vector<std::int64_t>{0, 7}));
  EXPECT_EQ(runner.counters().size(), 0u);
}

// What the release hook saw each time it ran.
struct Release {
  std::size_t store_got = 0;
  std::size_t files_got = 0;
  bool window_freed = false;
};

TEST(SinkRunner, TheReleaseHookRunsOnceAWindowAfterEverySinkLetGoOfIt) {
  FakeSink store;
  FakeSink files(/*hold_windows=*/true);  // the last to let go
  std::mutex mutex;
  std::condition_variable ran;
  std::vector<Release> releases;
  std::vector<std::weak_ptr<const Window>> submitted;
  {
    SinkRunner runner({entry("store", store, 8), entry("files", files, 8)}, [&] {
      Release seen{store.got().size(), files.got().size(), false};
      std::lock_guard<std::mutex> lock(mutex);
      seen.window_freed = submitted[releases.size()].expired();
      releases.push_back(seen);
      ran.notify_all();
    });
    Releaser releaser{files};
    for (int i = 0; i < 3; ++i) {
      auto window = window_at(i);
      {
        std::lock_guard<std::mutex> lock(mutex);
        submitted.push_back(window);
      }
      runner.submit(std::move(window));
    }
    ASSERT_TRUE(store.wait_for_windows(3));
    {
      std::lock_guard<std::mutex> lock(mutex);
      EXPECT_TRUE(releases.empty());  // the files sink still holds all three
    }
    files.release();
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(ran.wait_for(lock, kPatience, [&] { return releases.size() == 3; }));
  }
  ASSERT_EQ(releases.size(), 3u);  // once each, none again at the runner's end
  for (std::size_t i = 0; i < releases.size(); ++i) {
    EXPECT_EQ(releases[i].store_got, 3u) << i;
    EXPECT_EQ(releases[i].files_got, i + 1) << i;  // right after the last sink wrote it
    EXPECT_TRUE(releases[i].window_freed) << i;   // and freed it
  }
}

TEST(SinkRunner, TheReleaseHookRunsForADroppedWindowToo) {
  FakeSink slow(/*hold_windows=*/true);
  std::atomic<int> released{0};
  SinkRunner runner({entry("slow", slow, /*queue=*/1)}, [&] { ++released; });
  Releaser releaser{slow};
  runner.submit(window_at(0));
  ASSERT_TRUE(slow.wait_until_entered());
  for (int i = 1; i <= 4; ++i) runner.submit(window_at(i));  // 1, 2, 3 dropped in turn
  EXPECT_EQ(released.load(), 3);
  slow.release();
  std::vector<std::string> abandoned;
  ASSERT_TRUE(runner.finish_all(abandoned));
  EXPECT_EQ(released.load(), 5);
}

TEST(SinkRunner, ShutdownDeliversTheQueueThenFlushesAndCloses) {
  FakeSink store;
  SinkRunner runner({entry("store", store, 8)});
  for (int i = 0; i < 5; ++i) runner.submit(window_at(i));
  std::vector<std::string> abandoned;
  ASSERT_TRUE(runner.finish_all(abandoned));
  EXPECT_TRUE(abandoned.empty());
  EXPECT_EQ(store.got(), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(store.closed());
}

TEST(SinkRunner, ASinkThatMissesItsFlushDeadlineIsAbandonedAndTheOthersClose) {
  FakeSink store;
  FakeSink stuck(/*hold_windows=*/false, /*hold_flush=*/true);
  {
    SinkRunner runner(
        {entry("store", store, 8), entry("stuck", stuck, 8, std::chrono::milliseconds(100))});
    Releaser releaser{stuck};
    runner.submit(window_at(0));
    std::vector<std::string> abandoned;
    ASSERT_TRUE(runner.finish_all(abandoned));
    EXPECT_EQ(abandoned, (std::vector<std::string>{"stuck"}));
    EXPECT_TRUE(store.closed());
    EXPECT_EQ(store.got().size(), 1u);
    EXPECT_FALSE(stuck.closed());
  }  // the runner is gone; the abandoned thread still runs in the sink
  stuck.release();
  EXPECT_TRUE(stuck.wait_until_closed());  // and finishes on its own when it can
}

// A window of `samples` samples (one stack, one count).
std::shared_ptr<const Window> window_of_samples(std::int64_t start, std::uint64_t samples) {
  auto window = std::make_shared<Window>();
  window->start_ns = start;
  window->end_ns = start + 1;
  window->stacks.push_back({});
  window->samples.push_back(StackCount{0, 1, 1, samples, 0});
  return window;
}

TEST(SinkRunner, TheLastWindowAtAStopPushesNoQueuedWindowOut) {
  FakeSink store(/*hold_windows=*/true);
  SinkRunner runner({entry("store", store, 2)});
  Releaser releaser{store};
  runner.submit(window_at(0));
  ASSERT_TRUE(store.wait_until_entered());  // writing it; 1 and 2 fill the queue
  runner.submit(window_at(1));
  runner.submit(window_at(2));
  runner.submit(window_at(3), /*last=*/true);  // the window closed at the stop
  SinkCounters counters = runner.counters().at(0).second;
  EXPECT_EQ(counters.dropped, 0u);
  EXPECT_EQ(counters.queued, 3u);
  store.release();
  std::vector<std::string> abandoned;
  ASSERT_TRUE(runner.finish_all(abandoned));
  EXPECT_TRUE(abandoned.empty());
  EXPECT_EQ(store.got(), (std::vector<std::int64_t>{0, 1, 2, 3}));
}

TEST(SinkRunner, ASinkAbandonedAtItsDeadlineCountsTheWindowsAndSamplesItLoses) {
  FakeSink stuck(/*hold_windows=*/true);
  {
    SinkRunner runner({entry("stuck", stuck, 8, std::chrono::milliseconds(100))});
    Releaser releaser{stuck};
    runner.submit(window_of_samples(0, 10));
    ASSERT_TRUE(stuck.wait_until_entered());
    runner.submit(window_of_samples(1, 20));
    runner.submit(window_of_samples(2, 40));
    // What the log says at the deadline: the window being written and the
    // queued ones, with their samples.
    SinkCounters counters = runner.counters().at(0).second;
    EXPECT_TRUE(counters.writing);
    EXPECT_EQ(counters.writing_samples, 10u);
    EXPECT_EQ(counters.queued, 2u);
    EXPECT_EQ(counters.queued_samples, 60u);
    std::vector<std::string> abandoned;
    ASSERT_TRUE(runner.finish_all(abandoned));
    EXPECT_EQ(abandoned, (std::vector<std::string>{"stuck"}));
  }
  stuck.release();
  EXPECT_TRUE(stuck.wait_until_closed());
  EXPECT_EQ(stuck.got(), (std::vector<std::int64_t>{0, 1, 2}));
}

TEST(SinkRunner, AReloadFinishesOnlyTheNamedSinks) {
  FakeSink store;
  FakeSink files;
  FakeSink files_again;  // before the runner: it outlives the runner's workers
  SinkRunner runner({entry("store", store, 8), entry("files", files, 8)});
  runner.submit(window_at(0));
  std::vector<std::string> abandoned;
  ASSERT_TRUE(runner.finish({"files"}, abandoned));
  EXPECT_TRUE(files.closed());
  EXPECT_EQ(files.got().size(), 1u);
  runner.add(entry("files", files_again, 8));
  runner.submit(window_at(1));
  ASSERT_TRUE(store.wait_for_windows(2));
  ASSERT_TRUE(files_again.wait_for_windows(1));
  EXPECT_FALSE(store.closed());
  EXPECT_EQ(files_again.got(), (std::vector<std::int64_t>{1}));
}

TEST(SinkRunner, APriorityChangeReachesEverySinkThread) {
  if (::geteuid() != 0) {
    if (std::getenv("CI")) FAIL() << "needs root (CAP_SYS_NICE)";
    GTEST_SKIP() << "needs root (CAP_SYS_NICE); CI runs it as root";
  }
  FakeSink store;
  FakeSink files;
  SinkRunner runner({entry("store", store, 8), entry("files", files, 8)});  // "normal"
  runner.submit(window_at(0));
  ASSERT_TRUE(store.wait_for_windows(1));
  ASSERT_TRUE(files.wait_for_windows(1));
  runner.set_priority("realtime");  // a reload: the reader is real-time, sinks nice -10
  runner.submit(window_at(1));
  ASSERT_TRUE(store.wait_for_windows(2));
  ASSERT_TRUE(files.wait_for_windows(2));
  runner.set_priority("normal");  // and back
  runner.submit(window_at(2));
  ASSERT_TRUE(store.wait_for_windows(3));
  ASSERT_TRUE(files.wait_for_windows(3));
  EXPECT_EQ(store.nices(), (std::vector<int>{0, -10, 0}));
  EXPECT_EQ(files.nices(), (std::vector<int>{0, -10, 0}));
}

}  // namespace
}  // namespace ember
