#include "agent/sink_runner.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <vector>

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

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool hold_windows_;
  bool hold_flush_;
  int entered_ = 0;
  bool closed_ = false;
  std::vector<std::int64_t> got_;
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
