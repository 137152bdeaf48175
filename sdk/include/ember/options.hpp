// A plugin's section of the config file, as plain values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace ember {

using OptionValue =
    std::variant<bool, std::int64_t, double, std::string, std::vector<std::string>>;

struct Option {
  OptionValue value;
  std::string where;  // "ember.toml:12:3" or "--output": for error messages
};

// Keys of the plugin's table, e.g. [sink.files] directory = "..." gives
// {"directory": ...}. Plugins reject keys they do not know (see Status).
using Options = std::map<std::string, Option>;

}  // namespace ember
