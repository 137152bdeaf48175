// The labels a person picks processes by: container name (runtime state
// files, else the container's HOSTNAME), Kubernetes pod name (the same state
// files, else HOSTNAME, which Kubernetes sets to it) and service (the config's
// [[service]] rules, first match wins; else OTEL_SERVICE_NAME or DD_SERVICE
// from the process' environment). Container id and pod uid come from the
// cgroup path (container_id.hpp) before this runs.
#pragma once

#include <cstdint>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "container_names.hpp"
#include "ember/window.hpp"

namespace ember {

class ServiceRules {
 public:
  // Rules whose regexes do not compile are skipped (the config loader
  // rejects them first).
  explicit ServiceRules(const std::vector<ServiceRule>& rules);

  // The first rule whose every given regex matches (regex_search), or "".
  // match_container matches the container name or id.
  std::string service_of(const ProcessInfo& info) const;

 private:
  struct Compiled {
    std::string name;
    std::vector<std::pair<int, std::regex>> matches;  // field, regex
  };
  std::vector<Compiled> rules_;
};

// The value of `name` in /proc/PID/environ text (NUL-separated "K=V"), or "".
std::string environment_value(std::string_view environ, std::string_view name);

class ProcessLabeler {
 public:
  explicit ProcessLabeler(const Config& config, std::string proc_root = "/proc");

  // Sets info.container_name, info.pod_name and info.service.
  // /proc/PID/environ is read only when a label needs it: a container or pod
  // without a state file (its HOSTNAME), or no [[service]] rule matched
  // (OTEL_SERVICE_NAME, DD_SERVICE).
  void label(ProcessInfo& info);

  // How many environ files label() has read (for tests).
  std::uint64_t environ_reads() const { return environ_reads_; }

 private:
  ContainerNames names_;
  ServiceRules rules_;
  std::string proc_root_;
  std::uint64_t environ_reads_ = 0;
  std::string host_name_;  // the agent's: a hostNetwork pod's HOSTNAME
};

}  // namespace ember
