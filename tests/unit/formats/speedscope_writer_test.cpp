#include "speedscope_writer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "mini_json.hpp"
#include "sample_windows.hpp"

namespace ember::formats {
namespace {

using test::Json;
using test::JsonParser;

// Every field the speedscope schema requires, with the right types, and
// frame indices in range.
void expect_valid_speedscope(const Json& doc) {
  ASSERT_EQ(doc.type, Json::Type::object);
  EXPECT_EQ(doc["$schema"].text, "https://www.speedscope.app/file-format-schema.json");
  ASSERT_EQ(doc["shared"]["frames"].type, Json::Type::array);
  const Json& frames = doc["shared"]["frames"];
  for (const Json& frame : frames.array) {
    EXPECT_EQ(frame["name"].type, Json::Type::string);
    if (frame.has("file")) {
      EXPECT_EQ(frame["file"].type, Json::Type::string);
    }
    if (frame.has("line")) {
      EXPECT_EQ(frame["line"].type, Json::Type::number);
    }
  }
  ASSERT_EQ(doc["profiles"].type, Json::Type::array);
  for (const Json& profile : doc["profiles"].array) {
    EXPECT_EQ(profile["type"].text, "sampled");
    EXPECT_EQ(profile["name"].type, Json::Type::string);
    EXPECT_EQ(profile["unit"].text, "none");
    EXPECT_EQ(profile["startValue"].type, Json::Type::number);
    EXPECT_EQ(profile["endValue"].type, Json::Type::number);
    ASSERT_EQ(profile["samples"].type, Json::Type::array);
    ASSERT_EQ(profile["weights"].type, Json::Type::array);
    ASSERT_EQ(profile["samples"].size(), profile["weights"].size());
    double total = 0;
    for (const Json& weight : profile["weights"].array) total += weight.number;
    EXPECT_EQ(profile["endValue"].number - profile["startValue"].number, total);
    for (const Json& stack : profile["samples"].array) {
      for (const Json& index : stack.array) {
        EXPECT_EQ(index.type, Json::Type::number);
        EXPECT_GE(index.number, 0);
        EXPECT_LT(index.number, frames.size());
      }
    }
  }
  if (doc.has("activeProfileIndex") && doc["profiles"].size() > 0) {
    EXPECT_LT(doc["activeProfileIndex"].number, doc["profiles"].size());
  }
  EXPECT_EQ(doc["exporter"].text.rfind("ember ", 0), 0u);
  EXPECT_EQ(doc["name"].type, Json::Type::string);
}

// The frame names of one sample, root first.
std::vector<std::string> names(const Json& doc, const Json& stack) {
  std::vector<std::string> out;
  for (const Json& i : stack.array) {
    out.push_back(doc["shared"]["frames"][static_cast<std::size_t>(i.number)]["name"].text);
  }
  return out;
}

TEST(SpeedscopeWriterTest, OutputFollowsTheSchema) {
  std::string text = speedscope_json(test::sample_window());
  Json doc = JsonParser::parse(text);
  expect_valid_speedscope(doc);
}

TEST(SpeedscopeWriterTest, OneProfilePerThread) {
  Json doc = JsonParser::parse(speedscope_json(test::sample_window()));
  const Json& profiles = doc["profiles"];
  ASSERT_EQ(profiles.size(), 4u);
  EXPECT_EQ(profiles[0]["name"].text, "python3 (pid 100) / python3 (tid 100)");
  EXPECT_EQ(profiles[1]["name"].text, "python3 (pid 100) / worker-1 (tid 101)");
  EXPECT_EQ(profiles[2]["name"].text, "python3 (pid 200) / python3 (tid 200)");
  EXPECT_EQ(profiles[3]["name"].text, "nginx (pid 300) / nginx (tid 300)");
  EXPECT_EQ(doc["activeProfileIndex"].number, 0);  // the busiest thread

  const Json& worker = profiles[1];
  ASSERT_EQ(worker["samples"].size(), 1u);
  EXPECT_EQ(names(doc, worker["samples"][0]),
            (std::vector<std::string>{"main", "handler", "do_sys_open"}));
  EXPECT_EQ(worker["weights"][0].number, 2);
  EXPECT_EQ(worker["startValue"].number, 0);
  EXPECT_EQ(worker["endValue"].number, 2);

  EXPECT_EQ(names(doc, profiles[3]["samples"][0]),
            (std::vector<std::string>{"main", "weird;name\nx"}));
}

// A pid that ran two programs (a child before and after its exec): a
// profile and a processes entry each, the older one with its instance and
// listed first, so a reader keeping the last entry per pid has the newest.
TEST(SpeedscopeWriterTest, APidThatRanTwoProgramsHasAnEntryEachNewestLast) {
  Window w = test::sample_window();
  ProcessInfo before = w.processes[1];  // pid 200, python3
  ASSERT_EQ(before.pid, 200u);
  w.processes[1].comm = "gzip";
  w.processes[1].exe = "/usr/bin/gzip";
  before.instance = 1;
  w.processes.push_back(before);  // after the newest: the writer orders them
  StackCount pre_exec = w.samples.front();
  pre_exec.pid = 200;
  pre_exec.tid = 200;
  pre_exec.instance = 1;
  pre_exec.count = 1;
  w.samples.push_back(pre_exec);

  Json doc = JsonParser::parse(speedscope_json(w));
  std::vector<std::string> of_pid;
  for (const Json& profile : doc["profiles"].array) {
    if (profile["name"].text.find("(pid 200)") != std::string::npos) {
      of_pid.push_back(profile["name"].text.substr(0, profile["name"].text.find(' ')));
    }
  }
  std::sort(of_pid.begin(), of_pid.end());
  EXPECT_EQ(of_pid, (std::vector<std::string>{"gzip", "python3"}));

  std::vector<std::pair<std::string, double>> entries;  // (comm, instance) of pid 200
  for (const Json& process : doc["ember"]["processes"].array) {
    if (process["pid"].number != 200) continue;
    // Absent for the newest program (instance 0).
    entries.emplace_back(process["comm"].text,
                         process.has("instance") ? process["instance"].number : 0);
  }
  EXPECT_EQ(entries, (std::vector<std::pair<std::string, double>>{{"python3", 1}, {"gzip", 0}}));
}

TEST(SpeedscopeWriterTest, FramesCarryFileAndLineWhenKnown) {
  Json doc = JsonParser::parse(speedscope_json(test::sample_window()));
  const Json& frames = doc["shared"]["frames"];
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[0]["name"].text, "main");
  EXPECT_EQ(frames[0]["file"].text, "main.c");
  EXPECT_EQ(frames[0]["line"].number, 10);
  EXPECT_EQ(frames[1]["file"].text, "app.py");
  EXPECT_FALSE(frames[2].has("file"));
  EXPECT_FALSE(frames[2].has("line"));
}

TEST(SpeedscopeWriterTest, EmberMetadata) {
  Json doc = JsonParser::parse(speedscope_json(test::sample_window()));
  const Json& ember = doc["ember"];
  EXPECT_EQ(ember["frequency_hz"].number, 99);
  EXPECT_EQ(ember["start_ns"].text, "1795633512000000000");  // exact digits, no rounding
  EXPECT_EQ(ember["end_ns"].text, "1795633572000000000");
  EXPECT_EQ(ember["lost_samples"].number, 4);
  ASSERT_EQ(ember["frame_kinds"].size(), 4u);
  EXPECT_EQ(ember["frame_kinds"][0].text, "native");
  EXPECT_EQ(ember["frame_kinds"][1].text, "python");
  EXPECT_EQ(ember["frame_kinds"][2].text, "kernel");
  EXPECT_EQ(ember["frame_kinds"][3].text, "native");
  EXPECT_EQ(ember["inlined_frames"].size(), 0u);

  const Json& processes = ember["processes"];
  ASSERT_EQ(processes.size(), 3u);
  EXPECT_EQ(processes[0]["pid"].number, 100);
  EXPECT_EQ(processes[0]["comm"].text, "python3");
  EXPECT_EQ(processes[0]["exe"].text, "/usr/bin/python3.11");
  EXPECT_EQ(processes[0]["container_id"].text, "");
  EXPECT_EQ(processes[1]["cmdline"].text, "python3 \"quoted\" \\ back");
  EXPECT_EQ(processes[2]["cmdline"].text, "nginx: worker \xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(processes[2]["container_id"].text, std::string(64, 'a'));
}

TEST(SpeedscopeWriterTest, HostLabelsAndMetrics) {
  Window w = test::sample_window();
  w.host = "web-1";
  w.processes[0].container_name = "shop/api";
  w.processes[0].pod_uid = "0d3a1e9c-8f5b-4c2d-9e7f-1a2b3c4d5e6f";
  w.processes[0].service = "BiggestNumbers";
  w.processes[0].pod_name = "shop-7d9f";
  w.host_metrics = {{w.start_ns + 1'000'000'000, 0.25, 8ull << 30, 6ull << 30},
                    {w.start_ns + 2'000'000'000, 0.5, 8ull << 30, 5ull << 30}};
  w.process_metrics = {{w.start_ns + 2'000'000'000, 100, 1.5, 123456789}};
  Json ember = JsonParser::parse(speedscope_json(w))["ember"];
  EXPECT_EQ(ember["host"].text, "web-1");
  const Json& p = ember["processes"][0];
  EXPECT_EQ(p["container_name"].text, "shop/api");
  EXPECT_EQ(p["pod_uid"].text, "0d3a1e9c-8f5b-4c2d-9e7f-1a2b3c4d5e6f");
  EXPECT_EQ(p["service"].text, "BiggestNumbers");
  EXPECT_EQ(p["pod_name"].text, "shop-7d9f");
  EXPECT_EQ(ember["processes"][1]["service"].text, "");

  const Json& host = ember["host_metrics"];
  ASSERT_EQ(host["fields"].size(), 4u);
  EXPECT_EQ(host["fields"][1].text, "cpu_utilization");
  ASSERT_EQ(host["steps"].size(), 2u);
  EXPECT_EQ(host["steps"][1][0].text, "1795633514000000000");
  EXPECT_DOUBLE_EQ(host["steps"][1][1].number, 0.5);
  EXPECT_EQ(host["steps"][1][2].number, double(8ull << 30));
  EXPECT_EQ(host["steps"][1][3].number, double(5ull << 30));
  const Json& process = ember["process_metrics"];
  EXPECT_EQ(process["fields"][2].text, "cpu_cores");
  ASSERT_EQ(process["steps"].size(), 1u);
  EXPECT_EQ(process["steps"][0][1].number, 100);
  EXPECT_DOUBLE_EQ(process["steps"][0][2].number, 1.5);
  EXPECT_EQ(process["steps"][0][3].number, 123456789);
}

TEST(SpeedscopeWriterTest, NameAndExporter) {
  Json doc = JsonParser::parse(speedscope_json(test::sample_window()));
  EXPECT_EQ(doc["name"].text, "ember 2026-11-25T19:05:12Z");
  EXPECT_EQ(doc["exporter"].text, std::string("ember ") + EMBER_VERSION);
  doc = JsonParser::parse(speedscope_json(test::sample_window(), SpeedscopeOptions{"run 7"}));
  EXPECT_EQ(doc["name"].text, "run 7");
}

TEST(SpeedscopeWriterTest, EmptyWindowIsStillValid) {
  Json doc = JsonParser::parse(speedscope_json(Window{}));
  expect_valid_speedscope(doc);
  EXPECT_EQ(doc["profiles"].size(), 0u);
}

TEST(SpeedscopeWriterTest, TheTestParserRejectsInvalidJson) {
  // So a writer that emits broken JSON cannot pass the tests above.
  EXPECT_THROW(JsonParser::parse("{\"a\":1,}"), std::runtime_error);
  EXPECT_THROW(JsonParser::parse("[1 2]"), std::runtime_error);
  EXPECT_THROW(JsonParser::parse("\"a\nb\""), std::runtime_error);
  EXPECT_THROW(JsonParser::parse("\"\\x\""), std::runtime_error);
  EXPECT_THROW(JsonParser::parse("{\"a\":1} x"), std::runtime_error);
}

TEST(SpeedscopeWriterTest, InlinedFramesAreListedAndKeepFileAndLine) {
  Window w = test::sample_window();
  Frame inlined = test::frame("mix_inlined", frame_kind::native, "/src/hot.c", 14);
  inlined.inlined = true;
  w.frames.push_back(inlined);
  w.frames.push_back(inlined);  // two entries, different lines
  w.frames.back().line = 15;
  Json doc = JsonParser::parse(speedscope_json(w));
  const Json& listed = doc["ember"]["inlined_frames"];
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].number, 4);
  EXPECT_EQ(listed[1].number, 5);
  const Json& frame = doc["shared"]["frames"][5];
  EXPECT_EQ(frame["name"].text, "mix_inlined");
  EXPECT_EQ(frame["file"].text, "/src/hot.c");
  EXPECT_EQ(frame["line"].number, 15);
}

}  // namespace
}  // namespace ember::formats

namespace ember::formats {
namespace {

// A window whose JSON is several MB: many long frame names, stacks, threads.
Window big_speedscope_window() {
  Window window;
  for (std::uint32_t i = 0; i < 20000; ++i) {
    Frame frame;
    frame.name = "ember_fixture::Outer<std::vector<int>>::compute_" + std::to_string(i);
    frame.module = "libbig.so";
    frame.file = "/src/big/outer_" + std::to_string(i % 97) + ".cpp";
    frame.line = i;
    frame.inlined = i % 5 == 0;
    window.frames.push_back(frame);
  }
  for (std::uint32_t s = 0; s < 5000; ++s) {
    std::vector<std::uint32_t> stack;
    for (std::uint32_t d = 0; d < 12; ++d) stack.push_back((s * 31 + d * 7) % 20000);
    window.stacks.push_back(stack);
  }
  for (std::uint32_t pid = 1; pid <= 40; ++pid) {
    ProcessInfo process;
    process.pid = pid;
    process.comm = "worker";
    window.processes.push_back(process);
    for (std::uint32_t s = pid; s < 5000; s += 3) window.samples.push_back({s, pid, pid, 1 + s % 4});
  }
  return window;
}

TEST(SpeedscopeWriterTest, WrittenInPiecesIsTheSameBytes) {
  std::vector<Window> windows = test::churn_windows(7, 5);
  windows.push_back(test::sample_window());
  windows.push_back(big_speedscope_window());
  for (const Window& window : windows) {
    std::string whole = speedscope_json(window, SpeedscopeOptions{"n"});
    std::string pieces;
    std::size_t count = 0;
    std::size_t largest = 0;
    Status status = write_speedscope(window, SpeedscopeOptions{"n"}, [&](std::string_view piece) {
      pieces += piece;
      ++count;
      largest = std::max(largest, piece.size());
      return Status::ok();
    });
    ASSERT_TRUE(status.is_ok()) << status.message();
    EXPECT_EQ(pieces, whole);
    if (whole.size() > 1000000) {
      // Never held whole: pieces of about 64 KiB.
      EXPECT_GT(count, whole.size() / (96 * 1024)) << whole.size();
      EXPECT_LT(largest, 96u * 1024) << whole.size();
    }
  }
}

TEST(SpeedscopeWriterTest, AWriteErrorStopsTheWriting) {
  std::size_t calls = 0;
  Status status = write_speedscope(big_speedscope_window(), {}, [&](std::string_view) {
    ++calls;
    return calls == 2 ? Status::error("disk full") : Status::ok();
  });
  ASSERT_FALSE(status.is_ok());
  EXPECT_EQ(status.message(), "disk full");
  EXPECT_EQ(calls, 2u);
}

}  // namespace
}  // namespace ember::formats
