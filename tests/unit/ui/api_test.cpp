// The API's answers over a real store: each figure is the story's truth
// (api_store.hpp) or what the report library computes for the same range.
#include <gtest/gtest.h>

#include <sstream>

#include "api_store.hpp"
#include "flame_reader.hpp"
#include "report.hpp"

namespace ember::ui::test {
namespace {

using AnswersFromTheStore = ApiStoreTest;

const Json* target(const Json& answer, const std::string& param, const std::string& value) {
  for (const Json& t : answer["targets"].array) {
    if (t["param"].text == param && t["value"].text == value) return &t;
  }
  return nullptr;
}

TEST_F(AnswersFromTheStore, Summary) {
  Json s = json("/api/v1/summary");
  EXPECT_EQ(s["windows"].number, 3);
  EXPECT_EQ(s["first"].number, static_cast<double>(kT0 / kS));
  EXPECT_EQ(s["services"].size(), 1u);
  EXPECT_EQ(s["services"][0].text, "shop");
  bool python = false;
  for (const Json& k : s["kinds"].array) python |= k["kind"].text == "python" && k["color"].text == "#f5dc3d";
  EXPECT_TRUE(python);
}

TEST_F(AnswersFromTheStore, TargetsWithCountsAndSearch) {
  Json all = json("/api/v1/targets");
  ASSERT_NE(target(all, "service", "shop"), nullptr);
  EXPECT_EQ((*target(all, "service", "shop"))["samples"].number, 300);
  EXPECT_EQ((*target(all, "process", "cron"))["samples"].number, 150);
  EXPECT_EQ((*target(all, "pid", "10"))["samples"].number, 300);
  EXPECT_EQ(all["targets"][0]["samples"].number, 300);  // the biggest first
  EXPECT_EQ(all["range"]["samples"].number, 450);

  Json searched = json("/api/v1/targets", {{"q", "CRO"}});
  ASSERT_GT(searched["targets"].size(), 0u);
  for (const Json& t : searched["targets"].array) {
    EXPECT_NE(t["label"].text.find("cron"), std::string::npos) << t["label"].text;
  }
  Json limited = json("/api/v1/targets", {{"limit", "1"}});
  EXPECT_EQ(limited["targets"].size(), 1u);
  EXPECT_EQ(limited["matched"].number, all["targets"].size());

  Json late = json("/api/v1/targets", {{"from", kMinute2}});
  EXPECT_EQ((*target(late, "service", "shop"))["samples"].number, 100);
}

TEST_F(AnswersFromTheStore, FlameGraphOfARangeAndAFilter) {
  ReadNode all = read_tree(json("/api/v1/flamegraph"));
  EXPECT_EQ(all.total, 450);
  const ReadNode* lookup = all.at({"api", "main", "lookup"});
  ASSERT_NE(lookup, nullptr);
  EXPECT_EQ(lookup->total, 180);
  EXPECT_EQ(lookup->self, 180);
  EXPECT_EQ(lookup->kind, "python");
  EXPECT_EQ(lookup->file, "shop.py");
  EXPECT_EQ(lookup->line, 7);
  EXPECT_EQ(all.at({"api"})->kind, "process");

  ReadNode shop = read_tree(json("/api/v1/flamegraph", {{"service", "shop"}, {"from", kMinute2}}));
  EXPECT_EQ(shop.total, 100);
  EXPECT_EQ(shop.at({"api", "main", "lookup"})->total, 20);
  EXPECT_EQ(shop.at({"cron"}), nullptr);

  ReadNode focused = read_tree(json("/api/v1/flamegraph", {{"focus", "render"}}));
  EXPECT_EQ(focused.total, 120);

  // A tree cut to its biggest nodes is still one tree, and says what it left out.
  Json pruned = json("/api/v1/flamegraph", {{"max_nodes", "4"}});
  ReadNode small = read_tree(pruned);
  EXPECT_LE(pruned["nodes"].size(), 4u);
  EXPECT_EQ(pruned["pruned"].number, 8 - static_cast<double>(pruned["nodes"].size()));
  EXPECT_EQ(small.total, 450);
}

TEST_F(AnswersFromTheStore, TimelineOfHostAndSelection) {
  Json t = json("/api/v1/timeline", {{"from", "2026-11-25T19:05:00Z"},
                                     {"to", "2026-11-25T19:08:00Z"},
                                     {"points", "18"},
                                     {"service", "shop"}});
  ASSERT_EQ(t["time"].size(), 18u);
  EXPECT_EQ(t["step"].number, 10);
  const Json& cpu = t["selection"]["cpu_cores"];
  const Json& host = t["host"]["cpu_utilization"];
  // Steps stamped at 10 s .. 60 s of each minute: bucket 0 (0..10 s) is empty.
  EXPECT_EQ(cpu[0].type, Json::Type::null);
  EXPECT_NEAR(cpu[1].number, 0.8, 1e-9);
  EXPECT_NEAR(cpu[13].number, 0.2, 1e-9);
  EXPECT_NEAR(host[1].number, 0.1, 1e-9);
  EXPECT_EQ(t["host"]["memory_used_bytes"][1].number, static_cast<double>(2ull << 30));
  EXPECT_EQ(t["selection"]["rss_bytes"][1].number, static_cast<double>(100ull << 20));
  EXPECT_EQ(t["selection"]["processes"].number, 1);

  Json everything = json("/api/v1/timeline", {{"from", "2026-11-25T19:05:00Z"},
                                              {"to", "2026-11-25T19:08:00Z"},
                                              {"points", "18"}});
  EXPECT_NEAR(everything["selection"]["cpu_cores"][1].number, 1.3, 1e-9);
}

TEST_F(AnswersFromTheStore, DiffOfTwoRanges) {
  Json d = json("/api/v1/diff", {{"base_to", kMinute2}, {"from", kMinute2}, {"service", "shop"}});
  EXPECT_EQ(d["before"]["samples"].number, 200);
  EXPECT_EQ(d["after"]["samples"].number, 100);
  ReadNode tree = read_tree(d);
  const ReadNode* lookup = tree.at({"api", "main", "lookup"});
  ASSERT_NE(lookup, nullptr);
  EXPECT_EQ(lookup->base_total, 160);
  EXPECT_EQ(lookup->total, 20);
  // The table is ember report --diff's: lookup shrank most, render grew.
  const Json& first = d["functions"][0];
  EXPECT_TRUE(first["name"].text == "lookup" || first["name"].text == "render");
  for (const Json& f : d["functions"].array) {
    if (f["name"].text == "lookup") {
      EXPECT_NEAR(f["delta"].number, 0.2 - 0.8, 1e-9);
    }
    if (f["name"].text == "render") {
      EXPECT_NEAR(f["delta"].number, 0.8 - 0.2, 1e-9);
    }
  }
}

// The baseline may be another selection: one process against another.
TEST_F(AnswersFromTheStore, DiffOfTwoProcesses) {
  Json d = json("/api/v1/diff", {{"process", "api"}, {"base_process", "cron"}});
  EXPECT_EQ(d["before"]["samples"].number, 150);
  EXPECT_EQ(d["after"]["samples"].number, 300);
  ReadNode tree = read_tree(d);
  ASSERT_NE(tree.at({"cron", "main", "tick"}), nullptr);
  EXPECT_EQ(tree.at({"cron", "main", "tick"})->base_total, 150);
  EXPECT_EQ(tree.at({"cron", "main", "tick"})->total, 0);
  EXPECT_EQ(tree.at({"api", "main", "lookup"})->total, 180);
  EXPECT_EQ(tree.at({"api", "main", "lookup"})->base_total, 0);
  EXPECT_EQ(get("/api/v1/diff", {{"base_pid", "x"}}).status, 400);
}

TEST_F(AnswersFromTheStore, TopFunctions) {
  Json f = json("/api/v1/functions", {{"process", "api"}});
  ASSERT_GE(f["functions"].size(), 3u);
  EXPECT_EQ(f["functions"][0]["name"].text, "lookup");
  EXPECT_EQ(f["functions"][0]["self"].number, 180);
  bool main_seen = false;
  for (const Json& row : f["functions"].array) {
    if (row["name"].text == "main") main_seen = row["total"].number == 300;
  }
  EXPECT_TRUE(main_seen);
}

TEST_F(AnswersFromTheStore, ExportsAreTheReportsFiles) {
  ApiResponse folded = get("/api/v1/export", {{"format", "folded"}, {"service", "shop"}});
  ASSERT_EQ(folded.status, 200) << folded.body;
  std::string truth;
  report::ReportRequest request{.filter = {.services = {"shop"}},
                                .format = report::ReportFormat::folded};
  ASSERT_TRUE(report::run_report(*reader_, request, kT0 + 3600 * kS, truth));
  EXPECT_EQ(folded.body, truth);
  EXPECT_EQ(folded.filename, "ember-shop-20261125T190500Z.folded");

  ApiResponse svg = get("/api/v1/export", {{"focus", "render"}});
  ASSERT_EQ(svg.status, 200) << svg.body;
  EXPECT_EQ(svg.content_type, "image/svg+xml");
  EXPECT_EQ(svg.filename, "ember-render-20261125T190500Z.svg");
  EXPECT_NE(svg.body.find("render"), std::string::npos);
  EXPECT_EQ(svg.body.find("lookup"), std::string::npos);
}

// The flame graph, table and targets read each process' threads summed
// (StoreReader::read_per_process); what names threads after them still
// gets them: a thread filter, and an export's thread labels.
TEST_F(AnswersFromTheStore, ThreadsAreThereForWhatNamesThemAfterAReadPerProcess) {
  EXPECT_EQ(read_tree(json("/api/v1/flamegraph")).total, 450);
  EXPECT_EQ(read_tree(json("/api/v1/flamegraph", {{"thread", "cron"}})).total, 150);
  EXPECT_EQ(json("/api/v1/timeline", {{"thread", "api"}})["selection"]["processes"].number, 1);
  for (const char* format : {"pprof", "speedscope"}) {
    ApiResponse exported = get("/api/v1/export", {{"format", format}});
    ASSERT_EQ(exported.status, 200) << exported.body;
    std::string truth;
    report::ReportRequest request{.format = format == std::string("pprof")
                                                ? report::ReportFormat::pprof
                                                : report::ReportFormat::speedscope};
    ASSERT_TRUE(report::run_report(*reader_, request, kT0 + 3600 * kS, truth));
    // (speedscope's first line holds the title, which names the filter)
    EXPECT_EQ(exported.body.substr(exported.body.find('\n')), truth.substr(truth.find('\n')))
        << format;
  }
}

// A flame graph, table or target list reads the samples without the metrics
// (StoreReader::read_process_samples); what draws or writes them after the
// same selection still has them: a chart of the process, a pprof export.
TEST_F(AnswersFromTheStore, ChartsAndExportsKeepTheirMetricsAfterReadsWithout) {
  const Params pid{{"pid", "10"}};
  const Params pprof{{"pid", "10"}, {"format", "pprof"}, {"threads", "0"}};
  ApiResponse chart = get("/api/v1/timeline", pid), exported = get("/api/v1/export", pprof);
  ASSERT_EQ(chart.status, 200) << chart.body;
  ASSERT_EQ(exported.status, 200) << exported.body;
  Json cpu = json("/api/v1/timeline", pid)["selection"]["cpu_cores"];
  double drawn = 0;
  for (const Json& point : cpu.array) drawn += point.number;
  EXPECT_GT(drawn, 0) << "the process' CPU is charted";
  api_->forget_when_idle(std::chrono::seconds(0));
  ASSERT_EQ(get("/api/v1/flamegraph", pid).status, 200);
  ASSERT_EQ(get("/api/v1/functions", pid).status, 200);
  ASSERT_EQ(get("/api/v1/targets").status, 200);
  EXPECT_EQ(get("/api/v1/timeline", pid).body, chart.body);
  EXPECT_EQ(get("/api/v1/export", pprof).body, exported.body);
}

// An export with threads=0 sums each process' threads whether the read it
// comes from was per process or a kept one per thread (an export with
// threads read it first).
TEST_F(AnswersFromTheStore, ExportsWithoutThreadsAreTheSameAfterAReadPerThread) {
  for (const char* format : {"pprof", "speedscope", "folded"}) {
    const Params summed{{"format", format}, {"threads", "0"}};
    ApiResponse fresh = get("/api/v1/export", summed);
    ASSERT_EQ(fresh.status, 200) << fresh.body;
    api_->forget_when_idle(std::chrono::seconds(0));
    ASSERT_EQ(get("/api/v1/export", {{"format", format}, {"threads", "1"}}).status, 200);
    EXPECT_EQ(get("/api/v1/export", summed).body, fresh.body) << format;
    api_->forget_when_idle(std::chrono::seconds(0));
  }
}

// A zoomed node's export holds exactly the samples the flame graph gives that
// node, each stack starting at the node's frame below its process.
TEST_F(AnswersFromTheStore, ExportOfAZoomedNode) {
  ReadNode all = read_tree(json("/api/v1/flamegraph"));
  const ReadNode* main = all.at({"api", "main"});
  ASSERT_NE(main, nullptr);
  ApiResponse folded = get("/api/v1/export", {{"format", "folded"}, {"zoom", "api"}, {"zoom", "main"}});
  ASSERT_EQ(folded.status, 200) << folded.body;
  EXPECT_EQ(folded.filename, "ember-main-20261125T190500Z.folded");
  double samples = 0;
  std::istringstream lines(folded.body);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_EQ(line.rfind("api;main", 0), 0u) << line;  // the process, then the zoomed frame
    samples += std::stod(line.substr(line.rfind(' ') + 1));
  }
  EXPECT_EQ(samples, main->total);

  const ReadNode* lookup = main->child("lookup");
  ASSERT_NE(lookup, nullptr);
  ApiResponse deeper = get("/api/v1/export", {{"format", "folded"}, {"zoom", "api"}, {"zoom", "main"},
                                              {"zoom", "lookup"}});
  ASSERT_EQ(deeper.status, 200) << deeper.body;
  EXPECT_EQ(deeper.body, "api;lookup " + std::to_string(static_cast<int>(lookup->total)) + "\n");

  EXPECT_EQ(get("/api/v1/export", {{"zoom", "api"}, {"zoom", "lookup"}}).status, 404);
  // A path as deep as the deepest stacks is taken; past 512 levels it is a 400.
  Params deep{{"zoom", "api"}};
  for (int i = 0; i < 200; ++i) deep.emplace("zoom", "main");
  EXPECT_EQ(get("/api/v1/export", deep).status, 404);
  for (int i = 0; i < 400; ++i) deep.emplace("zoom", "main");
  EXPECT_EQ(get("/api/v1/export", deep).status, 400);
}

// What is kept goes once no request came for the idle time, and answers
// stay the same after.
TEST_F(AnswersFromTheStore, KeptReadsGoWhenIdle) {
  EXPECT_EQ(read_tree(json("/api/v1/flamegraph")).total, 450);
  EXPECT_GT(api_->kept(), 0u);
  EXPECT_FALSE(api_->forget_when_idle(std::chrono::hours(1)));  // a request just came
  EXPECT_GT(api_->kept(), 0u);
  EXPECT_TRUE(api_->forget_when_idle(std::chrono::seconds(0)));
  EXPECT_EQ(api_->kept(), 0u);
  EXPECT_FALSE(api_->forget_when_idle(std::chrono::seconds(0)));  // nothing left to drop
  EXPECT_EQ(read_tree(json("/api/v1/flamegraph")).total, 450);
}

// What the API keeps between requests (lru_cache.hpp) is what the store
// held: a window stored since shows in the next answers of a range that
// covers it, while other views of a kept read stay right.
TEST_F(AnswersFromTheStore, KeptAnswersFollowTheStore) {
  EXPECT_EQ(read_tree(json("/api/v1/flamegraph")).total, 450);
  EXPECT_EQ(read_tree(json("/api/v1/flamegraph", {{"process", "cron"}})).total, 150);
  EXPECT_EQ(read_tree(json("/api/v1/flamegraph")).total, 450);
  EXPECT_EQ(json("/api/v1/functions", {{"process", "api"}})["functions"][0]["self"].number, 180);
  {
    std::unique_ptr<store::StoreWriter> writer;
    ASSERT_TRUE(store::StoreWriter::open((dir_ / "ember.db").string(), writer).ok());
    ASSERT_TRUE(writer->write(ember::test::story_minute(3, 100)).ok());
  }
  EXPECT_EQ(read_tree(json("/api/v1/flamegraph")).total, 600);
  EXPECT_EQ(read_tree(json("/api/v1/flamegraph", {{"process", "cron"}})).total, 200);
  EXPECT_EQ(json("/api/v1/functions", {{"process", "api"}})["functions"][0]["self"].number, 280);
  EXPECT_EQ(json("/api/v1/targets")["range"]["samples"].number, 600);
  // The older range still answers from what it kept, and rightly.
  EXPECT_EQ(read_tree(json("/api/v1/flamegraph", {{"to", "2026-11-25T19:08:00Z"}})).total, 450);
}

// A tree cut at 1/resolution of the samples keeps the nodes at or over it.
TEST_F(AnswersFromTheStore, FlameGraphLeavesOutNodesUnderTheResolution) {
  Json all = json("/api/v1/flamegraph", {{"resolution", "0"}});
  Json cut = json("/api/v1/flamegraph", {{"resolution", "3"}});  // 150 samples of 450
  ReadNode tree = read_tree(cut);
  EXPECT_EQ(tree.total, 450);
  ASSERT_NE(tree.at({"api", "main"}), nullptr);
  EXPECT_EQ(tree.at({"api", "main", "lookup"})->total, 180);
  EXPECT_NE(tree.at({"cron", "main", "tick"}), nullptr);  // 150: at the threshold, kept
  EXPECT_EQ(tree.at({"api", "main", "render"}), nullptr);  // 120
  EXPECT_EQ(cut["pruned"].number, 1);
  EXPECT_EQ(all["pruned"].number, 0);
}

}  // namespace
}  // namespace ember::ui::test
