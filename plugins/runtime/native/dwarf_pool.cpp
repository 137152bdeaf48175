#include "dwarf_pool.hpp"

#include <malloc.h>
#include <sys/stat.h>

#include <algorithm>

namespace ember::native {

namespace {

// Whether `path` is still the file `identity` was taken of.
bool still_same_file(const std::string& path, const FileIdentity& identity) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 &&
         static_cast<std::uint64_t>(st.st_ino) == identity.inode &&
         static_cast<std::uint64_t>(st.st_dev) == identity.device &&
         static_cast<std::uint64_t>(st.st_size) == identity.size;
}

}  // namespace

std::uint64_t DwarfPool::add(std::string path, FileIdentity identity, AltDebugFile alt) {
  std::lock_guard lock(mutex_);
  std::uint64_t id = next_id_++;
  entries_[id] = Entry{std::move(path), identity, std::move(alt), nullptr, false, {}};
  return id;
}

void DwarfPool::set_alt(std::uint64_t id, AltDebugFile alt) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  close(it->second);
  it->second.alt = std::move(alt);
}

void DwarfPool::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  close(it->second);
  entries_.erase(it);
}

Status DwarfPool::open(Entry& entry, std::string& note) {
  // Reopened by path: only the same file (it may have been replaced since).
  if (!still_same_file(entry.path, entry.identity)) {
    return Status::error(entry.path + " is gone or was replaced");
  }
  std::string path = copies_ ? copies_->path_for(entry.path, entry.identity) : entry.path;
  std::string alt_path;
  if (entry.alt.found()) {
    if (still_same_file(entry.alt.path, entry.alt.identity)) {
      alt_path = copies_ ? copies_->path_for(entry.alt.path, entry.alt.identity) : entry.alt.path;
    } else {
      note = entry.path + ": its dwz alt file " + entry.alt.path +
             " is gone or was replaced, names dwz moved there stay missing";
    }
  }
  return DwarfSource::open(path, alt_path, entry.source, note);
}

void DwarfPool::close(Entry& entry) {
  if (!entry.source) return;
  entry.source.reset();
  recent_.erase(entry.recent);
  any_open_.store(!recent_.empty(), std::memory_order_relaxed);
  // A handle frees its indexes and inflated sections in many pieces;
  // without a trim the heap keeps them and the budget would bound nothing
  // the RSS shows (trimmed by the next release).
  trim_pending_ = true;
  pending_.store(true, std::memory_order_relaxed);
}

void DwarfPool::release_if_due() {
  if (!pending_.load(std::memory_order_relaxed) && !any_open_.load(std::memory_order_relaxed)) {
    return;
  }
  Clock::time_point now = now_();
  bool housekeeping = false;
  if (!release_due(now, housekeeping)) return;
  std::lock_guard lock(mutex_);
  release_locked(now, housekeeping);
}

bool DwarfPool::release_due(Clock::time_point now, bool& housekeeping) {
  housekeeping = release_.due(now);
  return pages_.due(now) || housekeeping;
}

void DwarfPool::close_idle(Clock::time_point now) {
  if (idle_close_ <= Clock::duration::zero()) return;
  // Least recently used last: the idle ones are at the back.
  while (!recent_.empty()) {
    Entry& entry = entries_.at(recent_.back());
    if (now - entry.last_lookup < idle_close_) break;
    close(entry);
  }
}

void DwarfPool::release_locked(Clock::time_point now, bool housekeeping) {
  if (housekeeping) {
    close_idle(now);
    enforce_budget(true);
  }
  if (!pending_.load(std::memory_order_relaxed)) return;
  release_pages_locked();
  if (housekeeping) {
    if (trim_pending_) malloc_trim(0);
    trim_pending_ = false;
  }
  pending_.store(trim_pending_, std::memory_order_relaxed);  // a trim still waits
}

bool DwarfPool::lookup(std::uint64_t id, std::uint64_t vaddr, std::vector<SourceFunction>& out,
                       std::string& error) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.failed) return false;
  Entry& entry = it->second;
  if (!entry.source) {
    if (Status status = open(entry, error); !status) {
      entry.failed = true;
      error = status.message();
      return false;
    }
    recent_.push_front(id);
    entry.recent = recent_.begin();
    any_open_.store(true, std::memory_order_relaxed);
  } else if (entry.recent != recent_.begin()) {
    recent_.splice(recent_.begin(), recent_, entry.recent);
  }
  bool found = entry.source->lookup(vaddr, out);
  Clock::time_point now = now_();
  entry.last_lookup = now;
  pending_.store(true, std::memory_order_relaxed);
  // The memory budget is kept at the release, once a second: closed at
  // once, a file over it was opened again (and its units and line tables
  // read again) at the next lookup of a new address, hundreds of
  // times a second when the live binaries' DWARF exceeds the budget.
  enforce_budget(false);
  bool housekeeping = false;
  if (release_due(now, housekeeping)) {
    release_locked(now, housekeeping);
  } else {
    // Other mappings' pages go too (code paged out, the Go plugin's
    // releases): the growth counts from the lowest reading since.
    const std::size_t resident = resident_.bytes();
    resident_at_release_ = std::min(resident_at_release_, resident);
    if (resident - resident_at_release_ > burst_bytes_) release_pages_locked();
  }
  return found;
}

void DwarfPool::release_pages_locked() {
  for (std::uint64_t id : recent_) entries_.at(id).source->release_file_pages();
  resident_at_release_ = resident_.bytes();
}

void DwarfPool::enforce_budget(bool memory) {
  std::size_t total = 0;
  if (memory) {
    for (std::uint64_t id : recent_) total += entries_.at(id).source->memory_estimate();
  }
  while (!recent_.empty() && ((memory && total > budget_) || recent_.size() > max_open_)) {
    // The file just used is the most recent, so it goes last; alone over
    // budget it is closed too: its result is out, and memory stays bounded.
    std::uint64_t oldest = recent_.back();
    Entry& entry = entries_.at(oldest);
    if (memory) total -= entry.source->memory_estimate();
    close(entry);
  }
}

std::size_t DwarfPool::open_count() {
  std::lock_guard lock(mutex_);
  return recent_.size();
}

std::size_t DwarfPool::memory_estimate() {
  std::lock_guard lock(mutex_);
  std::size_t total = 0;
  for (std::uint64_t id : recent_) total += entries_.at(id).source->memory_estimate();
  return total;
}

}  // namespace ember::native
