#include "process_labels.hpp"

#include <unistd.h>

#include "ember/text_file.hpp"

namespace ember {
namespace {

enum Field { kExe, kCmdline, kContainer };

// Service variables of the common tracing SDKs, in order of preference.
constexpr std::string_view kServiceVariables[] = {"OTEL_SERVICE_NAME", "DD_SERVICE"};

}  // namespace

ServiceRules::ServiceRules(const std::vector<ServiceRule>& rules) {
  for (const ServiceRule& rule : rules) {
    Compiled compiled;
    compiled.name = rule.name;
    try {
      if (!rule.match_exe.empty()) compiled.matches.emplace_back(kExe, std::regex(rule.match_exe));
      if (!rule.match_cmdline.empty())
        compiled.matches.emplace_back(kCmdline, std::regex(rule.match_cmdline));
      if (!rule.match_container.empty())
        compiled.matches.emplace_back(kContainer, std::regex(rule.match_container));
    } catch (const std::regex_error&) {
      continue;
    }
    if (!compiled.matches.empty()) rules_.push_back(std::move(compiled));
  }
}

std::string ServiceRules::service_of(const ProcessInfo& info) const {
  for (const Compiled& rule : rules_) {
    bool all = true;
    for (const auto& [field, regex] : rule.matches) {
      switch (field) {
        case kExe:
          all = std::regex_search(info.exe, regex);
          break;
        case kCmdline:
          all = std::regex_search(info.cmdline, regex);
          break;
        default:
          // A process on the host is in no container: it cannot match.
          all = !info.container_id.empty() && (std::regex_search(info.container_name, regex) ||
                                               std::regex_search(info.container_id, regex));
      }
      if (!all) break;
    }
    if (all) return rule.name;
  }
  return {};
}

std::string environment_value(std::string_view environ, std::string_view name) {
  while (!environ.empty()) {
    std::size_t end = environ.find('\0');
    std::string_view entry = environ.substr(0, end);
    environ = end == std::string_view::npos ? std::string_view() : environ.substr(end + 1);
    if (entry.size() > name.size() && entry.substr(0, name.size()) == name &&
        entry[name.size()] == '=') {
      return std::string(entry.substr(name.size() + 1));
    }
  }
  return {};
}

ProcessLabeler::ProcessLabeler(const Config& config, std::string proc_root)
    : names_(config.container_state_root),
      rules_(config.services),
      proc_root_(std::move(proc_root)) {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) == 0) host_name_ = name;
}

void ProcessLabeler::label(ProcessInfo& info) {
  if (!info.container_id.empty()) info.container_name = names_.name_of(info.container_id);
  std::string environ;
  bool environ_read = false;
  auto variable = [&](std::string_view name) {
    if (!environ_read) {
      read_text_file(proc_root_ + "/" + std::to_string(info.pid) + "/environ", environ);
      environ_read = true;
      ++environ_reads_;
    }
    return environment_value(environ, name);
  };
  if (!info.container_id.empty() && info.container_name.empty()) {
    // Docker sets HOSTNAME to the id's first 12 digits (no name in that);
    // Kubernetes to the pod's name.
    std::string hostname = variable("HOSTNAME");
    if (info.container_id.rfind(hostname, 0) != 0) info.container_name = hostname;
  }
  if (!info.pod_uid.empty()) {
    info.pod_name = names_.pod_of(info.container_id);
    // Kubernetes sets HOSTNAME to the pod's name, but to the node's in a
    // hostNetwork pod: a name equal to this host's is not the pod's.
    if (info.pod_name.empty()) {
      std::string hostname = variable("HOSTNAME");
      if (hostname != host_name_) info.pod_name = hostname;
    }
  }
  info.service = rules_.service_of(info);
  for (std::string_view name : kServiceVariables) {
    if (!info.service.empty()) break;
    info.service = variable(name);
  }
}

}  // namespace ember
