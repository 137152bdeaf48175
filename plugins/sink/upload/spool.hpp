// The upload sink's spool: one file per window waiting to be sent, in a
// private directory, bounded in bytes. When a new window does not fit, the
// oldest waiting ones are dropped first (never the one being sent). Files
// survive a restart: what an earlier run could not send is sent by the next.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "ember/status.hpp"

namespace ember::upload_sink {

class Spool {
 public:
  // Creates `directory` (0700) if missing, makes it and what an earlier run
  // left in it private, deletes half-written files and takes the rest.
  Status open(const std::string& directory, std::uint64_t max_bytes);

  // Writes an entry named after `order` (entries are sent in that order:
  // the window's start), then drops the oldest waiting entries until the
  // spool fits in max_bytes; `dropped` says how many (the new one too, when
  // it alone is larger than the spool).
  Status add(std::int64_t order, std::string_view contents, std::uint64_t& dropped);

  // The oldest entry not being sent, marked as being sent; nothing when none.
  std::optional<std::string> take_oldest();
  // Its contents; an error when it vanished.
  Status read(const std::string& name, std::string& contents) const;
  // The entry taken is done: removed when `sent`, else waits again. Returns
  // how many entries were dropped then: those a new one would have pushed
  // out while this one was being sent.
  std::uint64_t release(const std::string& name, bool sent);

  std::size_t entries() const;
  std::uint64_t bytes() const;
  const std::string& directory() const { return directory_; }

 private:
  std::string path_of(const std::string& name) const { return directory_ + "/" + name; }
  void remove_locked(const std::string& name);

  std::string directory_;
  std::uint64_t max_bytes_ = 0;
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> sizes_;  // by name: oldest first
  std::uint64_t bytes_ = 0;
  std::string busy_;       // being sent
  std::uint64_t next_ = 0;  // makes names unique within one start time
};

}  // namespace ember::upload_sink
