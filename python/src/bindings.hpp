// The C++ side of `ember._ember`: thin wrappers over the profile library
// (core/profile), so the Python package computes with the code `ember report`
// runs. Bulk work (tables, filters, columns) stays here: Python sees one call
// per operation, never one per frame.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ember/status.hpp"
#include "ember/window.hpp"
#include "report_filter.hpp"

namespace ember::python {

namespace py = pybind11;

// An immutable profile: a window shared between Profile objects.
struct ProfileData {
  std::shared_ptr<const Window> window;
  // False for a profile read from a format without processes (folded): its
  // folded text then has no process frame.
  bool has_processes = true;
};

// The keyword filters of Store.profile and Profile.filter, as `ember report`'s
// flags; a kind that cannot be one raises ValueError.
report::ReportFilter make_filter(std::vector<std::uint32_t> pids,
                                 std::vector<std::string> processes,
                                 std::vector<std::string> containers,
                                 std::vector<std::string> services, std::vector<std::string> pods,
                                 const std::vector<std::string>& kinds);

// Raises ValueError with the status' message when it failed.
void check(const Status& status);

void bind_profile(py::module_& m);
void bind_store(py::module_& m);

}  // namespace ember::python
