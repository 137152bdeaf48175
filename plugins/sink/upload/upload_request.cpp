#include "upload_request.hpp"

#include "http_post.hpp"
#include "pprof_writer.hpp"

namespace ember::upload_sink {

std::string spool_entry(const Window& window, const std::string& app_name) {
  constexpr std::int64_t kSecond = 1'000'000'000;
  // Pyroscope's times are whole seconds: from rounds down, until up.
  const std::int64_t from = window.start_ns / kSecond;
  const std::int64_t until = (window.end_ns + kSecond - 1) / kSecond;
  std::string host = window.host.empty() ? "unknown" : window.host;
  std::string entry = "name=" + url_escape(app_name + "{host=" + host + "}") +
                      "&from=" + std::to_string(from) + "&until=" + std::to_string(until) +
                      "&format=pprof&sampleRate=" + std::to_string(window.frequency_hz) +
                      "&spyName=ember&units=samples&aggregationType=sum\n";
  entry += formats::pprof_gzip(window, formats::PprofOptions{.metrics = true});
  return entry;
}

bool split_entry(std::string_view entry, std::string_view& query, std::string_view& body) {
  const std::size_t newline = entry.find('\n');
  if (newline == std::string_view::npos || newline == 0) return false;
  query = entry.substr(0, newline);
  body = entry.substr(newline + 1);
  return true;
}

}  // namespace ember::upload_sink
