// The store sink: every closed window into the local profile store
// (core/profile/store, SQLite), one transaction per window, retention by age and size
// applied after each write on this (the sinks') thread, and an hour's windows
// rolled up (pre-merged) when the hour closes, on this thread too.
//
// No window is thrown away because the store is in trouble:
//   damaged or truncated file  -> moved aside (kept for recovery), a new store
//   (an SQLite database)          starts at the same path
//   newer schema / not a store -> left untouched; windows go to a sibling file
//   / a directory or another      (ember-schema<N>.db) this ember can write
//   program's file
//   unwritable, disk full, ... -> windows held in memory (up to
//                                 max_held_windows, then the oldest are
//                                 dropped, and said so) and retried at every
//                                 window and at close
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "ember/sink_plugin.hpp"
#include "store_writer.hpp"

namespace ember::store_sink {

class StoreSink final : public SinkPlugin {
 public:
  std::string_view name() const override { return "store"; }
  Status configure(const Options& options, Host& host) override;
  Status on_window(const Window& window) override;
  Status close() override;
  // The store is the host's history: a window dropped before it is a hole.
  bool keeps_history() const override { return true; }

 private:
  // Opens the store at active_path_, handling damaged and foreign files.
  void open_store();
  // Writes the held windows, oldest first, then `next` when given; false
  // when the store failed. `next` is copied into the held windows only if
  // it could not be written: a window the store takes at once is never
  // copied (a busy host's is tens of MB).
  bool write_held(const Window* next = nullptr);
  // One window into the open store, its cost logged at debug level.
  store::StoreOutcome write_one(const Window& window);
  // The file at the path is not ours to use (newer schema, another
  // program's, a directory): left untouched, windows go to the sibling file.
  void write_beside(const std::string& problem);
  // Files of the store an older ember left readable are made private.
  void make_private();
  // One info line when opening migrated an older store's schema.
  void log_migration();
  // One failed open or write: what to do about it.
  void handle_problem(const store::StoreOutcome& outcome);
  // Drops the oldest held windows beyond max_held_windows, saying so.
  void drop_beyond_limit();
  void apply_retention();
  // Rolls up an hour that closed (one per window): fast 24-hour reads.
  void roll_up();

  Host* host_ = nullptr;
  std::string path_;         // as configured
  std::string active_path_;  // where windows go now
  store::RetentionPolicy retention_;
  std::size_t max_held_ = 60;
  std::unique_ptr<store::StoreWriter> writer_;
  std::deque<Window> held_;
  std::uint64_t dropped_ = 0;
  std::string last_problem_;  // logged once, not at every retry
  bool closed_ = false;
};

}  // namespace ember::store_sink
