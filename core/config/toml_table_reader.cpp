#include "toml_table_reader.hpp"

namespace ember::config_detail {

std::string where_of(const toml::source_region& region) {
  std::string file = region.path ? *region.path : std::string("<config>");
  return file + ":" + std::to_string(region.begin.line) + ":" + std::to_string(region.begin.column);
}

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

void Errors::add(const toml::source_region& region, const std::string& key,
                 const std::string& what) {
  if (!first_.empty()) return;
  first_ = where_of(region) + ": " + key + ": " + what;
}

const toml::node* TableReader::take(const std::string& key) {
  read_.insert(key);
  return table_.get(key);
}

void TableReader::read_bool(const std::string& key, bool& out) {
  const toml::node* node = take(key);
  if (!node) return;
  if (auto value = node->value_exact<bool>()) {
    out = *value;
  } else {
    fail(key, "expected true or false, got " + type_name(*node));
  }
}

void TableReader::read_string(const std::string& key, std::string& out) {
  const toml::node* node = take(key);
  if (!node) return;
  if (auto value = node->value_exact<std::string>()) {
    if (holds_nul(*node, key)) return;
    out = *value;
  } else {
    fail(key, "expected a string, got " + type_name(*node));
  }
}

void TableReader::read_uint32(const std::string& key, std::uint32_t& out, std::int64_t min,
                              std::int64_t max) {
  const toml::node* node = take(key);
  if (!node) return;
  auto value = node->value_exact<std::int64_t>();
  if (!value) {
    fail(key, "expected an integer, got " + type_name(*node));
  } else if (*value < min || *value > max) {
    fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                  std::to_string(*value));
  } else {
    out = static_cast<std::uint32_t>(*value);
  }
}

void TableReader::read_strings(const std::string& key, std::vector<std::string>& out) {
  const toml::node* node = take(key);
  if (!node) return;
  const toml::array* array = node->as_array();
  if (!array) {
    fail(key, "expected an array of strings, got " + type_name(*node));
    return;
  }
  std::vector<std::string> values;
  for (const toml::node& element : *array) {
    auto value = element.value_exact<std::string>();
    if (!value) {
      fail_at(element, key, "expected an array of strings, found " + type_name(element));
      return;
    }
    if (holds_nul(element, key)) return;
    values.push_back(*value);
  }
  out = std::move(values);
}

bool TableReader::holds_nul(const toml::node& node, const std::string& key) {
  auto value = node.value_exact<std::string>();
  if (!value || value->find('\0') == std::string::npos) return false;
  // A path "/var/lib/ember\u0000x" would silently become "/var/lib/ember".
  fail_at(node, key, "holds a NUL character (\\u0000): no path or name can");
  return true;
}

void TableReader::fail(const std::string& key, const std::string& what) {
  errors_.add(region_of(key), qualified(key), what);
}

void TableReader::fail_at(const toml::node& node, const std::string& key, const std::string& what) {
  errors_.add(node.source(), qualified(key), what);
}

std::string TableReader::where(const std::string& key) const { return where_of(region_of(key)); }

void TableReader::finish() {
  for (const auto& [key, node] : table_) {
    std::string name(key.str());
    if (!read_.count(name)) fail(name, "unknown key");
  }
}

const toml::source_region& TableReader::region_of(const std::string& key) const {
  auto it = table_.find(key);
  return it != table_.end() ? it->first.source() : table_.source();
}

}  // namespace ember::config_detail
