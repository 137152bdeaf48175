// The upload sink against a real HTTP receiver on loopback (cpp-httplib):
// windows arrive as gzip'd pprof with the bearer token; a receiver that is
// down and comes back gets every window that fit in the spool; a full spool
// drops the oldest and counts them; config mistakes name file:line:key.
#include "upload_sink.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "ember/testing/fake_host.hpp"
#include "gzip.hpp"
#include "pprof_reader.hpp"
#include "scratch_dir.hpp"
#include "upload_request.hpp"

namespace ember::upload_sink {
namespace {

namespace fs = std::filesystem;
constexpr auto kPatience = std::chrono::seconds(60);  // only a broken sink waits this long
constexpr std::int64_t kSecond = 1'000'000'000;

// One received request.
struct Received {
  std::string body;
  std::string name, from, until, format;
};

// An ingest endpoint on 127.0.0.1 that takes requests bearing `token`.
class Receiver {
 public:
  explicit Receiver(std::string token, int port = 0) : token_(std::move(token)) {
    server_.Post("/ingest", [this](const httplib::Request& request, httplib::Response& response) {
      if (request.get_header_value("Authorization") != "Bearer " + token_) {
        response.status = 401;
        return;
      }
      std::lock_guard<std::mutex> lock(mutex_);
      received_.push_back({request.body, request.get_param_value("name"),
                           request.get_param_value("from"), request.get_param_value("until"),
                           request.get_param_value("format")});
      arrived_.notify_all();
    });
    port_ = port ? (server_.bind_to_port("127.0.0.1", port) ? port : -1)
                 : server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the loop runs would not stop it.
    while (port_ > 0 && !server_.is_running()) std::this_thread::yield();
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  bool wait_for(std::size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    return arrived_.wait_for(lock, kPatience, [&] { return received_.size() >= count; });
  }
  std::vector<Received> received() {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }

 private:
  std::string token_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Received> received_;
};

// Waits until the sink has had `count` windows taken (the receiver sees a
// request before the sink sees the answer).
bool wait_sent(const UploadSink& sink, std::uint64_t count) {
  for (auto waited = std::chrono::milliseconds(0); waited < kPatience;
       waited += std::chrono::milliseconds(10)) {
    if (sink.counters().sent >= count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Waits until the sink has failed to send at least once.
bool wait_failed(const UploadSink& sink) {
  for (auto waited = std::chrono::milliseconds(0); waited < kPatience;
       waited += std::chrono::milliseconds(10)) {
    if (sink.counters().failures > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// A port nothing listens on (a receiver's, stopped).
int free_port() {
  Receiver probe("x");
  return probe.port();
}

Window window_at(int n) {
  Window window;
  window.start_ns = (1'700'000'000 + 60 * n) * kSecond;
  window.end_ns = window.start_ns + 60 * kSecond;
  window.frequency_hz = 99;
  window.host = "testhost";
  Frame main_frame;
  main_frame.name = "main";
  Frame hot;
  hot.name = "hot_loop";
  window.frames = {main_frame, hot};
  window.stacks = {{0, 1}};
  // Some bulk, so that a few windows outgrow a small spool.
  for (int i = 0; i < 40; ++i) {
    Frame callee;
    callee.name = "callee_" + std::to_string(i * 7919 % 1000) + "_of_" + std::to_string(i);
    window.frames.push_back(callee);
    window.stacks.push_back({0, std::uint32_t(window.frames.size() - 1)});
    window.samples.push_back({std::uint32_t(window.stacks.size() - 1), 42, 42, 1});
  }
  window.samples.insert(window.samples.begin(), {0, 42, 42, std::uint64_t(100 + n)});
  ProcessInfo process;
  process.pid = 42;
  process.comm = "burner";
  window.processes = {process};
  return window;
}

class UploadSinkTest : public ::testing::Test {
 protected:
  void SetUp() override { write_token("secret\n"); }

  void write_token(const std::string& token) { std::ofstream(dir_ / "token") << token; }
  std::string spool() const { return (dir_ / "spool").string(); }

  Options options(int port, std::map<std::string, OptionValue> more = {}) {
    Options out;
    out["url"] = Option{"http://127.0.0.1:" + std::to_string(port) + "/ingest", "test.toml:2:1"};
    out["token_file"] = Option{(dir_ / "token").string(), "test.toml:3:1"};
    out["spool_dir"] = Option{spool(), "test.toml:4:1"};
    out["retry_max_seconds"] = Option{std::int64_t(1), "test.toml:5:1"};
    for (auto& [key, value] : more) out[key] = Option{value, "test.toml:9:1"};
    return out;
  }

  std::string configure_error(const Options& options) {
    UploadSink sink;
    Status status = sink.configure(options, host_);
    return status ? "" : status.message();
  }

  ember::test::ScratchDir scratch_{"ember-upload-test"};
  const fs::path dir_ = scratch_.path();
  testkit::FakeHost host_;
};

TEST_F(UploadSinkTest, WindowsArriveAsGzipPprofWithTheToken) {
  Receiver receiver("secret");
  UploadSink sink;
  ASSERT_TRUE(sink.configure(options(receiver.port()), host_));
  for (int n = 0; n < 3; ++n) ASSERT_TRUE(sink.on_window(window_at(n)));
  ASSERT_TRUE(receiver.wait_for(3));
  ASSERT_TRUE(wait_sent(sink, 3));
  ASSERT_TRUE(sink.flush());
  ASSERT_TRUE(sink.close());

  std::vector<Received> got = receiver.received();
  ASSERT_EQ(got.size(), 3u);
  for (int n = 0; n < 3; ++n) {
    const Received& r = got[n];
    EXPECT_EQ(r.name, "ember.cpu{host=testhost}");
    EXPECT_EQ(r.format, "pprof");
    EXPECT_EQ(r.from, std::to_string(1'700'000'000 + 60 * n));
    EXPECT_EQ(r.until, std::to_string(1'700'000'060 + 60 * n));
    ASSERT_GE(r.body.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(r.body[0]), 0x1f);  // gzip
    EXPECT_NO_THROW(formats::gunzip(r.body));
    Window back;
    Status read = formats::read_pprof(r.body, back);
    ASSERT_TRUE(read) << read.message();
    EXPECT_EQ(back.total_samples(), std::uint64_t(100 + n + 40));
    ASSERT_EQ(back.stacks.size(), 41u);
    EXPECT_EQ(back.frames[back.stacks[0].back()].name, "hot_loop");
  }
  EXPECT_EQ(sink.counters().sent, 3u);
  EXPECT_EQ(fs::is_empty(spool()), true);
}

TEST_F(UploadSinkTest, ARefusedTokenKeepsWindowsUntilTheTokenFileIsRight) {
  write_token("wrong");
  Receiver receiver("secret");
  UploadSink sink;
  ASSERT_TRUE(sink.configure(options(receiver.port()), host_));
  ASSERT_TRUE(sink.on_window(window_at(0)));
  // Refused, kept and retried (the token file is read at every try).
  for (int i = 0; i < 600 && sink.counters().failures == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GT(sink.counters().failures, 0u);
  EXPECT_TRUE(receiver.received().empty());
  EXPECT_EQ(host_.count(LogLevel::warn, "refused the token"), 1u);
  write_token("secret");
  ASSERT_TRUE(wait_sent(sink, 1));
  ASSERT_TRUE(sink.close());
  EXPECT_EQ(sink.counters().sent, 1u);
  EXPECT_EQ(sink.counters().dropped, 0u);
}

TEST_F(UploadSinkTest, AReceiverDownForAWhileLosesNothingThatFitsTheSpool) {
  const int port = free_port();
  UploadSink sink;
  ASSERT_TRUE(sink.configure(options(port), host_));
  for (int n = 0; n < 5; ++n) ASSERT_TRUE(sink.on_window(window_at(n)));
  ASSERT_TRUE(wait_failed(sink));
  // Down: every window waits on disk, private.
  std::size_t entries = 0;
  for (const auto& entry : fs::directory_iterator(spool())) {
    ++entries;
    struct stat file {};
    ASSERT_EQ(::stat(entry.path().c_str(), &file), 0);
    EXPECT_EQ(file.st_mode & 0777, 0600u) << entry.path();
  }
  EXPECT_EQ(entries, 5u);
  struct stat directory {};
  ASSERT_EQ(::stat(spool().c_str(), &directory), 0);
  EXPECT_EQ(directory.st_mode & 0777, 0700u);

  Receiver receiver("secret", port);  // up again, on the same port
  ASSERT_EQ(receiver.port(), port);
  ASSERT_TRUE(wait_sent(sink, 5));
  ASSERT_TRUE(sink.close());
  std::vector<Received> got = receiver.received();
  ASSERT_EQ(got.size(), 5u);
  for (int n = 0; n < 5; ++n) EXPECT_EQ(got[n].from, std::to_string(1'700'000'000 + 60 * n));
  EXPECT_EQ(sink.counters().dropped, 0u);
  EXPECT_GT(sink.counters().failures, 0u);
  EXPECT_EQ(host_.count(LogLevel::info, "takes windows again"), 1u);
}

TEST_F(UploadSinkTest, AFullSpoolDropsTheOldestAndCountsThem) {
  const int port = free_port();
  const std::size_t entry = spool_entry(window_at(0), "ember.cpu").size();
  UploadSink sink;
  ASSERT_TRUE(sink.configure(
      options(port, {{"max_spool", std::to_string(entry * 3 + entry / 2)}}), host_));
  for (int n = 0; n < 10; ++n) ASSERT_TRUE(sink.on_window(window_at(n)));
  ASSERT_TRUE(wait_failed(sink));
  EXPECT_EQ(sink.counters().dropped, 7u);
  EXPECT_EQ(host_.count(LogLevel::error, "is full"), 1u);  // once per outage

  Receiver receiver("secret", port);
  ASSERT_EQ(receiver.port(), port);
  ASSERT_TRUE(wait_sent(sink, 3));
  ASSERT_TRUE(sink.close());
  std::vector<Received> got = receiver.received();
  ASSERT_EQ(got.size(), 3u);
  // The newest windows survive (the one being sent when the spool overflowed
  // may have been kept in place of the next oldest), in order.
  EXPECT_EQ(got[1].from, std::to_string(1'700'000'000 + 60 * 8));
  EXPECT_EQ(got[2].from, std::to_string(1'700'000'000 + 60 * 9));
  EXPECT_LT(std::stoll(got[0].from), std::stoll(got[1].from));
  EXPECT_EQ(host_.count(LogLevel::error, "7 windows were dropped"), 1u);
}

TEST_F(UploadSinkTest, WhatIsLeftInTheSpoolIsSentByTheNextStart) {
  const int port = free_port();
  {
    UploadSink sink;
    ASSERT_TRUE(sink.configure(options(port), host_));
    ASSERT_TRUE(sink.on_window(window_at(0)));
    ASSERT_TRUE(sink.on_window(window_at(1)));
    ASSERT_TRUE(sink.flush());  // the server is away: returns, keeps them
    ASSERT_TRUE(sink.close());
  }
  Receiver receiver("secret", port);
  UploadSink next;
  ASSERT_TRUE(next.configure(options(port), host_));
  ASSERT_TRUE(next.on_window(window_at(2)));
  ASSERT_TRUE(wait_sent(next, 3));
  ASSERT_TRUE(next.close());
  std::vector<Received> got = receiver.received();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].from, std::to_string(1'700'000'000));
}

TEST_F(UploadSinkTest, ConfigMistakesNameTheKeyAndItsPlace) {
  Options no_url = options(1);
  no_url.erase("url");
  EXPECT_EQ(configure_error(no_url).rfind("sink.upload.url: is required", 0), 0u)
      << configure_error(no_url);
  EXPECT_EQ(configure_error(options(1, {{"url", std::string("ftp://x/ingest")}})),
            "test.toml:9:1: sink.upload.url: \"ftp://x/ingest\" is not an http:// or https:// "
            "URL with a host");
  const std::string missing = (dir_ / "no-such-token").string();
  EXPECT_EQ(configure_error(options(1, {{"token_file", missing}})),
            "test.toml:9:1: sink.upload.token_file: cannot read " + missing +
                ": No such file or directory");
  write_token("\n");
  EXPECT_EQ(configure_error(options(1)), "test.toml:3:1: sink.upload.token_file: " +
                                             (dir_ / "token").string() +
                                             " is empty: it holds the server's bearer token");
  write_token("secret");
  EXPECT_EQ(configure_error(options(1, {{"max_spool", std::string("lots")}})).rfind(
                "test.toml:9:1: sink.upload.max_spool: \"lots\" is not a size", 0),
            0u);
  EXPECT_EQ(configure_error(options(1, {{"retry_max_seconds", std::int64_t(0)}})),
            "test.toml:9:1: sink.upload.retry_max_seconds: must be between 1 and 3600, got 0");
  EXPECT_EQ(configure_error(options(1, {{"colour", std::string("red")}})),
            "test.toml:9:1: sink.upload.colour: unknown key");
  EXPECT_EQ(configure_error(options(1)), "");
}

}  // namespace
}  // namespace ember::upload_sink
