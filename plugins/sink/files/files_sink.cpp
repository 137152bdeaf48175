#include "files_sink.hpp"

#include <algorithm>
#include <exception>
#include <filesystem>

#include "ember/option_reader.hpp"
#include "ember/plugin.hpp"
#include "ember/private_files.hpp"
#include "made_private_message.hpp"
#include "option_units.hpp"
#include "output_file.hpp"
#include "runtime_view.hpp"
#include "speedscope_writer.hpp"
#include "utc_time.hpp"

namespace ember::files {

using namespace ember::formats;

namespace {

constexpr std::string_view kSection = "sink.files";

// Exceptions must not cross the plugin boundary: anything unexpected (a
// malformed window, out of memory) becomes an error Status.
template <typename F>
Status guarded(F&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return Status::error(std::string(kSection) + ": " + e.what());
  }
}

// Folded text straight from its lines to the file, never whole in memory.
Status write_lines(const std::string& path, const CollapsedLines& lines) {
  AtomicFile file(path);
  Status status = file.open();
  if (status) status = lines.write([&](std::string_view piece) { return file.write(piece); });
  if (status) status = file.commit();
  return status;
}

// Written as it is rendered: a busy window's JSON is tens of MB.
Status write_speedscope_file(const std::string& path, const Window& window,
                             const std::string& name) {
  AtomicFile file(path);
  Status status = file.open();
  if (status) {
    status = write_speedscope(window, SpeedscopeOptions{name},
                              [&](std::string_view piece) { return file.write(piece); });
  }
  if (status) status = file.commit();
  return status;
}

}  // namespace

Status FilesSink::configure(const Options& options, Host& host) {
  return guarded([&] {
    host_ = &host;
    OptionReader reader(options, std::string(kSection));
    path_ = reader.get_string("path", "");
    directory_ = reader.get_string("directory", "");
    std::vector<std::string> format_names = reader.get_strings("formats", {"folded", "speedscope"});
    thread_frames_ = reader.get_bool("thread_frames", false);
    flame_ = reader.get_bool("flame", false);
    std::string view = reader.get_string("view", "runtime");
    if (view != "runtime" && view != "native") {
      reader.fail("view", "expected \"runtime\" (interpreters' internals folded into the "
                          "code they run) or \"native\" (every frame), got \"" + view + "\"");
    }
    runtime_view_ = view == "runtime";
    const AgeAndSize limits = read_age_and_size(reader, "profiles");
    limits_ = {limits.max_age_ns, limits.max_bytes};

    if (!path_.empty() && !directory_.empty()) {
      reader.fail("directory",
                  "cannot be used together with path: use path for one merged file, or "
                  "directory for one file per window");
    } else if (path_.empty() && directory_.empty()) {
      reader.fail("directory",
                  "not set: set directory = \"...\" (one file per window) or path = "
                  "\"profile.folded\" (one file for the whole run)");
    } else if (!path_.empty()) {
      if (options.count("formats")) {
        reader.fail("formats",
                    "applies to directory only: with path, the extension picks the "
                    "format");
      } else if (options.count("max_age") || options.count("max_size")) {
        reader.fail(options.count("max_age") ? "max_age" : "max_size",
                    "applies to directory only: with path, the one file is the whole run");
      } else if (!profile_format_of_path(path_, path_format_)) {
        reader.fail("path", "cannot tell the format of \"" + path_ + "\" from its extension; use " +
                                std::string(kProfileExtensions));
      }
    } else {
      formats_.clear();
      for (const std::string& name : format_names) {
        ProfileFormat format;
        if (!profile_format_of_name(name, format)) {
          reader.fail("formats", "unknown format \"" + name +
                                     "\"; accepted: " + std::string(kProfileFormatNames));
          break;
        }
        if (std::find(formats_.begin(), formats_.end(), format) == formats_.end()) {
          formats_.push_back(format);
        }
      }
      if (format_names.empty()) reader.fail("formats", "is empty: name at least one format");
    }
    Status status = reader.finish();
    if (!status) return status;
    if (!path_.empty() && path_format_ == ProfileFormat::folded) {
      folded_ = std::make_unique<CollapsedLines>(CollapsedOptions{thread_frames_});
    }
    // Where the files go must be writable before profiling starts.
    std::string target = directory_;
    if (target.empty()) {
      target = std::filesystem::path(path_).parent_path().string();
      if (target.empty()) target = ".";
    }
    Status made = ensure_directory(target);
    if (!made) return Status::error(std::string(kSection) + ": " + made.message());
    return Status::ok();
  });
}

Status FilesSink::on_window(const Window& window) {
  return guarded([&] {
    if (folded_) {
      // The view per window is the view of their merge: it rewrites each
      // stack on its own.
      Window viewed;
      folded_->add(shown(window, viewed));
      return Status::ok();
    }
    if (!path_.empty()) {
      merger_.add(window);
      return Status::ok();
    }
    return write_window(window);
  });
}

Status FilesSink::close() {
  if (closed_ || path_.empty()) return Status::ok();
  closed_ = true;
  return guarded([&] { return write_merged(); });
}

const Window& FilesSink::shown(const Window& window, Window& viewed) const {
  if (!runtime_view_ || !report::runtime_view_changes(window)) return window;
  viewed = report::runtime_view_of(window).window;
  return viewed;
}

std::string FilesSink::render(ProfileFormat format, const Window& window,
                              const std::string& name) const {
  return render_profile(format, window, RenderOptions{name, thread_frames_, flame_});
}

Status FilesSink::write_profile(const std::string& path, ProfileFormat format,
                                const Window& window, const std::string& name) const {
  if (format == ProfileFormat::speedscope) return write_speedscope_file(path, window, name);
  if (format != ProfileFormat::folded) {
    return write_file_atomically(path, render(format, window, name));
  }
  CollapsedLines lines(CollapsedOptions{thread_frames_});
  lines.add(window);
  return write_lines(path, lines);
}

Status FilesSink::write_window(const Window& window) {
  // Recreated if someone removed it while the agent ran.
  Status made = ensure_directory(directory_);
  if (!made) return Status::error(std::string(kSection) + ": " + made.message());
  if (!made_old_files_private_) {
    made_old_files_private_ = true;
    make_old_files_private();
  }
  std::vector<std::string> extensions;
  for (ProfileFormat format : formats_) extensions.emplace_back(extension_of(format));
  std::string stem = unused_stem(directory_, "ember-" + utc_compact(window.start_ns), extensions);

  Window viewed;
  const Window& profile = shown(window, viewed);  // once for every format
  Status result = Status::ok();
  std::vector<std::string> written_paths;
  for (ProfileFormat format : formats_) {
    std::string path =
        (std::filesystem::path(directory_) / (stem + std::string(extension_of(format)))).string();
    Status written = write_profile(path, format, profile, stem);
    if (!written && result)
      result = Status::error(std::string(kSection) + ": " + written.message());
    if (written) host_->log(LogLevel::debug, "wrote " + path);
    written_paths.push_back(std::move(path));
  }
  prune(written_paths);
  return result;
}

void FilesSink::prune(const std::vector<std::string>& written) {
  Pruned pruned = prune_profiles(directory_, limits_, written);
  if (pruned.files) {
    host_->log(LogLevel::debug, "removed " + std::to_string(pruned.files) +
                                    " old profile file(s), " + std::to_string(pruned.bytes >> 10) +
                                    " KiB ([" + std::string(kSection) + "] max_age, max_size)");
  }
  if (!pruned.error.empty() && !prune_error_logged_) {
    prune_error_logged_ = true;  // once: it would repeat at every window
    host_->log(LogLevel::warn,
               std::string(kSection) + ": cannot remove old profiles: " + pruned.error);
  }
}

void FilesSink::make_old_files_private() {
  std::size_t changed = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory_, error)) {
    if (!entry.path().filename().string().starts_with("ember-")) continue;
    bool made = false;
    Status status = make_private_like_new(entry.path().string(), made);
    if (!status) host_->log(LogLevel::warn, status.message());
    changed += made;
  }
  if (changed == 0) return;
  host_->log(LogLevel::info, made_private_message(std::to_string(changed) + " profile files in " +
                                                  directory_));
}

Status FilesSink::write_merged() {
  std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) {
    Status made = ensure_directory(parent.string());
    if (!made) return Status::error(std::string(kSection) + ": " + made.message());
  }
  std::uint64_t samples = 0;
  Status written = Status::ok();
  if (folded_) {
    samples = folded_->total_samples();
    written = write_lines(path_, *folded_);
  } else {
    const Window merged = merger_.take();
    samples = merged.total_samples();
    std::string name = std::filesystem::path(path_).filename().string();
    Window viewed;
    written = write_profile(path_, path_format_, shown(merged, viewed), name);
  }
  if (!written) return Status::error(std::string(kSection) + ": " + written.message());
  host_->log(LogLevel::info, "wrote " + std::to_string(samples) + " samples to " + path_);
  return Status::ok();
}

}  // namespace ember::files
