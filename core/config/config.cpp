// The config loader: TOML text -> Config, with every mistake reported as
// "file:line:col: key: what is wrong".
#include "config.hpp"

#include <grp.h>
#include <toml++/toml.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <system_error>

#include "ember/bpf/sample.h"
#include "listen_address.hpp"
#include "toml_table_reader.hpp"

namespace ember {
namespace {

using config_detail::Errors;
using config_detail::TableReader;
using config_detail::type_name;

constexpr std::int64_t kMaxPid = 4194304;  // PID_MAX_LIMIT on 64-bit kernels

// The table under `key`, or nullptr (absent, or not a table: reported).
const toml::table* take_table(TableReader& parent, const std::string& key) {
  const toml::node* node = parent.take(key);
  if (!node) return nullptr;
  if (const toml::table* table = node->as_table()) return table;
  std::string path = parent.section().empty() ? key : parent.section() + "." + key;
  parent.fail(key, "expected a table ([" + path + "]), got " + type_name(*node));
  return nullptr;
}

// The id of group `name`, or nothing when this host has no such group.
std::optional<std::uint32_t> group_id_of(const std::string& name) {
  std::vector<char> buffer(16384);
  struct group entry {};
  struct group* found = nullptr;
  while (getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) == ERANGE) {
    buffer.resize(buffer.size() * 2);
  }
  if (!found) return std::nullopt;
  return static_cast<std::uint32_t>(found->gr_gid);
}

bool is_power_of_two(std::uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

void read_agent(const toml::table& table, Errors& errors, Config& out) {
  TableReader reader(table, "agent", errors);
  reader.read_strings("plugin_dirs", out.plugin_dirs);
  reader.read_string("log_level", out.log_level);
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "off"};
  if (!kLevels.count(out.log_level)) {
    reader.fail("log_level", "must be one of trace, debug, info, warn, error, off, got \"" +
                                 out.log_level + "\"");
  }
  reader.read_string("log_format", out.log_format);
  if (out.log_format != "text" && out.log_format != "json") {
    reader.fail("log_format", "must be \"text\" or \"json\", got \"" + out.log_format + "\"");
  }
  reader.read_string("group", out.group);
  if (!out.group.empty()) {
    if (auto id = group_id_of(out.group)) {
      out.group_id = *id;
    } else {
      reader.fail("group", "no group named \"" + out.group + "\" on this host");
    }
  }
  reader.read_string("priority", out.priority);
  if (out.priority != "realtime" && out.priority != "high" && out.priority != "normal") {
    reader.fail("priority", "must be \"realtime\", \"high\" or \"normal\", got \"" +
                                out.priority + "\"");
  }
  reader.read_uint32("window_seconds", out.window_seconds, 1, 3600);
  reader.read_uint32("max_window_mb", out.max_window_mb, 0, 4096);
  reader.read_uint32("metrics_interval_ms", out.metrics_interval_ms, 0, 3600000);
  if (out.metrics_interval_ms != 0 && out.metrics_interval_ms < 100) {
    reader.fail("metrics_interval_ms", "must be 0 (no metrics) or between 100 and 3600000, got " +
                                           std::to_string(out.metrics_interval_ms));
  }
  reader.finish();
}

void read_sampler(const toml::table& table, Errors& errors, Config& out) {
  TableReader reader(table, "sampler", errors);
  reader.read_string("event", out.event);
  if (out.event != "cpu-clock" && out.event != "cycles") {
    reader.fail("event", "must be \"cpu-clock\" or \"cycles\", got \"" + out.event + "\"");
  }
  reader.read_uint32("frequency_hz", out.frequency_hz, 1, 10000);
  reader.read_uint32("ring_buffer_kib", out.ring_buffer_kib, 64, 1048576);
  if (!is_power_of_two(out.ring_buffer_kib)) {
    reader.fail("ring_buffer_kib", "must be a power of two (64, 128, ... 1048576), got " +
                                       std::to_string(out.ring_buffer_kib));
  }
  reader.read_uint32("stack_snapshot_bytes", out.stack_snapshot_bytes, 0, EMBER_MAX_STACK_SNAPSHOT);
  reader.read_uint32("leaf_snapshot_bytes", out.leaf_snapshot_bytes, 0, 4096);
  reader.finish();
}

void read_pids(TableReader& reader, std::vector<std::uint32_t>& out) {
  const toml::node* node = reader.take("pids");
  if (!node) return;
  const toml::array* array = node->as_array();
  if (!array) {
    reader.fail("pids", "expected an array of process ids, got " + type_name(*node));
    return;
  }
  for (const toml::node& element : *array) {
    auto pid = element.value_exact<std::int64_t>();
    if (!pid) {
      reader.fail_at(element, "pids",
                     "expected process ids (integers), found " + type_name(element));
      return;
    }
    if (*pid < 1 || *pid > kMaxPid) {
      reader.fail_at(
          element, "pids",
          "must be between 1 and " + std::to_string(kMaxPid) + ", got " + std::to_string(*pid));
      return;
    }
    out.push_back(static_cast<std::uint32_t>(*pid));
  }
}

// Compiles each pattern once so a bad one fails at startup, not at first match.
void check_regexes(TableReader& reader, const std::string& key,
                   const std::vector<std::string>& patterns) {
  const toml::node* node = reader.take(key);
  const toml::array* array = node ? node->as_array() : nullptr;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    try {
      std::regex compiled(patterns[i], std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      std::string what = "invalid regex \"" + patterns[i] + "\": " + e.what();
      if (array && i < array->size()) {
        reader.fail_at(*array->get(i), key, what);
      } else {
        reader.fail(key, what);
      }
      return;
    }
  }
}

void read_processes(const toml::table& table, Errors& errors, Config& out) {
  TableReader reader(table, "processes", errors);
  read_pids(reader, out.pids);
  reader.read_strings("include", out.include);
  check_regexes(reader, "include", out.include);
  reader.read_strings("exclude", out.exclude);
  check_regexes(reader, "exclude", out.exclude);
  reader.finish();
}

void read_containers(const toml::table& table, Errors& errors, Config& out) {
  TableReader reader(table, "containers", errors);
  reader.read_string("state_root", out.container_state_root);
  if (out.container_state_root.empty() || out.container_state_root[0] != '/') {
    reader.fail("state_root", "must be an absolute path, got \"" + out.container_state_root + "\"");
  }
  reader.finish();
}

void read_ui(const toml::table& table, Errors& errors, Config& out) {
  TableReader reader(table, "ui", errors);
  reader.read_bool("enabled", out.ui_enabled);
  reader.read_string("listen", out.ui_listen);
  ListenAddress address;
  Status parsed = parse_listen_address(out.ui_listen, address);
  if (!parsed) reader.fail("listen", parsed.message());
  reader.finish();
}

// One regex of a [[service]] rule: compiled now so a bad one fails at load.
void read_match(TableReader& reader, const std::string& key, std::string& out) {
  reader.read_string(key, out);
  if (out.empty()) return;
  try {
    std::regex compiled(out, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    reader.fail(key, "invalid regex \"" + out + "\": " + e.what());
  }
}

void read_services(TableReader& root, Errors& errors, Config& out) {
  const toml::node* node = root.take("service");
  if (!node) return;
  const toml::array* array = node->as_array();
  if (!array) {
    root.fail("service", "expected [[service]] tables, got " + type_name(*node));
    return;
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::table* table = array->get(i)->as_table();
    if (!table) {
      root.fail_at(*array->get(i), "service",
                   "expected [[service]] tables, got " + type_name(*array->get(i)));
      return;
    }
    ServiceRule rule;
    rule.where = config_detail::where_of(table->source());
    TableReader reader(*table, "service[" + std::to_string(i) + "]", errors);
    reader.read_string("name", rule.name);
    if (rule.name.empty()) reader.fail("name", "every [[service]] needs a non-empty name");
    read_match(reader, "match_exe", rule.match_exe);
    read_match(reader, "match_cmdline", rule.match_cmdline);
    read_match(reader, "match_container", rule.match_container);
    if (rule.match_exe.empty() && rule.match_cmdline.empty() && rule.match_container.empty()) {
      reader.fail("name", "service \"" + rule.name +
                              "\" matches nothing: give match_exe, match_cmdline or "
                              "match_container");
    }
    reader.finish();
    out.services.push_back(std::move(rule));
  }
}

// A plugin option: the plain value types Options can hold.
bool to_option_value(const toml::node& node, TableReader& reader, const std::string& key,
                     OptionValue& out) {
  if (auto v = node.value_exact<std::string>()) {
    if (reader.holds_nul(node, key)) return false;
    out = *v;
  } else if (auto i = node.value_exact<std::int64_t>()) {
    out = *i;
  } else if (auto d = node.value_exact<double>()) {
    out = *d;
  } else if (auto b = node.value_exact<bool>()) {
    out = *b;
  } else if (const toml::array* array = node.as_array()) {
    std::vector<std::string> strings;
    for (const toml::node& element : *array) {
      auto s = element.value_exact<std::string>();
      if (!s) {
        reader.fail_at(element, key,
                       "arrays in plugin options hold strings only, found " + type_name(element));
        return false;
      }
      if (reader.holds_nul(element, key)) return false;
      strings.push_back(*s);
    }
    out = std::move(strings);
  } else {
    reader.fail(key, "unsupported value: " + type_name(node) +
                         " (plugin options are strings, integers, floats, booleans or arrays of "
                         "strings)");
    return false;
  }
  return true;
}

bool is_plugin_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// [runtime.<name>] / [sink.<name>]: `enabled` and `required` are the host's
// (and a sink's queue_windows, queue_mb and flush_timeout_seconds), every other key is
// passed to the plugin, which rejects what it does not know.
void read_plugins(const toml::table& kind_table, const std::string& kind, Errors& errors,
                  std::map<std::string, PluginConfig>& out) {
  TableReader kinds(kind_table, kind, errors);
  for (const auto& [key, node] : kind_table) {
    std::string name(key.str());
    const toml::table* table = take_table(kinds, name);
    if (!table) continue;
    if (!is_plugin_name(name)) {
      kinds.fail(name, "plugin names use lowercase letters, digits, '_' and '-'");
      continue;
    }
    PluginConfig plugin;
    plugin.where = config_detail::where_of(table->source());
    TableReader reader(*table, kind + "." + name, errors);
    reader.read_bool("enabled", plugin.enabled);
    reader.read_bool("required", plugin.required);
    const bool sink = kind == "sink";
    if (sink) {
      reader.read_uint32("queue_windows", plugin.queue_windows, 1, 1024);
      reader.read_uint32("queue_mb", plugin.queue_mb, 1, 65536);
      reader.read_uint32("flush_timeout_seconds", plugin.flush_timeout_seconds, 1, 3600);
    }
    for (const auto& [option_key, option_node] : *table) {
      std::string option_name(option_key.str());
      if (option_name == "enabled" || option_name == "required") continue;
      if (sink && (option_name == "queue_windows" || option_name == "queue_mb" ||
                   option_name == "flush_timeout_seconds"))
        continue;
      reader.take(option_name);
      Option option;
      option.where = reader.where(option_name);
      if (to_option_value(option_node, reader, option_name, option.value)) {
        plugin.options.emplace(option_name, std::move(option));
      }
    }
    out[name] = std::move(plugin);
  }
}

void read_root(const toml::table& root, Errors& errors, Config& out) {
  TableReader reader(root, "", errors);
  if (const toml::table* t = take_table(reader, "agent")) read_agent(*t, errors, out);
  if (const toml::table* t = take_table(reader, "sampler")) read_sampler(*t, errors, out);
  if (const toml::table* t = take_table(reader, "processes")) read_processes(*t, errors, out);
  if (const toml::table* t = take_table(reader, "containers")) read_containers(*t, errors, out);
  read_services(reader, errors, out);
  if (const toml::table* t = take_table(reader, "ui")) read_ui(*t, errors, out);
  if (const toml::table* t = take_table(reader, "runtime")) {
    read_plugins(*t, "runtime", errors, out.runtimes);
  }
  if (const toml::table* t = take_table(reader, "sink"))
    read_plugins(*t, "sink", errors, out.sinks);
  reader.finish();
}

}  // namespace

Status parse_config(std::string_view text, const std::string& source_name, Config& out) {
  toml::table root;
  try {
    // The distribution's toml++ is built with exceptions (only toml::ex::parse
    // is exported), so parse errors arrive as toml::parse_error.
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    return Status::error(config_detail::where_of(e.source()) + ": " + std::string(e.description()));
  }
  Config config;
  config.source = source_name;
  Errors errors;
  read_root(root, errors, config);
  if (!errors.empty()) return Status::error(errors.first());
  out = std::move(config);
  return Status::ok();
}

Status load_config_file(const std::string& path, Config& out) {
  std::error_code type_error;
  if (std::filesystem::is_directory(path, type_error)) {
    return Status::error(path + ": cannot read the config file: it is a directory");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return Status::error(path + ": cannot read the config file: " +
                         std::error_code(errno, std::generic_category()).message());
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) {
    return Status::error(path + ": cannot read the config file: " +
                         std::error_code(errno, std::generic_category()).message());
  }
  return parse_config(text.str(), path, out);
}

}  // namespace ember
