#include "native_options.hpp"

#include <cstdlib>
#include <sstream>

#include "ember/option_reader.hpp"

namespace ember::native {
namespace {

constexpr const char* kUrlsKey = "debuginfod_urls";

// The key (a string as DEBUGINFOD_URLS takes it, or an array of URLs) when
// the section has it, else the environment variable when it is set.
void read_debuginfod_urls(const Options& options, OptionReader& reader, NativeOptions& read) {
  auto it = options.find(kUrlsKey);
  if (it == options.end()) {
    const char* env = std::getenv("DEBUGINFOD_URLS");
    read.debuginfod_urls = split_debuginfod_urls(env ? env : "");
    if (!read.debuginfod_urls.empty()) read.debuginfod_urls_from = "DEBUGINFOD_URLS";
    return;
  }
  std::vector<std::string> values;
  if (std::holds_alternative<std::string>(it->second.value)) {
    values.push_back(reader.get_string(kUrlsKey, ""));
  } else if (std::holds_alternative<std::vector<std::string>>(it->second.value)) {
    values = reader.get_strings(kUrlsKey, {});
  } else {
    reader.fail(kUrlsKey, "expected a string or an array of strings");
    reader.get_string(kUrlsKey, "");  // read: not also an unknown key
    return;
  }
  read.debuginfod_urls_from = kUrlsKey;
  for (const std::string& value : values) {
    for (std::string& url : split_debuginfod_urls(value)) {
      if (!url.starts_with("http://") && !url.starts_with("https://") &&
          !url.starts_with("file://")) {
        reader.fail(kUrlsKey, "\"" + url + "\" is not an http://, https:// or file:// URL");
      }
      read.debuginfod_urls.push_back(std::move(url));
    }
  }
  if (!read.debuginfod_urls.empty() && read.cache_dir.empty()) {
    reader.fail(kUrlsKey, "needs cache_dir: fetched debug files are kept there");
  }
}

}  // namespace

std::vector<std::string> split_debuginfod_urls(const std::string& value) {
  std::vector<std::string> urls;
  std::istringstream words(value);
  for (std::string url; words >> url;) urls.push_back(std::move(url));
  return urls;
}

Status read_native_options(const Options& options, NativeOptions& out) {
  OptionReader reader(options, "runtime.native");
  NativeOptions read;
  read.kallsyms_path = reader.get_string("kallsyms_path", read.kallsyms_path);
  read.cache_dir = reader.get_string("cache_dir", read.cache_dir);
  read.max_cache_bytes =
      static_cast<std::size_t>(reader.get_int(
          "max_cache_mb", static_cast<std::int64_t>(read.max_cache_bytes >> 20), 0, 1 << 20))
      << 20;
  read.maps_refresh_interval = std::chrono::milliseconds(
      reader.get_int("maps_refresh_interval_ms", read.maps_refresh_interval.count(), 0, 3'600'000));
  read.max_cached_frames = static_cast<std::size_t>(reader.get_int(
      "max_cached_frames", static_cast<std::int64_t>(read.max_cached_frames), 16, 1 << 26));
  read.demangle = reader.get_bool("demangle", read.demangle);
  std::string snapshot = reader.get_string("stack_snapshot", "auto");
  if (Status mode = parse_snapshot_mode(snapshot, read.stack_snapshot); !mode) {
    reader.fail("stack_snapshot", mode.message());
  }
  read.lines = reader.get_bool("lines", read.lines);
  read.debug_dirs = reader.get_strings("debug_dirs", read.debug_dirs);
  read.max_debug_info_bytes =
      static_cast<std::size_t>(
          reader.get_int("max_debug_info_mb",
                         static_cast<std::int64_t>(read.max_debug_info_bytes >> 20), 8, 65536))
      << 20;
  read.max_open_debug_files = static_cast<std::size_t>(reader.get_int(
      "max_open_debug_files", static_cast<std::int64_t>(read.max_open_debug_files), 1, 1024));
  read.debug_file_idle_close = std::chrono::seconds(reader.get_int(
      "debug_file_idle_close_s", read.debug_file_idle_close.count(), 0, 86'400));
  read_debuginfod_urls(options, reader, read);
  read.max_debuginfod_cache_bytes =
      static_cast<std::uint64_t>(reader.get_int(
          "debuginfod_cache_mb", static_cast<std::int64_t>(read.max_debuginfod_cache_bytes >> 20),
          1, 1 << 20))
      << 20;
  for (const std::string& dir : read.debug_dirs) {
    if (!dir.starts_with("/")) reader.fail("debug_dirs", "\"" + dir + "\" is not an absolute path");
  }
  if (!read.cache_dir.empty() && !read.cache_dir.starts_with("/")) {
    reader.fail("cache_dir", "\"" + read.cache_dir + "\" is not an absolute path");
  }
  if (read.kallsyms_path.empty()) reader.fail("kallsyms_path", "must not be empty");
  Status status = reader.finish();
  if (status) out = std::move(read);
  return status;
}

}  // namespace ember::native
