// A flame graph of everything reads the processes folded by name and, in the
// runtime view, makes that read into its view in place; one of a picked
// target reads only its processes. The answers are those of a kept read of
// every process and thread.
#include <gtest/gtest.h>

#include <map>

#include "api.hpp"
#include "flame_reader.hpp"
#include "mini_json.hpp"
#include "python_service_window.hpp"
#include "scratch_dir.hpp"
#include "store_writer.hpp"
#include "story_windows.hpp"

namespace ember::ui::test {
namespace {

using ember::test::kS;
using ember::test::kT0;

// Minute `i`: python_service_window's process run by three pids of one
// name, a fourth under another name, each a different share of it.
Window service_minute(int i) {
  Window w = ember::test::python_service_window();
  w.start_ns = kT0 + i * 60 * kS;
  w.end_ns = w.start_ns + 60 * kS;
  const std::vector<StackCount> one = w.samples;
  w.samples.clear();
  w.processes.clear();
  w.threads.clear();
  const std::uint32_t pids[] = {7, 8, 9, 40};
  for (std::uint32_t pid : pids) {
    const std::uint32_t n = pid + static_cast<std::uint32_t>(i);  // pids differ in counts
    ProcessInfo p;
    p.pid = pid + static_cast<std::uint32_t>(100 * i);  // new pids each minute
    p.comm = pid == 40 ? "worker" : "python3.11";
    p.exe = "/usr/bin/" + p.comm;
    p.cmdline = "python3 server.py --port " + std::to_string(8000 + pid);
    w.processes.push_back(p);
    w.threads.push_back({p.pid, p.pid, p.comm});
    w.threads.push_back({p.pid, p.pid + 1, "gc"});
    for (StackCount s : one) {
      s.tid = s.tid == 7 ? p.pid : p.pid + 1;
      s.pid = p.pid;
      s.count = s.count * n % 97 + 1;
      w.samples.push_back(s);
    }
  }
  return w;
}

class ReadsOfSomeProcesses : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = (scratch_.path() / "ember.db").string();
    std::unique_ptr<store::StoreWriter> writer;
    store::StoreOutcome opened = store::StoreWriter::open(path, writer);
    ASSERT_TRUE(opened.ok()) << opened.message;
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(writer->write(service_minute(i)).ok());
    writer.reset();
    ASSERT_TRUE(store::StoreReader::open(path, reader_));
    api_ = std::make_unique<Api>(*reader_, [] { return kT0 + 3600 * kS; });
  }

  ApiResponse get(const std::string& path, const Params& params = {}) {
    return api_->handle(path, params);
  }

  ember::test::ScratchDir scratch_{"ember-ui-names-test"};
  std::unique_ptr<store::StoreReader> reader_;
  std::unique_ptr<Api> api_;
};

TEST_F(ReadsOfSomeProcesses, AnswerAsAKeptReadOfEveryProcessDoes) {
  const Params kept_read{{"format", "folded"}, {"threads", "1"}};  // an export: every thread
  const std::vector<std::pair<std::string, Params>> asked = {
      {"/api/v1/flamegraph", {}},
      {"/api/v1/flamegraph", {{"view", "native"}}},
      {"/api/v1/flamegraph", {{"focus", "select_top_naive"}}},
      {"/api/v1/diff",
       {{"base_from", "2026-11-25T19:05:00Z"}, {"base_to", "2026-11-25T19:07:00Z"}}},
  };
  for (const auto& [path, params] : asked) {
    SCOPED_TRACE(path + (params.empty() ? "" : " " + params.begin()->second));
    api_->forget_when_idle(std::chrono::seconds(0));
    ApiResponse folded = get(path, params);
    ASSERT_EQ(folded.status, 200) << folded.body;
    EXPECT_EQ(get(path, params).body, folded.body) << "asked again: the kept view";
    api_->forget_when_idle(std::chrono::seconds(0));
    ASSERT_EQ(get("/api/v1/export", kept_read).status, 200);
    EXPECT_EQ(get(path, params).body, folded.body) << "from a kept read of every process";
  }
  // Each name once at the root.
  ApiResponse answer = get("/api/v1/flamegraph");
  ReadNode all = read_tree(ember::test::JsonParser::parse(answer.body));
  ASSERT_EQ(all.children.size(), 2u);
  EXPECT_EQ(all.children[0].name, "python3.11");  // three pids a minute: the biggest
  EXPECT_EQ(all.children[1].name, "worker");
}

TEST_F(ReadsOfSomeProcesses, ASelectionAnswersAsAKeptReadOfEveryProcessDoes) {
  const Params kept_read{{"format", "folded"}, {"threads", "1"}};
  const std::vector<std::pair<std::string, Params>> asked = {
      {"/api/v1/flamegraph", {{"process", "python3.11"}}},
      {"/api/v1/flamegraph", {{"process", "worker"}, {"view", "native"}}},
      {"/api/v1/flamegraph", {{"pid", "108"}}},
      {"/api/v1/flamegraph", {{"cmdline", "--port 8040"}, {"focus", "handle"}}},
      {"/api/v1/functions", {{"process", "python3.11"}}},
      {"/api/v1/diff", {{"process", "worker"}, {"base_process", "python3.11"}}},
      {"/api/v1/flamegraph", {{"pid", "999"}}},  // no samples: the error names the processes
  };
  for (const auto& [path, params] : asked) {
    SCOPED_TRACE(path + " " + params.begin()->first + "=" + params.begin()->second);
    api_->forget_when_idle(std::chrono::seconds(0));
    ApiResponse selected = get(path, params);
    EXPECT_EQ(selected.status, params.begin()->second == "999" ? 404 : 200) << selected.body;
    EXPECT_EQ(get(path, params).body, selected.body) << "asked again: the kept selection";
    api_->forget_when_idle(std::chrono::seconds(0));
    ASSERT_EQ(get("/api/v1/export", kept_read).status, 200);
    EXPECT_EQ(get(path, params).body, selected.body) << "from a kept read of every process";
  }
  // Only the python3.11 processes: the three of each minute.
  ReadNode tree = read_tree(
      ember::test::JsonParser::parse(get("/api/v1/flamegraph", {{"process", "python3.11"}}).body));
  ASSERT_EQ(tree.children.size(), 1u);
  EXPECT_EQ(tree.children[0].name, "python3.11");
}

// Single processes become targets only when they make the list: a shorter
// list is the start of a longer one, whatever the search.
TEST_F(ReadsOfSomeProcesses, TargetListsOfAnyLengthAgree) {
  // Each search, and how many single processes it matches (4 a minute).
  for (auto [search, processes] : std::vector<std::pair<std::string, std::size_t>>{
           {"", 20}, {"python", 20}, {"(PID 1", 4}, {"worker", 5}}) {
    SCOPED_TRACE("q=" + search);
    ApiResponse all = get("/api/v1/targets", {{"q", search}, {"limit", "10000"}});
    ASSERT_EQ(all.status, 200) << all.body;
    const ember::test::Json whole = ember::test::JsonParser::parse(all.body);
    const std::size_t matched = static_cast<std::size_t>(whole["matched"].number);
    ASSERT_EQ(whole["targets"].size(), matched);
    std::size_t pids = 0;
    for (const ember::test::Json& t : whole["targets"].array) pids += t["param"].text == "pid";
    EXPECT_EQ(pids, processes);
    for (std::size_t limit : {1, 2, 3, 7, 12}) {
      const ember::test::Json part = ember::test::JsonParser::parse(
          get("/api/v1/targets", {{"q", search}, {"limit", std::to_string(limit)}}).body);
      EXPECT_EQ(part["matched"].number, whole["matched"].number) << limit;
      ASSERT_EQ(part["targets"].size(), std::min(limit, matched)) << limit;
      for (std::size_t i = 0; i < part["targets"].size(); ++i) {
        for (const char* field : {"param", "value", "label"}) {
          EXPECT_EQ(part["targets"][i][field].text, whole["targets"][i][field].text)
              << limit << " #" << i;
        }
        EXPECT_EQ(part["targets"][i]["samples"].number, whole["targets"][i]["samples"].number);
      }
    }
  }
}

// A pid that ran two programs in the range (a shell's child, then what it
// exec'd) is one pid target, labelled by its newest program and naming the
// other; each program is under its own name.
TEST(PidTargets, APidThatRanTwoProgramsIsOneTargetNamingBoth) {
  ember::test::ScratchDir scratch{"ember-ui-pid-test"};
  const std::string path = (scratch.path() / "ember.db").string();
  Window w = ember::test::python_service_window();
  w.start_ns = kT0;
  w.end_ns = kT0 + 60 * kS;
  StackCount sample = w.samples.at(0);
  w.samples.clear();
  w.threads.clear();
  ProcessInfo shell, tool;
  shell.pid = tool.pid = 60;
  shell.comm = "sh";
  shell.instance = 1;
  tool.comm = "make";
  tool.cmdline = "make -j2";
  w.processes = {shell, tool};
  sample.pid = sample.tid = 60;
  sample.count = 3;
  sample.instance = 1;
  w.samples.push_back(sample);
  sample.count = 5;
  sample.instance = 0;
  w.samples.push_back(sample);
  {
    std::unique_ptr<store::StoreWriter> writer;
    ASSERT_TRUE(store::StoreWriter::open(path, writer).ok());
    ASSERT_TRUE(writer->write(w).ok());
  }
  std::unique_ptr<store::StoreReader> reader;
  ASSERT_TRUE(store::StoreReader::open(path, reader));
  Api api(*reader, [] { return kT0 + 3600 * kS; });
  ApiResponse answer = api.handle("/api/v1/targets", {});
  ASSERT_EQ(answer.status, 200) << answer.body;
  std::map<std::string, std::pair<std::string, double>> targets;  // param=value -> label, samples
  const ember::test::Json listed = ember::test::JsonParser::parse(answer.body);
  for (const ember::test::Json& t : listed["targets"].array) {
    targets[t["param"].text + "=" + t["value"].text] = {t["label"].text, t["samples"].number};
  }
  EXPECT_EQ(targets["pid=60"],
            (std::pair<std::string, double>{"make (pid 60) make -j2; before it sh", 8}));
  EXPECT_EQ(targets["process=sh"].second, 3);
  EXPECT_EQ(targets["process=make"].second, 5);
}

}  // namespace
}  // namespace ember::ui::test
