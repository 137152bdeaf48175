#include "native_options.hpp"

#include "ember/option_reader.hpp"

namespace ember::native {

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
