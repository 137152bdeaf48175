#include "ingest_params.hpp"

#include <charconv>

namespace ember::server {
namespace {

constexpr std::size_t kMaxName = 1024;

bool whole_number(const std::string& text, std::int64_t min, std::int64_t max, std::int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size() && out >= min &&
         out <= max;
}

// "app{k=v,k2=v2}" or "app".
Status parse_name(const std::string& name, IngestParams& out) {
  const std::string form = " (expected APP or APP{host=HOST,key=value,...})";
  if (name.empty()) return Status::error("name is required" + form);
  if (name.size() > kMaxName) return Status::error("name is over 1024 bytes");
  const std::size_t brace = name.find('{');
  out.app = name.substr(0, brace);
  if (out.app.empty()) return Status::error("name '" + name + "' has no application" + form);
  if (brace == std::string::npos) return Status::ok();
  if (name.back() != '}') return Status::error("name '" + name + "' does not end with }" + form);
  std::string_view rest(name.data() + brace + 1, name.size() - brace - 2);
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view pair = rest.substr(0, comma);
    rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      return Status::error("name '" + name + "': label '" + std::string(pair) +
                           "' is not key=value" + form);
    }
    std::string key(pair.substr(0, equals)), value(pair.substr(equals + 1));
    if (key == "host") {
      if (!value.empty()) out.host = value;
    } else {
      out.labels.push_back(Label{key, value});
    }
  }
  return Status::ok();
}

}  // namespace

Status parse_ingest_params(const std::multimap<std::string, std::string>& query,
                           IngestParams& out) {
  IngestParams params;
  for (const char* key : {"name", "from", "until", "format", "sampleRate"}) {
    if (query.count(key) > 1) return Status::error(std::string(key) + " is given more than once");
  }
  auto value = [&](const char* key) -> std::string {
    auto it = query.find(key);
    return it == query.end() ? std::string() : it->second;
  };
  if (Status named = parse_name(value("name"), params); !named) return named;
  constexpr std::int64_t kMaxSeconds = 253402300799;  // 9999-12-31
  for (auto [key, field] : {std::pair{"from", &params.from_s}, {"until", &params.until_s}}) {
    const std::string text = value(key);
    if (!text.empty() && !whole_number(text, 0, kMaxSeconds, *field)) {
      return Status::error(std::string(key) + "='" + text.substr(0, 40) +
                           "' is not whole seconds since the epoch");
    }
  }
  if (params.from_s && params.until_s && params.until_s < params.from_s) {
    return Status::error("until is before from");
  }
  const std::string format = value("format");
  if (format == "pprof") {
    params.format = IngestFormat::pprof;
  } else if (format.empty() || format == "folded") {
    params.format = IngestFormat::folded;
  } else {
    return Status::error("format='" + format.substr(0, 40) + "' is neither pprof nor folded");
  }
  const std::string rate = value("sampleRate");
  std::int64_t hz = 0;
  if (!rate.empty()) {
    if (!whole_number(rate, 1, 1'000'000, hz)) {
      return Status::error("sampleRate='" + rate.substr(0, 40) + "' is not a rate in Hz (1-1000000)");
    }
    params.sample_rate = static_cast<std::uint32_t>(hz);
  }
  out = std::move(params);
  return Status::ok();
}

}  // namespace ember::server
