// Which samples a report keeps. Values of one flag are alternatives (--pid 1
// --pid 2: either); different flags must all match.
//   pids        the process id
//   processes   the comm, or the executable's file name
//   containers  the container name, or a prefix of its id (the 12-digit
//               short id docker prints works)
//   services    the service label from the config's rules
//   pods        the Kubernetes pod's name
//   kinds       a frame of that kind is in the stack (python, java, native,
//               kernel, node, go, or a kind a runtime plugin registered):
//               --kind python keeps samples running Python
//   labels      "key=value": the sample carries that label (a runtime
//               plugin's, e.g. a goroutine's name)
//   cmdlines    a substring of the process's command line (server.py finds
//               `python3 server.py --port 80`)
//   threads     the thread's name, or its id
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "ember/status.hpp"
#include "ember/window.hpp"

namespace ember::report {

struct ReportFilter {
  std::vector<std::uint32_t> pids;
  std::vector<std::string> processes;
  std::vector<std::string> containers;
  std::vector<std::string> services;
  std::vector<std::string> kinds;
  std::vector<std::string> pods;
  std::vector<std::string> labels;  // "key=value"
  std::vector<std::string> cmdlines;
  std::vector<std::string> threads;

  bool empty() const {
    return pids.empty() && processes.empty() && containers.empty() && services.empty() &&
           kinds.empty() && pods.empty() && labels.empty() && cmdlines.empty() &&
           threads.empty();
  }
  // "--pid 12 --service api", for messages and titles.
  std::string describe() const;
};

// `name` as a kind to filter by, if it can be one (frame_kind.hpp); whether
// the store knows it is run_report's question.
Status parse_kind(const std::string& name, std::string& out);

// `text` as a --label filter, "key=value" with a non-empty key.
Status parse_label(const std::string& text, std::string& out);

// Whether `filter`'s process part (pids, processes, containers, services,
// pods, cmdlines) keeps process `pid`, described by `process` (nullptr when
// no row describes it: only a filter of pids alone keeps it).
bool process_matches(const ReportFilter& filter, const ProcessInfo* process, std::uint32_t pid);

// `window` with only the samples `filter` keeps, and only their processes and
// threads. Frames and stacks are left as they are.
Window apply_filter(const Window& window, const ReportFilter& filter);

// The pids of the samples `filter` keeps (apply_filter's processes), without
// copying the window.
std::set<std::uint32_t> selected_pids(const Window& window, const ReportFilter& filter);

}  // namespace ember::report
