#include "report.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "gzip.hpp"
#include "memory_store.hpp"
#include "sample_windows.hpp"
#include "story_windows.hpp"

namespace ember::report {
namespace {

using test::kS;
using test::kT0;

test::MemoryStore story() { return test::MemoryStore(test::story_windows()); }

std::string run(const test::MemoryStore& store, ReportRequest request, Status* status = nullptr) {
  std::string out;
  Status s = run_report(store, request, kT0 + 3600 * kS, out);
  if (status) {
    *status = s;
  } else {
    EXPECT_TRUE(s) << s.message();
  }
  return out;
}

std::string error(const test::MemoryStore& store, ReportRequest request) {
  Status s = Status::ok();
  run(store, std::move(request), &s);
  EXPECT_FALSE(s);
  return s.message();
}

// The table row of `name`, split into fields.
std::vector<std::string> row(const std::string& table, const std::string& name) {
  std::istringstream lines(table);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::vector<std::string> out;
    for (std::string f; fields >> f;) out.push_back(f);
    if (std::find(out.begin(), out.end(), name) != out.end()) return out;
  }
  return {};
}

std::string first_row_function(const std::string& table, const std::string& header_word) {
  std::istringstream lines(table);
  bool after_header = false;
  for (std::string line; std::getline(lines, line);) {
    if (after_header) {
      std::istringstream fields(line);
      std::vector<std::string> f;
      for (std::string x; fields >> x;) f.push_back(x);
      return f.size() >= 6 ? f[5] : "";
    }
    after_header =
        line.find(header_word) != std::string::npos && line.find("KIND") != std::string::npos;
  }
  return "";
}

TEST(ReportTest, TopOfEverythingBySelfShare) {
  std::string out = run(story(), {});
  // 450 samples: lookup 180, render 120, tick 150.
  EXPECT_NE(out.find("450 samples (4.5 s of CPU at 100 Hz), 2026-11-25T19:05:00Z to "
                     "2026-11-25T19:08:00Z on h1"),
            std::string::npos)
      << out;
  EXPECT_EQ(row(out, "lookup"), (std::vector<std::string>{"40.00%", "180", "40.00%", "180",
                                                          "python", "lookup", "(shop.py)"}));
  EXPECT_EQ(row(out, "main")[2], "100.00%");
  EXPECT_EQ(first_row_function(out, "SELF%"), "lookup");
}

TEST(ReportTest, TimeRangeAndFilters) {
  auto store = story();
  // The last minute alone, absolute times.
  std::string out = run(store, {.from = "2026-11-25T19:07:00Z", .to = "2026-11-25T19:08:00Z"});
  EXPECT_EQ(row(out, "lookup")[1], "20");
  EXPECT_EQ(first_row_function(out, "SELF%"), "render");  // 80 of 150
  // Relative to now (an hour after the first window).
  out = run(store, {.from = "-60m", .to = "-58m", .filter = {.processes = {"api"}}});
  EXPECT_EQ(row(out, "lookup")[1], "160");
  EXPECT_EQ(row(out, "tick"), std::vector<std::string>{});
  EXPECT_NE(out.find("filter: --process api"), std::string::npos);
  out = run(store, {.filter = {.services = {"shop"}}});
  EXPECT_EQ(row(out, "main")[3], "300");
  out = run(store, {.filter = {.pids = {20}}});
  EXPECT_EQ(row(out, "tick")[0], "100.00%");
}

TEST(ReportTest, DiffListsTheChangedFunctionFirstWithANegativeDelta) {
  std::string out = run(story(), {.from = "2026-11-25T19:05:00Z",
                                  .to = "2026-11-25T19:07:00Z",
                                  .filter = {.processes = {"api"}},
                                  .diff = "2026-11-25T19:07:00Z..2026-11-25T19:08:00Z"});
  EXPECT_EQ(first_row_function(out, "before"), "lookup") << out;
  EXPECT_EQ(row(out, "lookup"), (std::vector<std::string>{"80.00%", "20.00%", "-60.00", "-60.00",
                                                          "python", "lookup", "(shop.py)"}));
  EXPECT_EQ(row(out, "render")[2], "+60.00");
  EXPECT_EQ(row(out, "main")[2], "+0.00");
  EXPECT_NE(out.find("before: 200 samples"), std::string::npos);
  EXPECT_NE(out.find("after:  100 samples"), std::string::npos);
}

TEST(ReportTest, ProfileFormatsOfTheRange) {
  auto store = story();
  std::string folded = run(store, {.filter = {.pids = {20}}, .format = ReportFormat::folded});
  EXPECT_EQ(folded, "cron;main;tick 150\n");
  std::string pprof = run(store, {.format = ReportFormat::pprof});
  EXPECT_GT(formats::gunzip(pprof).size(), 0u);
  std::string svg = run(store, {.format = ReportFormat::svg});
  EXPECT_NE(svg.find("data-n=\"all\" data-k=\"all\" data-v=\"450\""), std::string::npos);
  std::string json = run(store, {.format = ReportFormat::speedscope});
  EXPECT_EQ(json.rfind("{\"$schema\"", 0), 0u);
}

// A busy host's listing: the named processes with the most samples, 20 at
// most; the nameless short-lived ones left out.
TEST(ReportTest, ListingsNameTheBusiestNamedProcesses) {
  Window w;
  w.stacks = {{}};
  for (std::uint32_t pid = 1; pid <= 130; ++pid) {
    w.samples.push_back({0, pid, pid, pid});
    w.processes.push_back({pid, pid <= 30 ? "worker" + std::to_string(pid) : ""});
  }
  std::string holds = window_holds(w);
  EXPECT_EQ(holds.rfind("processes: worker30 (pid 30, 30 samples), worker29 (pid 29, ", 0), 0u)
      << holds;
  EXPECT_NE(holds.find("worker11 (pid 11, 11 samples), ... (30 named in all); services: none"),
            std::string::npos)
      << holds;
  EXPECT_EQ(holds.find("worker10 "), std::string::npos) << holds;
  EXPECT_EQ(holds.find("(pid 31"), std::string::npos) << holds;
}

// A handler whose time is all in a builtin of libpython: the default table
// gives it to the handler and says so; --native shows the builtin.
TEST(ReportTest, RuntimeViewByDefaultNativeOnRequest) {
  Window w = test::story_minute(0, 80);
  Frame builtin;
  builtin.name = "builtin_max";
  builtin.module = "libpython3.12.so.1.0";
  w.frames.push_back(builtin);
  w.stacks[0].push_back(static_cast<std::uint32_t>(w.frames.size() - 1));  // main;lookup;max
  test::MemoryStore store({w});

  std::string runtime = run(store, {.filter = {.pids = {10}}});
  EXPECT_EQ(first_row_function(runtime, "SELF%"), "lookup") << runtime;
  EXPECT_NE(runtime.find("runtime view: interpreter internals folded into their callers, or a "
                         "module's unsymbolized frames shown as one, in 80.0% of samples"),
            std::string::npos)
      << runtime;
  EXPECT_EQ(runtime.find("builtin_max"), std::string::npos) << runtime;

  std::string native = run(store, {.filter = {.pids = {10}}, .native = true});
  EXPECT_EQ(first_row_function(native, "SELF%"), "builtin_max") << native;
  EXPECT_EQ(native.find("runtime view"), std::string::npos) << native;

  std::string by_total = run(store, {.filter = {.pids = {10}}, .sort_by_total = true});
  EXPECT_EQ(first_row_function(by_total, "SELF%"), "main") << by_total;
}

TEST(ReportTest, ErrorsSayWhatTheStoreHolds) {
  auto store = story();
  std::string empty_range = error(store, {.from = "2026-11-24T00:00Z", .to = "2026-11-24T01:00Z"});
  EXPECT_NE(empty_range.find("no samples from 2026-11-24T00:00:00Z to 2026-11-24T01:00:00Z"),
            std::string::npos)
      << empty_range;
  EXPECT_NE(empty_range.find("3 windows from 2026-11-25T19:05:00Z to 2026-11-25T19:08:00Z"),
            std::string::npos)
      << empty_range;
  EXPECT_NE(empty_range.find("processes: api, cron; services: shop"), std::string::npos);

  std::string service = error(store, {.filter = {.services = {"shopp"}}});
  EXPECT_EQ(service, "no service 'shopp' in the store; services: shop");

  std::string nothing = error(store, {.filter = {.pids = {999}}});
  EXPECT_NE(nothing.find("no samples match --pid 999"), std::string::npos) << nothing;
  EXPECT_NE(nothing.find("processes: api (pid 10, 300 samples), cron (pid 20, 150 samples); "
                         "services: shop"),
            std::string::npos)
      << nothing;

  EXPECT_NE(error(test::MemoryStore({}), {}).find("the store holds no windows yet"),
            std::string::npos);
  EXPECT_NE(error(store, {.from = "soon"}).find("--from: cannot read the time 'soon'"),
            std::string::npos);
  EXPECT_NE(error(store, {.from = "-1m", .to = "-2m"}).find("ends before it starts"),
            std::string::npos);
  EXPECT_EQ(error(store, {.format = ReportFormat::svg, .diff = "-1h..now"}),
            "--diff prints a table: use it with --format top");
  EXPECT_NE(error(store, {.diff = "-1d..-23h"}).find("in the --diff range"), std::string::npos);
}

TEST(ReportTest, FormatNamesAndExtensions) {
  ReportFormat f;
  ASSERT_TRUE(parse_format("collapsed", f));
  EXPECT_EQ(f, ReportFormat::folded);
  EXPECT_EQ(parse_format("png", f).message(),
            "unknown format 'png'; formats are top, folded (or collapsed), speedscope, pprof, svg");
  ASSERT_TRUE(format_of_path("x.pb.gz", f));
  EXPECT_EQ(f, ReportFormat::pprof);
  ASSERT_TRUE(format_of_path("x.speedscope.json", f));
  EXPECT_EQ(f, ReportFormat::speedscope);
  EXPECT_FALSE(format_of_path("x.png", f));
}

}  // namespace
}  // namespace ember::report
