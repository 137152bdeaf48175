// Acceptance of hourly rollups: `ember report` gives the same bytes whether a
// range is read from the rollups or from the windows alone (a copy of the
// store without its rollups), in every format whose output does not carry the
// metrics (speedscope carries them; rollups keep them coarser).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <random>

#include "report.hpp"
#include "store_writer.hpp"
#include "story_windows.hpp"
#include "scratch_dir.hpp"

namespace ember::report {
namespace {

namespace fs = std::filesystem;
constexpr std::int64_t kMinute = 60 * test::kS;

// Five-minute windows from 19:05 for three and a half hours: three programs
// with random call paths over 40 functions, a pid that comes back with a
// new service label, random counts per thread.
std::vector<Window> hours_of_windows() {
  std::mt19937 random(7);
  std::vector<Window> out;
  for (int i = 0; i < 42; ++i) {
    Window w;
    w.start_ns = test::kT0 + i * 5 * kMinute;
    w.end_ns = w.start_ns + 5 * kMinute;
    w.frequency_hz = i == 30 ? 199 : 99;
    w.host = "h1";
    w.lost_samples = static_cast<std::uint64_t>(i % 3);
    for (int f = 0; f < 40; ++f) {
      w.frames.push_back(test::frame("fn_" + std::to_string(f),
                                     f % 3 ? frame_kind::native : frame_kind::python,
                                     "file" + std::to_string(f % 4) + ".py", f));
    }
    for (int s = 0; s < 30; ++s) {
      std::vector<std::uint32_t> stack = {0};
      for (int d = 1 + s % 6; d > 0; --d) stack.push_back(random() % 40);
      w.stacks.push_back(stack);
    }
    for (std::uint32_t pid : {10u, 20u, 30u}) {
      for (std::uint32_t tid : {pid, pid + 1}) {
        for (int k = 0; k < 12; ++k) {
          w.samples.push_back(
              {static_cast<std::uint32_t>(random() % 30), pid, tid, 1 + random() % 20});
        }
        w.threads.push_back({pid, tid, "t" + std::to_string(tid)});
      }
    }
    w.processes = {{10, "api", "/srv/api", "api", "", 0, 0, "", "", i < 20 ? "shop" : "store"},
                   {20, "cron", "/usr/sbin/cron", "cron", "", 0, 0, "", "", ""},
                   {30, "db", "/usr/bin/db", "db", "", 0, 0, "", "", "database"}};
    out.push_back(std::move(w));
  }
  return out;
}

class ReportRollupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string path = (dir_ / "ember.db").string();
    std::unique_ptr<store::StoreWriter> writer;
    store::StoreOutcome opened = store::StoreWriter::open(path, writer);
    ASSERT_TRUE(opened.ok()) << opened.message;
    for (const Window& w : hours_of_windows()) {
      ASSERT_TRUE(writer->write(w).ok());
      ASSERT_TRUE(writer->roll_up().ok());
    }
    writer.reset();
    ASSERT_TRUE(store::StoreReader::open(path, rolled_up_));
    // The same store without rollups: every read merges windows.
    std::string raw = (dir_ / "raw.db").string();
    fs::copy_file(path, raw);
    ASSERT_TRUE(store::StoreReader::open(raw, windows_only_));
    execute(raw, "DELETE FROM rollups");
  }

  static void execute(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_changes(db), 3) << "hours 19, 20 and 21 were rolled up";
    sqlite3_close(db);
  }

  std::string report(const store::StoreReader& store, const ReportRequest& request) {
    std::string out;
    Status status = run_report(store, request, test::kT0 + 24 * 60 * kMinute, out);
    EXPECT_TRUE(status) << status.message();
    return out;
  }

  ember::test::ScratchDir scratch_{"ember-rollup-test"};
  fs::path dir_ = scratch_.path();
  std::unique_ptr<store::StoreReader> rolled_up_, windows_only_;
};

TEST_F(ReportRollupTest, ReportsFromRollupsAndFromWindowsAreTheSameBytes) {
  std::vector<ReportRequest> requests = {
      {.format = ReportFormat::top, .limit = 0},
      {.format = ReportFormat::folded},
      {.format = ReportFormat::pprof},
      {.format = ReportFormat::svg},
      {.from = "2026-11-25T19:40:00Z", .to = "2026-11-25T22:10:00Z", .format = ReportFormat::pprof},
      {.filter = {.services = {"store"}}, .format = ReportFormat::folded},
      {.filter = {.pids = {30}}, .format = ReportFormat::top},
      {.from = "2026-11-25T20:00:00Z",
       .to = "2026-11-25T21:30:00Z",
       .diff = "2026-11-25T21:30:00Z..2026-11-25T22:30:00Z"},
  };
  for (std::size_t i = 0; i < requests.size(); ++i) {
    std::string from_rollups = report(*rolled_up_, requests[i]);
    EXPECT_FALSE(from_rollups.empty());
    EXPECT_EQ(from_rollups, report(*windows_only_, requests[i])) << "request " << i;
  }
}

}  // namespace
}  // namespace ember::report
