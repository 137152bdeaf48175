#include "store_path.hpp"

#include <filesystem>
#include <variant>

namespace ember::cli {

Status load_default_config(const std::string& config_path, Config& out, bool& loaded) {
  std::error_code error;
  std::string path = config_path;
  if (path.empty() && std::filesystem::exists(kDefaultConfig, error)) path = kDefaultConfig;
  loaded = false;
  if (path.empty()) return Status::ok();
  Status read = load_config_file(path, out);
  loaded = read.is_ok();
  return read;
}

std::string store_of_config(const Config& config) {
  auto sink = config.sinks.find("store");
  if (sink == config.sinks.end()) return "";
  auto option = sink->second.options.find("path");
  if (option == sink->second.options.end()) return "";
  auto* text = std::get_if<std::string>(&option->second.value);
  return text ? *text : "";
}

Status resolve_store_path(const std::string& store_flag, const std::string& config_path,
                          std::string& out) {
  out = store_flag;
  if (!out.empty()) return Status::ok();
  Config config;
  bool loaded = false;
  Status read = load_default_config(config_path, config, loaded);
  if (!read) return read;
  if (loaded) out = store_of_config(config);
  if (out.empty()) out = kDefaultStore;
  return Status::ok();
}

}  // namespace ember::cli
