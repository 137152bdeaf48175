// Reads one TOML table key by key, so every config mistake is reported the same
// way: "ember.toml:12:1: sampler.frequency_hz: must be between 1 and 10000, got 0".
// Internal to the config loader.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace ember::config_detail {

// "file:line:col" of a node.
std::string where_of(const toml::source_region& region);

// "a string", "an integer", ... for "expected X, got Y" messages.
std::string type_name(const toml::node& node);

// Keeps the first error only: it is the one to fix first, and later ones are
// often its echoes.
class Errors {
 public:
  void add(const toml::source_region& region, const std::string& key, const std::string& what);
  bool empty() const { return first_.empty(); }
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

class TableReader {
 public:
  // `section` prefixes keys in messages ("sampler" gives "sampler.frequency_hz").
  TableReader(const toml::table& table, std::string section, Errors& errors)
      : table_(table), section_(std::move(section)), errors_(errors) {}

  // The node of `key` (marked as read), or nullptr when absent.
  const toml::node* take(const std::string& key);

  void read_bool(const std::string& key, bool& out);
  void read_string(const std::string& key, std::string& out);
  void read_uint32(const std::string& key, std::uint32_t& out, std::int64_t min, std::int64_t max);
  void read_strings(const std::string& key, std::vector<std::string>& out);

  // Reports an error about `key` at the key's position (the table's when absent).
  // A string value holding '\0' is an error (true): reported at `node`.
  bool holds_nul(const toml::node& node, const std::string& key);
  void fail(const std::string& key, const std::string& what);
  // Reports an error about one node under `key`, e.g. an array element.
  void fail_at(const toml::node& node, const std::string& key, const std::string& what);

  // The position of `key` ("file:line:col"), or of the table when absent.
  std::string where(const std::string& key) const;
  const std::string& section() const { return section_; }

  // Reports the first key that no read_* / take call asked for.
  void finish();

 private:
  const toml::source_region& region_of(const std::string& key) const;
  std::string qualified(const std::string& key) const {
    return section_.empty() ? key : section_ + "." + key;
  }

  const toml::table& table_;
  std::string section_;
  Errors& errors_;
  std::set<std::string> read_;
};

}  // namespace ember::config_detail
