#include "http_encoding.hpp"

#include <cstdlib>

#include "gzip.hpp"

namespace ember::ui {
namespace {

constexpr std::size_t kGzipFrom = 1024;  // smaller bodies gain nothing worth a header
constexpr int kFastestLevel = 1;

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_text(std::string_view content_type) {
  std::string_view type = trimmed(content_type.substr(0, content_type.find(';')));
  return type.starts_with("text/") || type == "application/json" ||
         type == "application/javascript" || type == "image/svg+xml";
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) {
  while (!accept_encoding.empty()) {
    std::size_t comma = accept_encoding.find(',');
    std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding = comma == std::string_view::npos ? "" : accept_encoding.substr(comma + 1);
    std::size_t semicolon = item.find(';');
    std::string_view name = trimmed(item.substr(0, semicolon));
    if (name != "gzip" && name != "*") continue;
    if (semicolon == std::string_view::npos) return true;
    std::string_view parameter = trimmed(item.substr(semicolon + 1));
    if (!parameter.starts_with("q=")) return true;
    std::string weight(parameter.substr(2));
    return std::strtod(weight.c_str(), nullptr) > 0;
  }
  return false;
}

std::optional<std::string> gzipped_body(std::string_view accept_encoding,
                                        std::string_view content_type, std::string_view body) {
  if (body.size() < kGzipFrom || !is_text(content_type) || !accepts_gzip(accept_encoding)) {
    return std::nullopt;
  }
  return formats::gzip(body, kFastestLevel);
}

}  // namespace ember::ui
