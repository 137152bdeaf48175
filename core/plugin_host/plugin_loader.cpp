#include "plugin_loader.hpp"

#include <algorithm>
#include <boost/dll/runtime_symbol_info.hpp>
#include <filesystem>

#include "abi_check.hpp"
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

std::vector<LoadedLibrary> load_plugin_directories(const std::vector<std::string>& directories,
                                                   std::vector<std::string>& errors,
                                                   const AbiStamp& host) {
  std::vector<LoadedLibrary> loaded;
  for (const std::string& directory : directories) {
    if (Status trusted = check_plugin_path_trusted(directory, "plugin directory"); !trusted) {
      errors.push_back(trusted.message());
      continue;
    }
    std::error_code error;
    std::vector<std::string> paths;
    for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
      if (entry.path().extension() == ".so") paths.push_back(entry.path().string());
    }
    if (error) {
      errors.push_back("plugin directory " + directory + ": " + error.message());
      continue;
    }
    std::sort(paths.begin(), paths.end());
    for (const std::string& path : paths) {
      if (Status trusted = check_plugin_path_trusted(path, "plugin"); !trusted) {
        errors.push_back(trusted.message());
        continue;
      }
      LoadedLibrary library;
      Status status = load_plugin_library(path, library, host);
      if (!status) {
        errors.push_back(status.message());
        continue;
      }
      auto same_name = [&](const LoadedLibrary& other) {
        return other.descriptor->type == library.descriptor->type &&
               std::string_view(other.descriptor->name) == library.descriptor->name;
      };
      auto duplicate = std::find_if(loaded.begin(), loaded.end(), same_name);
      if (duplicate != loaded.end()) {
        errors.push_back("plugin " + path + ": a plugin named '" + library.descriptor->name +
                         "' was already loaded from " + duplicate->path + "; ignoring this one");
        continue;
      }
      loaded.push_back(std::move(library));
    }
  }
  return loaded;
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
  auto binary_dir = boost::dll::program_location().parent_path();
  return (binary_dir.parent_path() / "lib" / "ember" / "plugins").string();
}

}  // namespace ember
