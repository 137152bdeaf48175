#include "plugin_loader.hpp"

#include <algorithm>
#include <filesystem>

#include "abi_check.hpp"
#include "install_layout.hpp"
#include "plugin_file_trust.hpp"

namespace ember {

namespace {

std::string version_text(std::uint32_t major, std::uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

// The minor and fingerprint, read once the major matched.
Status check_abi_stamp(const std::string& path, const boost::dll::shared_library& library,
                       const AbiStamp& host, AbiStamp& out) {
  if (!library.has("ember_abi_stamp")) {
    return Status::error("plugin " + path + ": exports ember_abi_version " +
                         std::to_string(host.major) +
                         " but no ember_abi_stamp; rebuild it with EMBER_RUNTIME_PLUGIN or "
                         "EMBER_SINK_PLUGIN from this SDK");
  }
  const auto& stamp = library.get_alias<const AbiStamp>("ember_abi_stamp");
  if (stamp.size < kAbiStampMinimumSize || stamp.major != host.major) {
    return Status::error("plugin " + path + ": its ember_abi_stamp (size " +
                         std::to_string(stamp.size) + ", major " + std::to_string(stamp.major) +
                         ") contradicts its ember_abi_version " + std::to_string(host.major) +
                         "; rebuild the plugin against this SDK");
  }
  if (stamp.minor > host.minor) {
    return Status::error("plugin " + path + ": built for ember plugin ABI version " +
                         version_text(stamp.major, stamp.minor) +
                         ", this ember supports version " + version_text(host.major, host.minor) +
                         " (plugins built for " + version_text(host.major, 0) + " to " +
                         version_text(host.major, host.minor) +
                         "); upgrade ember or rebuild the plugin against this SDK");
  }
  if (std::string why = abi_fingerprint_mismatch(stamp, host); !why.empty()) {
    return Status::error("plugin " + path + ": built with " + abi_fingerprint_text(stamp) +
                         ", this ember with " + abi_fingerprint_text(host) + ": " + why +
                         "; rebuild the plugin with the toolchain and Boost ember was built with");
  }
  out = stamp;
  return Status::ok();
}

}  // namespace

Status load_plugin_library(const std::string& path, LoadedLibrary& out, const AbiStamp& host) {
  auto library = std::make_shared<boost::dll::shared_library>();
  boost::dll::fs::error_code error;
  // RTLD_LOCAL: two plugins may carry the same helper symbols without clashing.
  library->load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, error);
  if (error) return Status::error("plugin " + path + ": cannot load: " + error.message());

  if (!library->has("ember_abi_version")) {
    return Status::error("plugin " + path +
                         ": not an ember plugin (it does not export ember_abi_version; was it "
                         "built with EMBER_RUNTIME_PLUGIN or EMBER_SINK_PLUGIN?)");
  }
  // The major first, as every ember since ABI 1 reads it: in another major,
  // nothing else may be where we expect it.
  std::uint32_t version = library->get_alias<const std::uint32_t>("ember_abi_version");
  if (version != host.major) {
    return Status::error("plugin " + path + ": built for ember plugin ABI version " +
                         std::to_string(version) + ", this ember supports version " +
                         version_text(host.major, host.minor) +
                         "; rebuild the plugin against this SDK");
  }
  AbiStamp stamp{};
  if (Status status = check_abi_stamp(path, *library, host, stamp); !status) return status;
  if (!library->has("ember_plugin")) {
    return Status::error("plugin " + path +
                         ": exports ember_abi_version but no ember_plugin "
                         "descriptor");
  }
  const auto& descriptor = library->get_alias<const PluginDescriptor>("ember_plugin");
  bool complete = descriptor.name && *descriptor.name &&
                  ((descriptor.type == PluginType::runtime && descriptor.create_runtime) ||
                   (descriptor.type == PluginType::sink && descriptor.create_sink));
  if (!complete) {
    return Status::error("plugin " + path + ": its descriptor has no name or no factory");
  }
  out.path = path;
  out.library = std::move(library);
  out.descriptor = &descriptor;
  out.abi = stamp;
  return Status::ok();
}

const char* plugin_type_name(PluginType type) {
  return type == PluginType::runtime ? "runtime" : "sink";
}

std::string plugin_file_name(PluginType type, const std::string& name) {
  return std::string("ember_") + plugin_type_name(type) + "_" + name + ".so";
}

std::string find_plugin_file(const std::vector<std::string>& directories, PluginType type,
                             const std::string& name) {
  const std::string file = plugin_file_name(type, name);
  for (const std::string& directory : directories) {
    std::error_code error;
    std::filesystem::path path = std::filesystem::path(directory) / file;
    if (std::filesystem::exists(path, error)) return path.string();
  }
  return {};
}

std::vector<std::string> plugin_names_in(const std::vector<std::string>& directories,
                                         PluginType type) {
  const std::string prefix = plugin_file_name(type, "");
  const std::string head = prefix.substr(0, prefix.size() - 3);  // "ember_runtime_"
  std::vector<std::string> names;
  for (const std::string& directory : directories) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
      const std::string file = entry.path().filename().string();
      if (file.size() > prefix.size() && file.starts_with(head) && file.ends_with(".so")) {
        names.push_back(file.substr(head.size(), file.size() - prefix.size()));
      }
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

Status load_enabled_plugin(const std::string& path, PluginType type, const std::string& name,
                           LoadedLibrary& out, const std::string& checker) {
  if (Status trusted = check_plugin_file_chain_trusted(path); !trusted) return trusted;
  if (Status tried = trial_load_plugin(path, checker); !tried) return tried;
  LoadedLibrary library;
  if (Status loaded = load_plugin_library(path, library); !loaded) return loaded;
  if (library.descriptor->type != type || name != library.descriptor->name) {
    return Status::error("plugin " + path + ": holds the " +
                         (library.descriptor->type == PluginType::runtime ? "runtime" : "sink") +
                         " plugin '" + library.descriptor->name + "', not the one its file name says (" +
                         plugin_file_name(type, name) + "); rename the file after the plugin");
  }
  out = std::move(library);
  return Status::ok();
}

namespace {

// One spelling per directory: symlinks resolved where it exists, "." and a
// trailing "/" gone.
std::filesystem::path directory_identity(const std::string& directory) {
  std::error_code error;
  std::filesystem::path path = std::filesystem::weakly_canonical(directory, error);
  if (error) path = std::filesystem::path(directory).lexically_normal();
  if (!path.has_filename() && path.has_parent_path()) path = path.parent_path();
  return path;
}

}  // namespace

std::vector<std::string> plugin_directories(const std::vector<std::string>& configured,
                                            const std::string& built_in) {
  std::vector<std::string> directories{built_in};
  std::vector<std::filesystem::path> seen{directory_identity(built_in)};
  for (const std::string& directory : configured) {
    std::filesystem::path identity = directory_identity(directory);
    if (std::find(seen.begin(), seen.end(), identity) != seen.end()) continue;
    seen.push_back(identity);
    directories.push_back(directory);
  }
  return directories;
}

std::string default_plugin_directory() {
  return ember_lib_path("plugins");
}

}  // namespace ember
