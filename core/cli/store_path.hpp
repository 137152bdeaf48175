// Where the commands that read the local store (`ember report`, `ember ui`)
// find it: --store, else [sink.store] path of --config, else of
// /etc/ember/ember.toml, else /var/lib/ember/ember.db.
#pragma once

#include <string>

#include "config/config.hpp"
#include "ember/status.hpp"

namespace ember::cli {

inline constexpr const char* kDefaultConfig = "/etc/ember/ember.toml";
inline constexpr const char* kDefaultStore = "/var/lib/ember/ember.db";

// The config of --config (or the default file, when it exists); `loaded` is
// false when there is none. Errors are the config's.
Status load_default_config(const std::string& config_path, Config& out, bool& loaded);

// [sink.store] path of `config`, or empty.
std::string store_of_config(const Config& config);

// The store path from --store and --config as above.
Status resolve_store_path(const std::string& store_flag, const std::string& config_path,
                          std::string& out);

}  // namespace ember::cli
