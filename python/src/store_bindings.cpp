// _ember.StoreHandle: the local store, read-only, through StoreReader and the
// range and filter code `ember report` runs.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "report.hpp"
#include "store_reader.hpp"

namespace ember::python {
namespace {

struct StoreHandle {
  std::unique_ptr<store::StoreReader> reader;
};

}  // namespace

void bind_store(py::module_& m) {
  py::class_<StoreHandle>(m, "StoreHandle", "An open store; wrapped by ember.Store.")
      .def_static(
          "open",
          [](const std::string& path) {
            StoreHandle handle;
            check(store::StoreReader::open(path, handle.reader));
            return handle;
          },
          py::arg("path"), "Opens the store read-only; ValueError says what is wrong.")
      .def(
          "summary",
          [](const StoreHandle& s) {
            store::StoreSummary summary = s.reader->summary();
            py::dict out;
            out["first_ns"] = summary.first_ns;
            out["last_ns"] = summary.last_ns;
            out["windows"] = summary.windows;
            out["hosts"] = summary.hosts;
            out["services"] = summary.services;
            out["processes"] = summary.processes;
            out["kinds"] = summary.kinds;
            return out;
          },
          "first_ns, last_ns, windows, hosts, services, processes (comms), kinds.")
      .def(
          "resolve_range",
          [](const StoreHandle& s, const std::string& from, const std::string& to,
             std::int64_t now_ns) {
            report::TimeRange range;
            check(report::resolve_range(s.reader->summary(), from, to, now_ns, range));
            return py::make_tuple(range.from_ns, range.to_ns);
          },
          py::arg("start"), py::arg("end"), py::arg("now_ns"),
          "`ember report --from/--to` texts as (from_ns, to_ns); empty: the store's span.")
      .def(
          "read",
          [](const StoreHandle& s, std::int64_t from_ns, std::int64_t to_ns,
             std::vector<std::uint32_t> pids, std::vector<std::string> processes,
             std::vector<std::string> containers, std::vector<std::string> services,
             std::vector<std::string> pods, const std::vector<std::string>& kinds) {
            report::ReportFilter filter =
                make_filter(std::move(pids), std::move(processes), std::move(containers),
                            std::move(services), std::move(pods), kinds);
            Window window;
            Status read = Status::ok();
            {
              py::gil_scoped_release release;
              read = report::read_report_window(*s.reader, s.reader->summary(),
                                                report::TimeRange{from_ns, to_ns}, filter,
                                                window);
            }
            check(read);
            return ProfileData{std::make_shared<const Window>(std::move(window)), true};
          },
          py::arg("from_ns"), py::arg("to_ns"), py::arg("pids"), py::arg("processes"),
          py::arg("containers"), py::arg("services"), py::arg("pods"), py::arg("kinds"),
          "The range's samples the filter keeps, checked and merged as `ember report` does.")
      .def(
          "read_all",
          [](const StoreHandle& s, std::int64_t from_ns, std::int64_t to_ns) {
            Window window;
            Status read = Status::ok();
            {
              py::gil_scoped_release release;
              read = s.reader->read(from_ns, to_ns, window);
            }
            check(read);
            return ProfileData{std::make_shared<const Window>(std::move(window)), true};
          },
          py::arg("from_ns"), py::arg("to_ns"),
          "Every window of the range merged, unchecked (processes, metrics).")
      .def(
          "windows",
          [](const StoreHandle& s, std::int64_t from_ns, std::int64_t to_ns) {
            std::vector<store::WindowSpan> spans;
            check(s.reader->windows(from_ns, to_ns, spans));
            std::vector<std::pair<std::int64_t, std::int64_t>> out;
            for (const auto& w : spans) out.emplace_back(w.start_ns, w.end_ns);
            return out;
          },
          py::arg("from_ns"), py::arg("to_ns"), "(start_ns, end_ns) of each stored window.");
}

}  // namespace ember::python
