#include "bindings.hpp"

namespace ember::python {

void check(const Status& status) {
  if (!status) throw py::value_error(status.message());
}

report::ReportFilter make_filter(std::vector<std::uint32_t> pids,
                                 std::vector<std::string> processes,
                                 std::vector<std::string> containers,
                                 std::vector<std::string> services, std::vector<std::string> pods,
                                 const std::vector<std::string>& kinds) {
  report::ReportFilter filter;
  filter.pids = std::move(pids);
  filter.processes = std::move(processes);
  filter.containers = std::move(containers);
  filter.services = std::move(services);
  filter.pods = std::move(pods);
  for (const std::string& kind : kinds) {
    std::string parsed;
    check(report::parse_kind(kind, parsed));
    filter.kinds.push_back(parsed);
  }
  return filter;
}

}  // namespace ember::python

PYBIND11_MODULE(_ember, m) {
  m.doc() = "The C++ core of the ember package (profile library bindings); use `ember`.";
  ember::python::bind_profile(m);
  ember::python::bind_store(m);
}
