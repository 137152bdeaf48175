// `ember report --server --format top` prints the table the server's
// functions answer holds; it must print what run_report prints over the
// whole window (what the report computed from an export before): the same
// heading, runtime-view note, rows, order and "(N more)" line.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api.hpp"
#include "fleet_client.hpp"
#include "report.hpp"

namespace ember::server {
namespace {

Frame in(std::string module, std::string name, std::string kind = frame_kind::native) {
  Frame f;
  f.name = std::move(name);
  f.module = std::move(module);
  f.kind = std::move(kind);
  return f;
}

// Two hosts' processes: a Python service whose builtins run in python3.11
// (the runtime view folds them), with an unsymbolized address, and a native
// one; threads and labels as the fleet server reads them.
Window fleet_window() {
  Window w;
  w.start_ns = 1'796'302'860'000'000'000;
  w.end_ns = 1'796'389'200'250'000'000;  // a window's end in milliseconds
  w.frequency_hz = 99;
  w.frames = {
      in("python3.11", "_start"),                               // 0
      in("python3.11", "Py_BytesMain"),                         // 1
      in("server.py", "handle", frame_kind::python),            // 2
      in("server.py", "select_top_naive", frame_kind::python),  // 3
      in("python3.11", "builtin_max"),                          // 4
      in("python3.11", "python3.11+0x5a22d4"),                  // 5
      in("libc.so.6", "__memmove_avx_unaligned"),               // 6
      in("", "entry_SYSCALL_64", frame_kind::kernel),           // 7
      in("xz", "main"),                                         // 8
      in("xz", "lzma_code"),                                    // 9
      in("xz", "lzma_decode"),                                  // 10
  };
  w.frames[2].file = "/srv/server.py";
  w.frames[3].file = "/srv/server.py";
  w.stacks = {{0, 1, 2, 3, 4}, {0, 1, 2, 3, 5}, {0, 1, 2, 6},     {0, 1, 2, 7},
              {8, 9},          {8, 9, 10},      {8, 9, 10, 9, 10}};
  w.label_sets = {{Label{"host", "web-1"}}, {Label{"host", "web-2"}}};
  w.samples = {{0, 7, 7, 60, 1}, {1, 7, 7, 20, 1}, {2, 7, 8, 10, 1}, {3, 7, 7, 5, 1},
               {4, 9, 9, 33, 2}, {5, 9, 9, 12, 2}, {6, 9, 10, 12, 2}};
  w.processes = {{7, "python3.11", "/usr/bin/python3.11", "python3 server.py"},
                 {9, "xz", "/usr/bin/xz", "xz -d"}};
  w.threads = {{7, 7, "python3.11"}, {7, 8, "gc"}, {9, 9, "xz"}, {9, 10, "xz-worker"}};
  return w;
}

struct Case {
  report::ReportRequest request;
  std::vector<std::pair<std::string, std::string>> filter;  // as the client sends them
};

TEST(FleetTop, TheFunctionsAnswerPrintsAsTheWholeWindowsReport) {
  std::vector<Case> cases;
  cases.push_back({});
  cases.push_back({.request = {.native = true}});
  cases.push_back({.request = {.limit = 3}});
  cases.push_back({.request = {.limit = 0, .sort_by_total = true}});
  cases.push_back({.request = {.limit = 2, .native = true, .sort_by_total = true}});
  cases.push_back({.request = {.filter = {.pids = {7}}}, .filter = {{"pid", "7"}}});
  cases.push_back({.request = {.filter = {.threads = {"gc"}}}, .filter = {{"thread", "gc"}}});
  const std::int64_t now = 1'796'400'000'000'000'000;
  std::unique_ptr<store::StoreReader> store = window_store(fleet_window());
  ui::Api api(*store, [&] { return now; });
  for (const Case& c : cases) {
    std::string whole;
    ASSERT_TRUE(report::run_report(*store, c.request, now, whole));
    // What top_from_server asks.
    ui::Params params(c.filter.begin(), c.filter.end());
    params.emplace("view", c.request.native ? "native" : "runtime");
    params.emplace("sort", c.request.sort_by_total ? "total" : "self");
    params.emplace("limit", std::to_string(c.request.limit ? c.request.limit : 100'000));
    ui::ApiResponse answer = api.handle("/api/v1/functions", params);
    ASSERT_EQ(answer.status, 200) << answer.body;
    report::TopTable top;
    ASSERT_TRUE(read_functions_answer(answer.body, top)) << answer.body;
    EXPECT_EQ(report::top_text(top, c.request), whole) << answer.body;
  }
  // The cases do reach the note, the "(N more)" line and a recursion.
  std::string runtime;
  ASSERT_TRUE(report::run_report(*store, cases[2].request, now, runtime));
  EXPECT_NE(runtime.find("runtime view: interpreter internals folded"), std::string::npos);
  EXPECT_NE(runtime.find("more; --limit 0 shows all"), std::string::npos);
}

TEST(FleetTop, AnAnswerThatIsNotATableIsAnError) {
  report::TopTable top;
  EXPECT_FALSE(read_functions_answer("{\"range\": {}}", top));
  EXPECT_FALSE(read_functions_answer("<html>", top));
  Status bad = read_functions_answer("{\"functions\": []}", top);
  EXPECT_NE(bad.message().find("cannot be read"), std::string::npos) << bad.message();
}

}  // namespace
}  // namespace ember::server
