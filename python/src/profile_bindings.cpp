// _ember.ProfileData and the readers: a profile's numbers, tables, columns and
// files, each computed in one call by the profile library.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>

#include "bindings.hpp"
#include "collapsed_writer.hpp"
#include "focus.hpp"
#include "folded_reader.hpp"
#include "function_stats.hpp"
#include "pprof_reader.hpp"
#include "profile_diff.hpp"
#include "profile_format.hpp"
#include "report.hpp"
#include "runtime_view.hpp"
#include "window_merger.hpp"

namespace ember::python {
namespace {

ProfileData make(Window window, bool has_processes = true) {
  return ProfileData{std::make_shared<const Window>(std::move(window)), has_processes};
}

using Row = std::tuple<std::string, std::string, std::string, std::uint64_t, std::uint64_t>;

std::vector<Row> top_rows(const Window& window, const std::string& by, std::size_t n) {
  if (by != "self" && by != "total") {
    throw py::value_error("by must be \"self\" or \"total\", not \"" + by + "\"");
  }
  report::FunctionTable table = report::function_table(window);
  if (by == "total") report::sort_by_total(table);
  auto& functions = table.functions;
  if (n && functions.size() > n) functions.resize(n);
  std::vector<Row> rows;
  rows.reserve(functions.size());
  for (const auto& f : functions) rows.emplace_back(f.name, f.kind, f.file, f.self, f.total);
  return rows;
}

using DiffRow = std::tuple<std::string, std::string, std::string, double, double, double, double>;

std::vector<DiffRow> diff_rows(const Window& before, const Window& after, std::size_t n) {
  auto deltas =
      report::diff_functions(report::function_table(before), report::function_table(after));
  if (n && deltas.size() > n) deltas.resize(n);
  std::vector<DiffRow> rows;
  rows.reserve(deltas.size());
  for (const auto& d : deltas) {
    rows.emplace_back(d.name, d.kind, d.file, d.total_before, d.total_after, d.self_before,
                      d.self_after);
  }
  return rows;
}

py::bytes render(const ProfileData& data, const std::string& format_name,
                 const std::string& title) {
  formats::ProfileFormat format;
  if (!formats::profile_format_of_name(format_name, format)) {
    throw py::value_error("unknown format '" + format_name + "'; formats are " +
                          std::string(formats::kProfileFormatNames));
  }
  std::string out;
  {
    py::gil_scoped_release release;
    if (format == formats::ProfileFormat::folded) {
      formats::CollapsedOptions options;
      options.process_frames = data.has_processes;
      out = formats::collapsed_text(*data.window, options);
    } else {
      out = formats::render_profile(format, *data.window, {title});
    }
  }
  return py::bytes(out);
}

// One row per (sample, frame depth): numeric columns as numpy arrays; the
// frame column indexes frames().
py::dict frame_columns(const Window& window) {
  std::size_t rows = 0;
  for (const StackCount& s : window.samples) {
    if (s.stack < window.stacks.size()) rows += window.stacks[s.stack].size();
  }
  py::array_t<std::uint32_t> sample(rows), frame(rows), pid(rows), tid(rows);
  py::array_t<std::uint16_t> depth(rows);
  py::array_t<std::uint64_t> count(rows);
  py::array_t<bool> leaf(rows);
  auto sample_m = sample.mutable_unchecked<1>(), frame_m = frame.mutable_unchecked<1>(),
       pid_m = pid.mutable_unchecked<1>(), tid_m = tid.mutable_unchecked<1>();
  auto depth_m = depth.mutable_unchecked<1>();
  auto count_m = count.mutable_unchecked<1>();
  auto leaf_m = leaf.mutable_unchecked<1>();
  std::size_t row = 0;
  for (std::size_t i = 0; i < window.samples.size(); ++i) {
    const StackCount& s = window.samples[i];
    if (s.stack >= window.stacks.size()) continue;
    const auto& stack = window.stacks[s.stack];
    for (std::size_t d = 0; d < stack.size(); ++d, ++row) {
      sample_m(row) = static_cast<std::uint32_t>(i);
      depth_m(row) = static_cast<std::uint16_t>(std::min<std::size_t>(d, 65535));
      frame_m(row) = stack[d];
      leaf_m(row) = d + 1 == stack.size();
      count_m(row) = s.count;
      pid_m(row) = s.pid;
      tid_m(row) = s.tid;
    }
  }
  py::dict out;
  out["sample"] = sample;
  out["depth"] = depth;
  out["frame"] = frame;
  out["leaf"] = leaf;
  out["samples"] = count;
  out["pid"] = pid;
  out["tid"] = tid;
  return out;
}

}  // namespace

void bind_profile(py::module_& m) {
  py::class_<ProfileData>(m, "ProfileData",
                          "An immutable profile held in C++; wrapped by ember.Profile.")
      .def_property_readonly(
          "total", [](const ProfileData& p) { return p.window->total_samples(); },
          "Samples in the profile.")
      .def_property_readonly(
          "start_ns", [](const ProfileData& p) { return p.window->start_ns; },
          "Start, wall-clock nanoseconds.")
      .def_property_readonly(
          "end_ns", [](const ProfileData& p) { return p.window->end_ns; },
          "End (exclusive), wall-clock nanoseconds.")
      .def_property_readonly(
          "frequency_hz", [](const ProfileData& p) { return p.window->frequency_hz; },
          "Sampling frequency (0 when unknown).")
      .def_property_readonly(
          "host", [](const ProfileData& p) { return p.window->host; }, "The agent's host.")
      .def_readonly("has_processes", &ProfileData::has_processes,
                    "False for a profile read from folded text.")
      .def(
          "frames",
          [](const ProfileData& p) {
            py::list out;
            for (const Frame& f : p.window->frames) {
              out.append(py::make_tuple(f.name, f.kind, f.file, f.line, f.module, f.inlined));
            }
            return out;
          },
          "Every distinct frame: (name, kind, file, line, module, inlined).")
      .def(
          "stack_counts",
          [](const ProfileData& p) {
            const Window& w = *p.window;
            std::vector<std::uint64_t> counts(w.stacks.size());
            for (const StackCount& s : w.samples) {
              if (s.stack < counts.size()) counts[s.stack] += s.count;
            }
            py::list out;
            for (std::size_t i = 0; i < w.stacks.size(); ++i) {
              if (!counts[i]) continue;
              py::tuple frames(w.stacks[i].size());
              for (std::size_t d = 0; d < w.stacks[i].size(); ++d) frames[d] = w.stacks[i][d];
              out.append(py::make_tuple(frames, counts[i]));
            }
            return out;
          },
          "Each distinct stack with its samples: (frame indices root first, count).")
      .def(
          "top_rows",
          [](const ProfileData& p, const std::string& by, std::size_t n) {
            return top_rows(*p.window, by, n);
          },
          py::arg("by"), py::arg("n"),
          "Functions as `ember report --format top` counts them: (name, kind, file, self "
          "samples, total samples), sorted by `by`; n=0: all.")
      .def(
          "diff_rows",
          [](const ProfileData& before, const ProfileData& after, std::size_t n) {
            return diff_rows(*before.window, *after.window, n);
          },
          py::arg("after"), py::arg("n"),
          "`ember report --diff`: (name, kind, file, total before, total after, self "
          "before, self after) as shares, the biggest |total delta| first; n=0: all.")
      .def(
          "filtered",
          [](const ProfileData& p, std::vector<std::uint32_t> pids,
             std::vector<std::string> processes, std::vector<std::string> containers,
             std::vector<std::string> services, std::vector<std::string> pods,
             const std::vector<std::string>& kinds) {
            report::ReportFilter filter = make_filter(std::move(pids), std::move(processes),
                                                      std::move(containers),
                                                      std::move(services), std::move(pods), kinds);
            Window out = report::apply_filter(*p.window, filter);
            if (out.total_samples() == 0 && p.window->total_samples() != 0) {
              throw py::value_error("no samples match " + filter.describe() +
                                    "; the profile has " + report::window_holds(*p.window));
            }
            return make(std::move(out), p.has_processes);
          },
          py::arg("pids"), py::arg("processes"), py::arg("containers"), py::arg("services"),
          py::arg("pods"), py::arg("kinds"), "The samples the filter keeps (ember report's).")
      .def(
          "runtime_view",
          [](const ProfileData& p) {
            py::gil_scoped_release release;
            if (!report::runtime_view_changes(*p.window)) return p;  // shares the window
            return make(report::runtime_view_of(*p.window).window, p.has_processes);
          },
          "The runtime view (`ember report` without --native): interpreter internals "
          "folded into the Python/Java/JavaScript frame calling them, a module's "
          "unsymbolized addresses as one frame.")
      .def(
          "focused",
          [](const ProfileData& p, const std::string& name) {
            Window out = report::focus_window(*p.window, name);
            if (out.total_samples() == 0) {
              throw py::value_error("no sample has a frame named '" + name + "'");
            }
            return make(std::move(out), p.has_processes);
          },
          py::arg("name"), "The subtree of the function `name`.")
      .def(
          "merged",
          [](const ProfileData& p, const ProfileData& other) {
            std::vector<Window> both{*p.window, *other.window};
            return make(formats::merge_windows(both), p.has_processes || other.has_processes);
          },
          py::arg("other"), "Both profiles' samples in one.")
      .def("render", &render, py::arg("format"), py::arg("title"),
           "The profile as folded, speedscope, pprof or svg bytes.")
      .def(
          "frame_columns", [](const ProfileData& p) { return frame_columns(*p.window); },
          "One row per (sample, frame depth) as numpy arrays: sample, depth (0 = root), "
          "frame (index into frames()), leaf, samples, pid, tid.")
      .def(
          "processes",
          [](const ProfileData& p) {
            py::list out;
            for (const ProcessInfo& i : p.window->processes) {
              out.append(py::make_tuple(i.pid, i.comm, i.exe, i.cmdline,
                                        i.container_name.empty() ? i.container_id
                                                                 : i.container_name,
                                        i.pod_name, i.service));
            }
            return out;
          },
          "(pid, comm, exe, cmdline, container, pod, service) of each process.")
      .def(
          "metric_columns",
          [](const ProfileData& p, std::int64_t pid) {
            const Window& w = *p.window;
            py::dict host, process;
            std::vector<std::int64_t> ht, pt;
            std::vector<double> hcpu, pcpu;
            std::vector<std::uint64_t> htotal, havail, prss;
            std::vector<std::uint32_t> ppid;
            for (const HostMetrics& h : w.host_metrics) {
              ht.push_back(h.time_ns);
              hcpu.push_back(h.cpu_utilization);
              htotal.push_back(h.memory_total_bytes);
              havail.push_back(h.memory_available_bytes);
            }
            for (const ProcessMetrics& m : w.process_metrics) {
              if (pid >= 0 && m.pid != pid) continue;
              pt.push_back(m.time_ns);
              ppid.push_back(m.pid);
              pcpu.push_back(m.cpu_cores);
              prss.push_back(m.rss_bytes);
            }
            host["time_ns"] = ht;
            host["cpu_utilization"] = hcpu;
            host["memory_total_bytes"] = htotal;
            host["memory_available_bytes"] = havail;
            process["time_ns"] = pt;
            process["pid"] = ppid;
            process["cpu_cores"] = pcpu;
            process["rss_bytes"] = prss;
            return py::make_tuple(host, process);
          },
          py::arg("pid"), "Host and per-process metric steps as columns (pid < 0: all).");

  m.def(
      "from_folded",
      [](const std::string& text) {
        Window window;
        check(formats::read_collapsed(text, window));
        return make(std::move(window), false);
      },
      py::arg("text"), "A profile from collapsed stacks (flamegraph.pl's input).");
  m.def(
      "from_pprof",
      [](const py::bytes& data) {
        Window window;
        std::string_view bytes = data;
        check(formats::read_pprof(bytes, window));
        return make(std::move(window));
      },
      py::arg("data"), "A profile from pprof bytes (gzip-compressed or not).");
}

}  // namespace ember::python
