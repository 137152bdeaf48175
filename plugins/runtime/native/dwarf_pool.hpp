// Every object's open DWARF handle under one memory budget. A handle grows
// with the units it has read (it keeps their indexes), so when the
// estimated total passes the budget the least recently used handles are
// closed; a closed handle is reopened from its path on its next lookup,
// which is rare: the frames of each address are cached above this.
//
// A handle no lookup has used for the idle interval is closed too, and the
// heap it held trimmed: the frames of a binary's addresses are cached above,
// so after a new process' first seconds its DWARF is seldom looked up again,
// and left open it held its line tables until the budget pushed it out.
//
// What lookups leave behind in the agent's memory is given back on a clock
// (or past a burst), not after every lookup: the heap closed handles freed (trimmed at most once
// per release interval, with the idle closes and the budget) and the debug
// files' pages they touched (ten times as often, or at once after a lookup
// when the agent's resident file pages have grown by kBurstBytes since the
// last release; both also by release_if_due() when no lookup comes). A new
// process' first samples bring hundreds of lookups a second; releasing
// after each made every lookup fault the file back, and trimming after each
// close walked the whole heap.
// A tenth of a second alone let a burst's pages pile up: the kernel maps
// 64 KiB around every page a lookup touches, ~0.5 MB a lookup, 10-13 MB of
// libpython's and libc's DWARF within 0.1 s, and more at the agent's start.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "alt_debug_file.hpp"
#include "dwarf_source.hpp"
#include "file_pages.hpp"
#include "mapped_file.hpp"
#include "resident_file_pages.hpp"
#include "uncompressed_debug.hpp"

namespace ember::native {

class DwarfPool {
 public:
  // `copies` are uncompressed copies of debug files with compressed sections
  // (uncompressed_debug.hpp); a pool without it opens every file as it is.
  using Clock = std::chrono::steady_clock;
  static constexpr Clock::duration kReleaseInterval = std::chrono::seconds(1);
  static constexpr Clock::duration kIdleClose = std::chrono::seconds(10);
  static constexpr std::size_t kBurstBytes = std::size_t{2} << 20;

  // `idle_close` zero: handles are closed only past the budget. `now` is
  // the clock (tests pass their own). `burst_bytes`: resident file pages
  // grown since the last release that release the files' pages at once
  // (any file's: code faulting in counts too).
  DwarfPool(std::size_t budget_bytes, std::size_t max_open,
            std::shared_ptr<UncompressedDebugFiles> copies = nullptr,
            Clock::duration release_interval = kReleaseInterval,
            Clock::duration idle_close = kIdleClose,
            std::function<Clock::time_point()> now = &Clock::now,
            std::size_t burst_bytes = kBurstBytes)
      : budget_(budget_bytes),
        max_open_(max_open),
        copies_(std::move(copies)),
        idle_close_(idle_close),
        now_(std::move(now)),
        release_(release_interval, now_()),
        pages_(release_interval / 10, now_()),
        burst_bytes_(burst_bytes),
        resident_at_release_(resident_.bytes()) {}

  // A DWARF file known by its path and, to be sure a reopen finds the same
  // bytes, its identity; with `alt`, when found, the dwz alt file its
  // DWARF points into. Returns the id lookups use.
  std::uint64_t add(std::string path, FileIdentity identity, AltDebugFile alt = {});
  // Gives file `id` its alt file, found (fetched) after it was added: its
  // open handle is closed, the next lookup opens it with the alt file.
  void set_alt(std::uint64_t id, AltDebugFile alt);
  void remove(std::uint64_t id);

  // The functions at `vaddr` in file `id`, innermost first; false when the
  // file has no DWARF for it or cannot be (re)opened. `error` gets the reason
  // a file failed to open, once per file, or (lookup true or false) why its
  // alt file was left out, at each (re)open without it.
  bool lookup(std::uint64_t id, std::uint64_t vaddr, std::vector<SourceFunction>& out,
              std::string& error);

  // Closes the handles idle for the idle interval and trims the heap closed
  // handles freed, when a release interval has passed since the last
  // release; releases the file pages lookups touched when a tenth of it has.
  // Cheap when nothing is open or pending: callers may call it per sample.
  void release_if_due();

  // For tests and metrics.
  std::size_t open_count();
  std::size_t memory_estimate();

 private:
  struct Entry {
    std::string path;
    FileIdentity identity;
    AltDebugFile alt;
    std::unique_ptr<DwarfSource> source;  // null while closed
    bool failed = false;
    std::list<std::uint64_t>::iterator recent;  // valid while open
    Clock::time_point last_lookup{};
  };

  Status open(Entry& entry, std::string& note);
  void close(Entry& entry);
  // Closes the least recently used beyond max_open, and with `memory`
  // beyond the memory budget too.
  void enforce_budget(bool memory);
  void close_idle(Clock::time_point now);
  // Whether the file pages' release is due at `now` (each due answer is
  // taken: the next is an interval later), and whether the once-a-second
  // housekeeping is too.
  bool release_due(Clock::time_point now, bool& housekeeping);
  // With `housekeeping`, the idle closes, the budget and the trim too.
  void release_locked(Clock::time_point now, bool housekeeping);
  // The open files' pages.
  void release_pages_locked();

  std::size_t budget_;
  std::size_t max_open_;
  std::shared_ptr<UncompressedDebugFiles> copies_;
  Clock::duration idle_close_;
  std::function<Clock::time_point()> now_;
  std::mutex mutex_;
  // Pages touched or heap freed since the last release (read without the lock).
  std::atomic<bool> pending_{false};
  std::atomic<bool> any_open_{false};  // idle handles may need closing
  bool trim_pending_ = false;
  // When the next releases are due (read without the lock): the idle
  // closes, budget and trim; the file pages.
  FilePagesRelease release_;
  FilePagesRelease pages_;
  // The agent's resident file pages at the last release of the files'
  // pages: a burst of lookups that maps in burst_bytes_ more releases at once.
  std::size_t burst_bytes_;
  ResidentFilePages resident_;
  std::size_t resident_at_release_ = 0;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, Entry> entries_;
  std::list<std::uint64_t> recent_;  // open entries, most recently used first
};

}  // namespace ember::native
