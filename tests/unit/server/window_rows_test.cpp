// A window as ClickHouse rows: fields that hold tabs, newlines, backslashes
// and quotes survive the TabSeparated round trip, ids depend on content only,
// and samples take their service from the process or, without processes, the
// application.
#include "window_rows.hpp"

#include <gtest/gtest.h>

#include "tsv_reader.hpp"

namespace ember::server {
namespace {

Window two_frame_window(bool reversed) {
  Window w;
  Frame main{.name = "main", .module = "app"};
  Frame odd{.name = "we\tird\nna\\me 'q'", .file = "a.py", .line = 7, .kind = "python"};
  w.frames = reversed ? std::vector<Frame>{odd, main} : std::vector<Frame>{main, odd};
  w.stacks = {reversed ? std::vector<std::uint32_t>{1, 0} : std::vector<std::uint32_t>{0, 1}};
  w.samples = {StackCount{.stack = 0, .pid = 10, .tid = 11, .count = 5, .labels = 1}};
  w.label_sets = {{Label{"route", "/a\t'b'"}}};
  w.start_ns = 1795633500'000'000'000;
  w.end_ns = 1795633502'500'000'000;
  return w;
}

std::vector<std::vector<std::string>> rows_of(const std::string& tsv) {
  std::vector<std::vector<std::string>> rows;
  for_each_tsv_row(tsv, [&](std::vector<std::string> row) { rows.push_back(std::move(row)); });
  return rows;
}

TEST(WindowRows, OddTextSurvivesTheRoundTrip) {
  Window w = two_frame_window(false);
  w.processes = {ProcessInfo{.pid = 10, .comm = "api", .exe = "/srv/api",
                             .cmdline = "api --port\t80", .service = "shop"}};
  w.threads = {ThreadInfo{10, 11, "worker\\1"}};
  IngestParams params;
  params.app = "ember.cpu";
  params.host = "web\t3";
  WindowRows rows = window_rows(w, params, "spool-0001");

  auto frames = rows_of(rows.frames);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1].size(), 7u);
  EXPECT_EQ(frames[1][1], w.frames[1].name);
  EXPECT_EQ(frames[1][2], "a.py");
  EXPECT_EQ(frames[1][5], "python");

  auto samples = rows_of(rows.samples);
  ASSERT_EQ(samples.size(), 1u);
  ASSERT_EQ(samples[0].size(), 20u);
  EXPECT_EQ(samples[0][0], "1795633500");  // ts
  EXPECT_EQ(samples[0][1], "2500");        // duration_ms
  EXPECT_EQ(samples[0][3], "web\t3");
  EXPECT_EQ(samples[0][5], "shop");
  EXPECT_EQ(samples[0][8], "api");
  EXPECT_EQ(samples[0][15], "5");
  EXPECT_EQ(samples[0][16], "spool-0001");  // entry
  EXPECT_EQ(samples[0][17], "worker\\1");    // thread
  EXPECT_EQ(samples[0][18], "/srv/api");
  EXPECT_EQ(samples[0][19], "api --port\t80");
  // Arrays are read by ClickHouse from the raw field, quoted, their own
  // escapes keeping tabs out of the row.
  EXPECT_NE(rows.samples.find("\t['route']\t['/a\\t\\'b\\'']\t5\tspool-0001\t"), std::string::npos)
      << rows.samples;
  EXPECT_EQ(rows.sample_count, 5u);
}

TEST(WindowRows, MetricsAreRowsOfTheirOwnTables) {
  Window w = two_frame_window(false);
  w.host_metrics = {HostMetrics{1795633501'250'000'000, 0.5, 8000, 3000}};
  w.process_metrics = {ProcessMetrics{1795633501'250'000'000, 10, 1.25, 4096}};
  IngestParams params;
  params.host = "web-3";
  WindowRows rows = window_rows(w, params);
  auto host = rows_of(rows.host_metrics), process = rows_of(rows.process_metrics);
  ASSERT_EQ(host.size(), 1u);
  EXPECT_EQ(host[0], (std::vector<std::string>{"1795633501", "1795633501250", "web-3",
                                               "0.500000", "8000", "3000"}));
  ASSERT_EQ(process.size(), 1u);
  EXPECT_EQ(process[0], (std::vector<std::string>{"1795633501", "1795633501250", "web-3", "10",
                                                  "1.250000", "4096"}));
  EXPECT_TRUE(window_rows(two_frame_window(false), params).host_metrics.empty());
}

TEST(WindowRows, IdsFollowContentNotPosition) {
  IngestParams params;
  params.app = "x";
  WindowRows a = window_rows(two_frame_window(false), params);
  WindowRows b = window_rows(two_frame_window(true), params);
  auto stack_a = rows_of(a.stacks), stack_b = rows_of(b.stacks);
  ASSERT_EQ(stack_a.size(), 1u);
  ASSERT_EQ(stack_b.size(), 1u);
  EXPECT_EQ(stack_a[0], stack_b[0]);
  // A different frame order in the stack is another stack.
  Window swapped = two_frame_window(false);
  swapped.stacks[0] = {1, 0};
  EXPECT_NE(rows_of(window_rows(swapped, params).stacks)[0][0], stack_a[0][0]);
}

TEST(WindowRows, WithoutProcessesTheApplicationIsTheService) {
  IngestParams params;
  params.app = "checkout";
  params.from_s = 100;
  params.until_s = 110;
  Window w = two_frame_window(false);
  w.start_ns = w.end_ns = 0;  // a folded profile: no times of its own
  auto samples = rows_of(window_rows(w, params).samples);
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0][0], "100");
  EXPECT_EQ(samples[0][1], "10000");
  EXPECT_EQ(samples[0][5], "checkout");
  EXPECT_EQ(samples[0][8], "checkout");
}

TEST(WindowRows, KnownFramesAndStacksAreLeftOutTheSamplesStay) {
  KnownIds frames(16), stacks(16);
  IngestParams params;
  params.host = "h1";
  const Window w = two_frame_window(false);
  WindowRows first = window_rows(w, params, "", KnownRows{&frames, &stacks});
  EXPECT_EQ(rows_of(first.frames).size(), 2u);
  EXPECT_EQ(rows_of(first.stacks).size(), 1u);
  ASSERT_EQ(first.frame_ids.size(), 2u);
  ASSERT_EQ(first.stack_ids.size(), 1u);
  // Not known until their INSERT answered: written again.
  EXPECT_EQ(rows_of(window_rows(w, params, "", KnownRows{&frames, &stacks}).frames).size(), 2u);
  frames.add({first.frame_ids[0]});
  stacks.add(first.stack_ids);
  WindowRows next = window_rows(w, params, "", KnownRows{&frames, &stacks});
  auto left = rows_of(next.frames);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0][0], std::to_string(first.frame_ids[1]));
  EXPECT_TRUE(next.stacks.empty());
  EXPECT_TRUE(next.stack_ids.empty());
  EXPECT_EQ(next.samples, first.samples);
}

TEST(KnownIdsTest, BoundedTheRecentlyUsedStay) {
  KnownIds ids(4);  // two generations of two
  ids.add({1, 2});
  ids.add({3});                  // 1 and 2 the older generation
  EXPECT_TRUE(ids.contains(1));  // back to the newer: 3, 1; 2 older
  ids.add({4});                  // the newer was full: 3 and 1 older, 2 gone
  EXPECT_FALSE(ids.contains(2));
  EXPECT_TRUE(ids.contains(3));
  EXPECT_TRUE(ids.contains(4));
  EXPECT_LE(ids.size(), 4u);
  ids.clear();
  EXPECT_FALSE(ids.contains(4));
  EXPECT_EQ(ids.size(), 0u);
}

}  // namespace
}  // namespace ember::server
