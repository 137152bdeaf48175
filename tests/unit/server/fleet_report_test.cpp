// `ember report --server` prints the tables the server's functions and diff
// answers hold; each must print what run_report prints over the same
// windows (what the report computed from an export before): the same
// heading, runtime-view note, rows, kinds, order and "(N more)" line.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api.hpp"
#include "fleet_client.hpp"
#include "memory_store.hpp"
#include "python_service_window.hpp"
#include "report.hpp"

namespace ember::server {
namespace {

using ::ember::test::module_frame;

constexpr std::int64_t kFleetStart = 1'796'302'860'000'000'000;

// Two hosts' processes: the Python service (python_service_window: its
// builtins fold in the runtime view, the kernel and libc stay) on web-1 and
// a native one with a recursion on web-2; threads and labels as the fleet
// server reads them. `shift` moves samples from the service's hot path to
// the native process (a second range that changed).
Window fleet_window(std::int64_t start_ns, std::uint64_t shift = 0) {
  Window w = ::ember::test::python_service_window();
  w.start_ns = start_ns;
  w.end_ns = start_ns + 86'340'250'000'000;  // a window's end in milliseconds
  const auto xz = static_cast<std::uint32_t>(w.frames.size());
  w.frames.push_back(module_frame("xz", "main"));
  w.frames.push_back(module_frame("xz", "lzma_code"));
  w.frames.push_back(module_frame("xz", "lzma_decode"));
  const auto stack = static_cast<std::uint32_t>(w.stacks.size());
  w.stacks.push_back({xz, xz + 1});
  w.stacks.push_back({xz, xz + 1, xz + 2});
  w.stacks.push_back({xz, xz + 1, xz + 2, xz + 1, xz + 2});
  w.label_sets = {{Label{"host", "web-1"}}, {Label{"host", "web-2"}}};
  for (StackCount& s : w.samples) s.labels = 1;
  w.samples[0].count -= shift;
  w.samples.push_back({stack, 9, 9, 33, 2});
  w.samples.push_back({stack + 1, 9, 9, 12 + shift, 2});
  w.samples.push_back({stack + 2, 9, 10, 12, 2});
  w.processes.push_back({9, "xz", "/usr/bin/xz", "xz -d"});
  w.threads.push_back({9, 9, "xz"});
  w.threads.push_back({9, 10, "xz-worker"});
  return w;
}

struct Case {
  report::ReportRequest request;
  std::vector<std::pair<std::string, std::string>> filter;  // as the client sends them
};

std::vector<Case> cases() {
  std::vector<Case> out;
  out.push_back({});
  out.push_back({.request = {.native = true}});
  out.push_back({.request = {.limit = 3}});
  out.push_back({.request = {.limit = 0, .sort_by_total = true}});
  out.push_back({.request = {.limit = 2, .native = true, .sort_by_total = true}});
  out.push_back({.request = {.filter = {.pids = {7}}}, .filter = {{"pid", "7"}}});
  out.push_back({.request = {.filter = {.threads = {"gc"}}}, .filter = {{"thread", "gc"}}});
  return out;
}

TEST(FleetReport, TheFunctionsAnswerPrintsAsTheWholeWindowsReport) {
  const std::int64_t now = 1'796'400'000'000'000'000;
  std::unique_ptr<store::StoreReader> store = window_store(fleet_window(kFleetStart));
  ui::Api api(*store, [&] { return now; });
  for (const Case& c : cases()) {
    std::string whole;
    ASSERT_TRUE(report::run_report(*store, c.request, now, whole));
    ui::Params params(c.filter.begin(), c.filter.end());
    top_params(c.request, params);
    ui::ApiResponse answer = api.handle("/api/v1/functions", params);
    ASSERT_EQ(answer.status, 200) << answer.body;
    report::TopTable top;
    ASSERT_TRUE(read_functions_answer(answer.body, top)) << answer.body;
    EXPECT_EQ(report::top_text(top, c.request), whole) << answer.body;
  }
  // The cases do reach the note, the "(N more)" line and a recursion.
  std::string runtime;
  ASSERT_TRUE(report::run_report(*store, cases()[2].request, now, runtime));
  EXPECT_NE(runtime.find("runtime view: interpreter internals folded"), std::string::npos);
  EXPECT_NE(runtime.find("more; --limit 0 shows all"), std::string::npos);
}

TEST(FleetReport, TheDiffAnswerPrintsAsTheTwoRangesReport) {
  const std::int64_t hour = 3'600'000'000'000;
  const std::int64_t after_start = kFleetStart + 48 * hour;
  const std::int64_t now = after_start + 48 * hour;
  ::ember::test::MemoryStore store({fleet_window(kFleetStart), fleet_window(after_start, 50)});
  ui::Api api(store, [&] { return now; });
  const std::string before_to = std::to_string(kFleetStart / 1'000'000'000 + 30 * 3600);
  const std::string second = std::to_string(after_start / 1'000'000'000 - 60) + "..now";
  std::vector<Case> diffs = cases();
  diffs.push_back({.request = {.limit = 0, .native = true}});
  for (Case& c : diffs) {
    c.request.to = before_to;
    c.request.diff = second;
    std::string local;
    ASSERT_TRUE(report::run_report(store, c.request, now, local));
    // What `ember report --server --diff` asks: the selection, then the diff's.
    ui::Params params(c.filter.begin(), c.filter.end());
    params.emplace("to", c.request.to);
    ASSERT_TRUE(diff_params(c.request, now, params));
    params.emplace("tree", "0");
    ui::ApiResponse answer = api.handle("/api/v1/diff", params);
    ASSERT_EQ(answer.status, 200) << answer.body;
    report::DiffTable diff;
    ASSERT_TRUE(read_diff_answer(answer.body, diff)) << answer.body;
    EXPECT_EQ(report::diff_text(diff, c.request), local) << answer.body;
  }
  // The cases reach the note, the "(N more)" line and each kind of the
  // mixed stacks.
  std::string cut, all;
  ASSERT_TRUE(report::run_report(store, diffs[2].request, now, cut));
  EXPECT_NE(cut.find("runtime view: interpreter internals folded"), std::string::npos) << cut;
  EXPECT_NE(cut.find("more; --limit 0 shows all"), std::string::npos) << cut;
  ASSERT_TRUE(report::run_report(store, diffs[3].request, now, all));
  EXPECT_NE(all.find("python  select_top_naive"), std::string::npos) << all;
  EXPECT_NE(all.find("kernel  entry_SYSCALL_64"), std::string::npos) << all;
  EXPECT_NE(all.find("native  lzma_decode"), std::string::npos) << all;
}

TEST(FleetReport, AnAnswerThatIsNotATableIsAnError) {
  report::TopTable top;
  EXPECT_FALSE(read_functions_answer("{\"range\": {}}", top));
  EXPECT_FALSE(read_functions_answer("<html>", top));
  Status bad = read_functions_answer("{\"functions\": []}", top);
  EXPECT_NE(bad.message().find("cannot be read"), std::string::npos) << bad.message();
  report::DiffTable diff;
  EXPECT_FALSE(read_diff_answer("{\"before\": {}}", diff));
  bad = read_diff_answer("{\"functions\": []}", diff);
  EXPECT_NE(bad.message().find("diff answer cannot be read"), std::string::npos) << bad.message();
}

}  // namespace
}  // namespace ember::server
