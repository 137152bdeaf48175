#include "store_sink.hpp"

#include <time.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>

#include "ember/option_reader.hpp"
#include "made_private_message.hpp"
#include "option_units.hpp"
#include "schema.hpp"
#include "store_files.hpp"

namespace ember::store_sink {
namespace {

constexpr std::string_view kSection = "sink.store";

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Exceptions must not cross the plugin boundary.
template <typename F>
Status guarded(F&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return Status::error(std::string(kSection) + ": " + e.what());
  }
}

std::string mib(std::int64_t bytes) { return std::to_string((bytes + (1 << 19)) >> 20) + " MiB"; }

double thread_cpu_ms() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return now.tv_sec * 1e3 + now.tv_nsec / 1e6;
}

}  // namespace

Status StoreSink::configure(const Options& options, Host& host) {
  return guarded([&] {
    host_ = &host;
    OptionReader reader(options, std::string(kSection));
    path_ = reader.get_string("path", "/var/lib/ember/ember.db");
    const formats::AgeAndSize limits = formats::read_age_and_size(reader, "windows");
    retention_.max_age_ns = limits.max_age_ns;
    retention_.max_bytes = limits.max_bytes;
    max_held_ = static_cast<std::size_t>(reader.get_int("max_held_windows", 60, 1, 100000));
    if (path_.empty()) reader.fail("path", "is empty: name the store's file");
    Status status = reader.finish();
    if (!status) return status;
    active_path_ = path_;
    // The file is opened with the first window: configure only judges the
    // table (--check-config asks it too), and trouble with the file is not a
    // config error: profiling goes on and the windows are kept (see the header).
    return Status::ok();
  });
}

void StoreSink::open_store() {
  // At most: move a damaged file aside, then switch to the sibling file.
  for (int attempt = 0; attempt < 3 && !writer_; ++attempt) {
    Status made = ensure_parent_directory(active_path_);
    if (!made) {
      handle_problem({store::StoreProblem::unwritable, made.message()});
      return;
    }
    make_private();
    store::StoreOutcome opened = store::StoreWriter::open(active_path_, writer_);
    if (opened.ok()) {
      if (!last_problem_.empty() || active_path_ != path_) {
        host_->log(LogLevel::warn, "windows go to the store at " + active_path_ + " again");
      } else {
        host_->log(LogLevel::info, "windows go to the store at " + active_path_);
      }
      log_migration();
      last_problem_.clear();
      return;
    }
    writer_.reset();
    handle_problem(opened);
    if (opened.problem == store::StoreProblem::unwritable ||
        opened.problem == store::StoreProblem::io) {
      return;  // retried at the next window
    }
  }
}

// Migrating rewrites rows (rehashing them, for some versions): the user
// learns why the first window was slow.
void StoreSink::log_migration() {
  const store::SchemaMigration& migration = writer_->schema_migration();
  if (!migration.migrated()) return;
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%.2f", migration.wall_ns / 1e9);
  host_->log(LogLevel::info, "migrated the store at " + active_path_ + " from schema version " +
                                 std::to_string(migration.from) + " to " +
                                 std::to_string(migration.to) + " in " + seconds + " s");
}

void StoreSink::make_private() {
  std::vector<std::string> changed, problems;
  make_store_private(active_path_, changed, problems);
  for (const std::string& problem : problems) host_->log(LogLevel::warn, problem);
  if (changed.empty()) return;
  std::string files;
  for (const std::string& file : changed) files += (files.empty() ? "" : ", ") + file;
  host_->log(LogLevel::info, formats::made_private_message(files));
}

void StoreSink::handle_problem(const store::StoreOutcome& outcome) {
  using store::StoreProblem;
  switch (outcome.problem) {
    case StoreProblem::none:
      return;
    case StoreProblem::corrupt: {
      // Only a damaged SQLite file is set aside: a directory or another
      // program's file at the path is a mistake in it, never moved.
      if (!is_sqlite_file(active_path_)) {
        write_beside(outcome.message + " (not an SQLite database)");
        return;
      }
      writer_.reset();
      std::string moved_to;
      Status moved = move_aside(active_path_, now_ns(), moved_to);
      if (moved) {
        host_->log(LogLevel::error, outcome.message + "; moved it to " + moved_to +
                                        " (sqlite3's .recover may save its windows); new "
                                        "windows go to a new store at " +
                                        active_path_);
        return;
      }
      // Cannot even rename it: write beside it instead.
      std::string sibling = sibling_for_schema(path_, store::kSchemaVersion);
      host_->log(LogLevel::error,
                 outcome.message + "; " + moved.message() + "; new windows go to " + sibling);
      active_path_ = sibling;
      return;
    }
    case StoreProblem::newer_schema:
    case StoreProblem::not_a_store:
      write_beside(outcome.message);
      return;
    case StoreProblem::unwritable:
    case StoreProblem::io:
      if (std::filesystem::is_directory(active_path_)) {
        write_beside(active_path_ + " is a directory");
        return;
      }
      writer_.reset();
      if (outcome.message != last_problem_) {
        host_->log(LogLevel::error,
                   outcome.message + "; holding windows in memory (up to " +
                       std::to_string(max_held_) +
                       ", the oldest dropped beyond that) and retrying at every window");
      }
      last_problem_ = outcome.message;
      return;
  }
}

void StoreSink::write_beside(const std::string& problem) {
  writer_.reset();
  std::string sibling = sibling_for_schema(path_, store::kSchemaVersion);
  if (active_path_ == sibling) {
    last_problem_ = problem;
    host_->log(LogLevel::error, problem + "; holding windows in memory");
    return;
  }
  host_->log(LogLevel::error, problem + "; left untouched, new windows go to " + sibling +
                                  " (ember report --store " + sibling + ")");
  active_path_ = sibling;
}

void StoreSink::drop_beyond_limit() {
  while (held_.size() > max_held_) {
    held_.pop_front();
    ++dropped_;
    host_->log(LogLevel::error, "dropped the oldest window held in memory (" +
                                    std::to_string(dropped_) +
                                    " so far): the store has been unavailable for " +
                                    std::to_string(max_held_) + " windows (max_held_windows)");
  }
}

bool StoreSink::write_held(const Window* next) {
  // Bounded: a damaged file found while writing is moved aside once per window.
  for (int attempt = 0; attempt < 3 && (!held_.empty() || next); ++attempt) {
    if (!writer_) open_store();
    if (!writer_) break;
    store::StoreOutcome written;
    while (!held_.empty() && (written = write_one(held_.front())).ok()) held_.pop_front();
    if (held_.empty() && next && (written = write_one(*next)).ok()) next = nullptr;
    if (!written.ok()) handle_problem(written);
  }
  if (next) held_.push_back(*next);  // written after the others once the store is back
  return held_.empty();
}

store::StoreOutcome StoreSink::write_one(const Window& window) {
  const auto began = std::chrono::steady_clock::now();
  const double cpu_before = thread_cpu_ms();
  store::StoreOutcome written = writer_->write(window);
  if (written.ok()) {
    // Where a window's time goes: its rows, and the stored rows they cost.
    const store::WriteStats& stats = writer_->last_write();
    const double wall_ms = std::chrono::duration<double, std::milli>(
                               std::chrono::steady_clock::now() - began)
                               .count();
    char line[256];
    std::snprintf(line, sizeof line,
                  "window written in %.0f ms (%.0f ms of CPU): %llu rows, %llu looked up, "
                  "%llu new, %llu stored rows compared",
                  wall_ms, thread_cpu_ms() - cpu_before,
                  static_cast<unsigned long long>(stats.rows),
                  static_cast<unsigned long long>(stats.looked_up),
                  static_cast<unsigned long long>(stats.added),
                  static_cast<unsigned long long>(stats.compared));
    host_->log(LogLevel::debug, line);
  }
  return written;
}

void StoreSink::apply_retention() {
  if (!writer_ || (retention_.max_age_ns == 0 && retention_.max_bytes == 0)) return;
  store::RetentionResult result;
  store::StoreOutcome applied = writer_->enforce_retention(retention_, now_ns(), result);
  if (!applied.ok()) {
    // The windows are written; retention is tried again after the next one.
    host_->log(LogLevel::warn, applied.message);
    return;
  }
  if (result.windows_deleted > 0) {
    host_->log(LogLevel::info, "retention: deleted the " + std::to_string(result.windows_deleted) +
                                   " oldest windows; store " + mib(result.bytes_before) + " -> " +
                                   mib(result.bytes_after));
  }
}

void StoreSink::roll_up() {
  if (!writer_) return;
  store::StoreOutcome rolled = writer_->roll_up();
  // The hour's windows are all there; reads of it merge them instead.
  if (!rolled.ok()) host_->log(LogLevel::warn, rolled.message);
}

Status StoreSink::on_window(const Window& window) {
  return guarded([&] {
    if (closed_) return Status::error(std::string(kSection) + ": window after close");
    std::size_t before = held_.size();
    // After the held ones, held itself only if the store is still away (and
    // then dropped, oldest first, beyond the limit): a store that came back
    // takes every window held and this one.
    bool written = write_held(&window);
    if (!written) drop_beyond_limit();
    if (written) {
      if (before > 0) {
        host_->log(LogLevel::warn, "wrote " + std::to_string(before) +
                                       " windows held in memory to " + active_path_);
      }
      apply_retention();
      roll_up();
      if (writer_) writer_->release_cache();  // seconds to a minute till the next
      return Status::ok();
    }
    return Status::error(std::string(kSection) + ": window not stored yet, " +
                         std::to_string(held_.size()) + " held in memory: " + last_problem_);
  });
}

Status StoreSink::close() {
  if (closed_) return Status::ok();
  closed_ = true;
  return guarded([&] {
    bool written = write_held();
    writer_.reset();  // folds the WAL into the file
    if (!written) {
      return Status::error(std::string(kSection) + ": " + std::to_string(held_.size()) +
                           " windows held in memory could not be written to " + active_path_ +
                           " and are lost: " + last_problem_);
    }
    return Status::ok();
  });
}

}  // namespace ember::store_sink
