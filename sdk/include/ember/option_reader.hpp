// Reads a plugin's Options with type checks, defaults and unknown-key detection,
// so every plugin reports config mistakes the same way: "file:line:col: key: what".
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include "ember/options.hpp"
#include "ember/status.hpp"

namespace ember {

class OptionReader {
 public:
  // `section` prefixes keys in messages, e.g. "sink.files".
  OptionReader(const Options& options, std::string section)
      : options_(options), section_(std::move(section)) {}

  std::string get_string(const std::string& key, std::string fallback) {
    return get<std::string>(key, std::move(fallback), "a string");
  }
  bool get_bool(const std::string& key, bool fallback) {
    return get<bool>(key, fallback, "true or false");
  }
  std::vector<std::string> get_strings(const std::string& key, std::vector<std::string> fallback) {
    return get<std::vector<std::string>>(key, std::move(fallback), "an array of strings");
  }
  std::int64_t get_int(const std::string& key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max) {
    std::int64_t value = get<std::int64_t>(key, fallback, "an integer");
    if (value < min || value > max) {
      fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                    ", got " + std::to_string(value));
      return fallback;
    }
    return value;
  }

  // Records an error about `key` found by the plugin's own validation.
  void fail(const std::string& key, const std::string& what) {
    if (!error_.empty()) return;  // the first error is the one to fix first
    auto it = options_.find(key);
    std::string where = it != options_.end() && !it->second.where.empty() ? it->second.where + ": "
                                                                         : std::string();
    error_ = where + section_ + "." + key + ": " + what;
  }

  // The first error, or an unknown key; ok when every key was read.
  Status finish() {
    for (const auto& [key, option] : options_) {
      if (!read_.count(key)) fail(key, "unknown key");
    }
    return error_.empty() ? Status::ok() : Status::error(error_);
  }

 private:
  template <typename T>
  T get(const std::string& key, T fallback, const char* expected) {
    read_.insert(key);
    auto it = options_.find(key);
    if (it == options_.end()) return fallback;
    if (const T* value = std::get_if<T>(&it->second.value)) return *value;
    fail(key, std::string("expected ") + expected);
    return fallback;
  }

  const Options& options_;
  std::string section_;
  std::set<std::string> read_;
  std::string error_;
};

}  // namespace ember
