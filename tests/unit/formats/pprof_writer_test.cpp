#include "pprof_writer.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "gzip.hpp"
#include "profile.pb.h"
#include "sample_windows.hpp"

namespace ember::formats {
namespace {

namespace pb = perftools::profiles;

// The profile read back with the generated parser, and lookups by id.
struct Read {
  pb::Profile p;
  std::map<std::uint64_t, const pb::Location*> locations;
  std::map<std::uint64_t, const pb::Function*> functions;

  explicit Read(const Window& w) {
    EXPECT_TRUE(p.ParseFromString(gunzip(pprof_gzip(w))));
    for (const auto& l : p.location()) locations[l.id()] = &l;
    for (const auto& f : p.function()) functions[f.id()] = &f;
  }
  const std::string& str(std::int64_t i) const { return p.string_table(static_cast<int>(i)); }
  // Function names of a sample, leaf first; inlined lines innermost first.
  std::vector<std::string> names(const pb::Sample& s) const {
    std::vector<std::string> out;
    for (std::uint64_t id : s.location_id()) {
      for (const auto& line : locations.at(id)->line()) {
        out.push_back(str(functions.at(line.function_id())->name()));
      }
    }
    return out;
  }
  std::multimap<std::string, std::string> str_labels(const pb::Sample& s) const {
    std::multimap<std::string, std::string> out;
    for (const auto& l : s.label()) {
      if (l.str()) out.emplace(str(l.key()), str(l.str()));
    }
    return out;
  }
  std::map<std::string, std::int64_t> num_labels(const pb::Sample& s) const {
    std::map<std::string, std::int64_t> out;
    for (const auto& l : s.label()) {
      if (!l.str()) out[str(l.key())] = l.num();
    }
    return out;
  }
};

TEST(PprofWriterTest, SampleTypesPeriodAndTotals) {
  Window w = test::sample_window();
  Read r(w);
  ASSERT_GT(r.p.string_table_size(), 0);
  EXPECT_EQ(r.p.string_table(0), "");
  ASSERT_EQ(r.p.sample_type_size(), 2);
  EXPECT_EQ(r.str(r.p.sample_type(0).type()), "samples");
  EXPECT_EQ(r.str(r.p.sample_type(0).unit()), "count");
  EXPECT_EQ(r.str(r.p.sample_type(1).type()), "cpu");
  EXPECT_EQ(r.str(r.p.sample_type(1).unit()), "nanoseconds");
  EXPECT_EQ(r.p.period(), 1'000'000'000 / 99);
  EXPECT_EQ(r.str(r.p.period_type().unit()), "nanoseconds");
  EXPECT_EQ(r.p.time_nanos(), w.start_ns);
  EXPECT_EQ(r.p.duration_nanos(), 60'000'000'000);

  std::int64_t samples = 0, nanos = 0;
  for (const auto& s : r.p.sample()) {
    ASSERT_EQ(s.value_size(), 2);
    EXPECT_EQ(s.value(1), s.value(0) * r.p.period());
    samples += s.value(0);
    nanos += s.value(1);
  }
  EXPECT_EQ(samples, static_cast<std::int64_t>(w.total_samples()));
  EXPECT_EQ(nanos, samples * r.p.period());
  EXPECT_EQ(r.p.sample_size(), static_cast<int>(w.samples.size()));
}

TEST(PprofWriterTest, StacksLeafFirstWithFilesLinesAndLabels) {
  Window w = test::sample_window();
  Read r(w);
  // Window sample 2: stack {main, handler, do_sys_open} in pid 100, tid 101.
  const pb::Sample& s = r.p.sample(2);
  EXPECT_EQ(r.names(s), (std::vector<std::string>{"do_sys_open", "handler", "main"}));
  const pb::Location& handler = *r.locations.at(s.location_id(1));
  EXPECT_EQ(handler.line(0).line(), 3);
  EXPECT_EQ(r.str(r.functions.at(handler.line(0).function_id())->filename()), "app.py");

  EXPECT_EQ(r.num_labels(s), (std::map<std::string, std::int64_t>{{"pid", 100}, {"tid", 101}}));
  auto labels = r.str_labels(s);
  EXPECT_EQ(labels.find("process")->second, "python3");
  EXPECT_EQ(labels.find("thread")->second, "worker-1");
  std::set<std::string> kinds;
  for (auto [it, end] = labels.equal_range("kind"); it != end; ++it) kinds.insert(it->second);
  EXPECT_EQ(kinds, (std::set<std::string>{"native", "python", "kernel"}));
  EXPECT_EQ(labels.count("container"), 0u);  // on the host

  // nginx runs in a container: id (no name known) and its id.
  const pb::Sample& nginx = r.p.sample(3);
  auto nginx_labels = r.str_labels(nginx);
  EXPECT_EQ(nginx_labels.find("container")->second, std::string(64, 'a'));
  EXPECT_EQ(nginx_labels.find("container_id")->second, std::string(64, 'a'));
}

TEST(PprofWriterTest, AnyKindNameIsAKindLabel) {
  Window w = test::sample_window();
  w.frames[1].kind = "toyvm";  // handler
  w.frame_kinds = {{"toyvm", "#3366cc"}};
  Read r(w);
  auto labels = r.str_labels(r.p.sample(2));  // main -> handler -> do_sys_open
  std::vector<std::string> kinds;
  for (auto [it, end] = labels.equal_range("kind"); it != end; ++it) kinds.push_back(it->second);
  EXPECT_EQ(kinds, (std::vector<std::string>{"native", "toyvm", "kernel"}));  // root first
  auto nginx = r.str_labels(r.p.sample(3));
  EXPECT_EQ(nginx.count("kind"), 1u);  // each kind once: main and "weird" are both native
}

TEST(PprofWriterTest, ContainerNameAndServiceWhenKnown) {
  Window w = test::sample_window();
  w.processes[2].container_name = "web-1";
  w.processes[2].service = "frontend";
  w.processes[2].pod_uid = "1f2e";
  w.processes[2].pod_name = "web-1-7d9f";
  Read r(w);
  auto labels = r.str_labels(r.p.sample(3));
  EXPECT_EQ(labels.find("container")->second, "web-1");
  EXPECT_EQ(labels.find("service")->second, "frontend");
  EXPECT_EQ(labels.find("pod_uid")->second, "1f2e");
  EXPECT_EQ(labels.find("pod")->second, "web-1-7d9f");
}

TEST(PprofWriterTest, InlinedFramesAreLinesOfOneLocation) {
  Window w;
  w.frequency_hz = 100;
  Frame outer = test::frame("parse", frame_kind::native, "parse.c", 40);
  Frame inl = test::frame("next_token", frame_kind::native, "lexer.h", 12);
  inl.inlined = true;
  w.frames = {test::frame("main", frame_kind::native, "main.c", 5), outer, inl};
  w.stacks = {{0, 1, 2}};
  w.samples = {{0, 1, 1, 10}};
  Read r(w);
  ASSERT_EQ(r.p.location_size(), 2);  // main; parse+next_token
  const pb::Sample& s = r.p.sample(0);
  ASSERT_EQ(s.location_id_size(), 2);
  const pb::Location& leaf = *r.locations.at(s.location_id(0));
  ASSERT_EQ(leaf.line_size(), 2);
  EXPECT_EQ(r.str(r.functions.at(leaf.line(0).function_id())->name()), "next_token");
  EXPECT_EQ(leaf.line(0).line(), 12);
  EXPECT_EQ(r.str(r.functions.at(leaf.line(1).function_id())->name()), "parse");
  EXPECT_EQ(s.value(1), 10 * 10'000'000);
}

TEST(PprofWriterTest, OneFunctionPerNameAndFileAcrossLines) {
  Window w = test::later_window();
  w.frames.push_back(test::frame("handler", frame_kind::python, "app.py", 9));
  w.stacks.push_back({1, 3});
  w.samples.push_back({2, 100, 100, 4});
  Read r(w);
  int handlers = 0;
  for (const auto& f : r.p.function()) handlers += r.str(f.name()) == "handler";
  EXPECT_EQ(handlers, 1);
  EXPECT_EQ(r.p.location_size(), 4);  // handler:3, main, idle, handler:9
}

TEST(PprofWriterTest, EmptyWindowIsAValidProfile) {
  Read r{Window{}};
  EXPECT_EQ(r.p.sample_size(), 0);
  EXPECT_EQ(r.p.period(), 0);
  EXPECT_EQ(r.p.sample_type_size(), 2);
}

TEST(PprofWriterTest, ARuntimePluginsLabelsAreSampleLabels) {
  Window w = test::labelled_sample_window();
  Read r(w);
  ASSERT_EQ(r.p.sample_size(), 5);
  auto worker = r.str_labels(r.p.sample(0));
  EXPECT_EQ(worker.count("goroutine"), 1u);
  EXPECT_EQ(worker.find("goroutine")->second, "worker");
  EXPECT_EQ(worker.find("process")->second, "python3");  // ember's own labels stay
  auto main = r.str_labels(r.p.sample(4));
  EXPECT_EQ(main.find("goroutine")->second, "main");
  EXPECT_EQ(main.find("route")->second, "/buy");
  EXPECT_EQ(r.str_labels(r.p.sample(1)).count("goroutine"), 0u);  // pid 200: none
  EXPECT_EQ(r.p.sample(0).value(0) + r.p.sample(4).value(0), 5);
}

}  // namespace
}  // namespace ember::formats
