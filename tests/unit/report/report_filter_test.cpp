#include "report_filter.hpp"

#include <gtest/gtest.h>

#include "sample_windows.hpp"

namespace ember::report {
namespace {

// pid 100 python3 (8 samples, one thread in a syscall), pid 200 python3 (3),
// pid 300 nginx in a container (1).
Window labelled() {
  Window w = test::sample_window();
  w.processes[0].service = "api";
  w.processes[1].service = "batch";
  w.processes[2].container_name = "web-1";
  w.processes[1].pod_name = "batch-5c4f";
  w.process_metrics = {{1, 100, 0.5, 1}, {1, 300, 0.1, 1}};
  return w;
}

std::uint64_t kept(const ReportFilter& filter) {
  return apply_filter(labelled(), filter).total_samples();
}

TEST(ReportFilterTest, EachFlag) {
  EXPECT_EQ(kept({}), 11u);
  EXPECT_EQ(kept({.pids = {100}}), 7u);
  EXPECT_EQ(kept({.processes = {"python3"}}), 10u);
  EXPECT_EQ(kept({.processes = {"python3.11"}}), 10u);  // executable's name
  EXPECT_EQ(kept({.processes = {"python"}}), 0u);       // whole names only
  EXPECT_EQ(kept({.containers = {"web-1"}}), 1u);
  EXPECT_EQ(kept({.containers = {"aaaaaaaaaaaa"}}), 1u);  // id prefix
  EXPECT_EQ(kept({.containers = {"b"}}), 0u);
  EXPECT_EQ(kept({.services = {"api"}}), 7u);
  EXPECT_EQ(kept({.pods = {"batch-5c4f"}}), 3u);
  EXPECT_EQ(kept({.pods = {"batch"}}), 0u);  // whole names only
  EXPECT_EQ(kept({.pods = {""}}), 0u);       // no pod is no pod name
  EXPECT_EQ(kept({.kinds = {frame_kind::kernel}}), 2u);
  EXPECT_EQ(kept({.kinds = {frame_kind::python}}), 10u);
  EXPECT_EQ(kept({.kinds = {frame_kind::java}}), 0u);
}

TEST(ReportFilterTest, CommandLineSubstringAndThread) {
  EXPECT_EQ(kept({.cmdlines = {"app.py"}}), 7u);
  EXPECT_EQ(kept({.cmdlines = {"python3"}}), 10u);
  EXPECT_EQ(kept({.cmdlines = {"worker"}}), 1u);  // "nginx: worker"
  EXPECT_EQ(kept({.cmdlines = {"ruby"}}), 0u);
  EXPECT_EQ(kept({.threads = {"worker-1"}}), 2u);
  EXPECT_EQ(kept({.threads = {"101"}}), 2u);      // by id
  EXPECT_EQ(kept({.threads = {"python3"}}), 8u);  // both processes' main threads
  EXPECT_EQ(kept({.threads = {"1"}}), 0u);        // whole names and ids only
  Window worker = apply_filter(labelled(), {.threads = {"worker-1"}});
  ASSERT_EQ(worker.threads.size(), 1u);
  EXPECT_EQ(worker.threads[0].tid, 101u);
  EXPECT_EQ((ReportFilter{.cmdlines = {"app.py"}, .threads = {"7"}}).describe(),
            "--cmdline app.py --thread 7");
}

TEST(ReportFilterTest, AlternativesWithinAFlagAllFlagsTogether) {
  EXPECT_EQ(kept({.pids = {100, 300}}), 8u);
  EXPECT_EQ(kept({.services = {"api", "batch"}}), 10u);
  EXPECT_EQ(kept({.pids = {100}, .kinds = {frame_kind::kernel}}), 2u);
  EXPECT_EQ(kept({.pids = {200}, .kinds = {frame_kind::kernel}}), 0u);
  EXPECT_EQ(kept({.processes = {"nginx"}, .services = {"api"}}), 0u);
}

TEST(ReportFilterTest, SelectedPidsAreTheFilteredWindowsProcesses) {
  for (const ReportFilter& filter : std::vector<ReportFilter>{
           {}, {.pids = {100, 300}}, {.services = {"batch"}}, {.kinds = {frame_kind::kernel}},
           {.threads = {"worker-1"}}, {.processes = {"python"}}}) {
    SCOPED_TRACE(filter.describe());
    std::set<std::uint32_t> expected;
    for (const ProcessInfo& p : apply_filter(labelled(), filter).processes) expected.insert(p.pid);
    EXPECT_EQ(selected_pids(labelled(), filter), expected);
  }
  EXPECT_EQ(selected_pids(labelled(), {.kinds = {frame_kind::kernel}}),
            (std::set<std::uint32_t>{100}));
}

TEST(ReportFilterTest, KeepsOnlyTheKeptProcessesThreadsAndMetrics) {
  Window w = apply_filter(labelled(), {.pids = {100}});
  ASSERT_EQ(w.processes.size(), 1u);
  EXPECT_EQ(w.processes[0].pid, 100u);
  EXPECT_EQ(w.threads.size(), 2u);
  ASSERT_EQ(w.process_metrics.size(), 1u);
  EXPECT_EQ(w.frames.size(), labelled().frames.size());
  EXPECT_EQ(w.start_ns, labelled().start_ns);
}

TEST(ReportFilterTest, KindsAndDescriptions) {
  std::string kind;
  ASSERT_TRUE(parse_kind("python", kind));
  EXPECT_EQ(kind, frame_kind::python);
  ASSERT_TRUE(parse_kind("toyvm", kind));  // a registered kind: the store is asked later
  EXPECT_EQ(kind, "toyvm");
  Status bad = parse_kind("Ruby!", kind);
  EXPECT_EQ(bad.message(),
            "'Ruby!' is not a kind name (python, native, kernel, ...: lowercase letters, digits "
            "and _)");
  ReportFilter f{.pids = {1}, .services = {"api"}, .kinds = {frame_kind::go}, .pods = {"web-0"}};
  EXPECT_EQ(f.describe(), "--pid 1 --service api --pod web-0 --kind go");
}

TEST(ReportFilterTest, LabelsOfARuntimePlugin) {
  auto kept_labelled = [](const ReportFilter& filter) {
    return apply_filter(test::labelled_sample_window(), filter).total_samples();
  };
  EXPECT_EQ(kept_labelled({.labels = {"goroutine=worker"}}), 5u);
  EXPECT_EQ(kept_labelled({.labels = {"goroutine=main"}}), 2u);
  EXPECT_EQ(kept_labelled({.labels = {"route=/buy"}}), 2u);
  EXPECT_EQ(kept_labelled({.labels = {"goroutine=worker", "goroutine=main"}}), 7u);
  EXPECT_EQ(kept_labelled({.labels = {"goroutine=work"}}), 0u);  // whole values only
  EXPECT_EQ(kept_labelled({.pids = {200}, .labels = {"goroutine=worker"}}), 0u);
  Window w = apply_filter(test::labelled_sample_window(), {.labels = {"goroutine=main"}});
  ASSERT_EQ(w.samples.size(), 1u);
  EXPECT_EQ(w.labels_of(w.samples[0]).size(), 2u);

  std::string label;
  ASSERT_TRUE(parse_label("goroutine=worker", label));
  EXPECT_EQ(label, "goroutine=worker");
  EXPECT_TRUE(parse_label("empty=", label));
  EXPECT_EQ(parse_label("goroutine", label).message(),
            "'goroutine' is not key=value (--label goroutine=worker)");
  EXPECT_FALSE(parse_label("=worker", label));
  EXPECT_EQ((ReportFilter{.labels = {"a=b"}}).describe(), "--label a=b");
}

}  // namespace
}  // namespace ember::report
