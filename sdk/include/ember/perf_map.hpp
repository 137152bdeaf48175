// A JIT's perf map, /tmp/perf-<pid>.map (linux tools/perf/Documentation/
// jit-interface.txt): one "START SIZE name" line per code object, START and
// SIZE in hex without 0x, the name up to the end of the line (spaces
// allowed). Written by V8 (--perf-basic-prof), the JVM (jcmd
// Compiler.perfmap, perf-map-agent) and others.
//
// The writer appends while we read, so PerfMap reads it incrementally: each
// update() parses only the complete lines added since the last one (a line
// still being written waits for its newline). A map rewritten in place (a
// new file at that path, or the same file truncated and written anew, seen
// as a shorter file or a changed first line) is read again from its start.
// Later lines win where ranges overlap: code freed and its memory reused
// gets the newer name. Lines that do not parse (garbage, a hex field too
// long, a line longer than kMaxLineBytes) are counted and skipped, never an
// error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "ember/status.hpp"

namespace ember {

struct PerfMapEntry {
  std::uint64_t start = 0;
  std::uint64_t end = 0;  // exclusive
  std::shared_ptr<const std::string> name;
};

// One parsed line: false when it is not "START SIZE name" (hex, SIZE > 0,
// START + SIZE without overflow, a name that is not empty).
bool parse_perf_map_line(std::string_view line, std::uint64_t& start, std::uint64_t& size,
                         std::string_view& name);

class PerfMap {
 public:
  static constexpr std::size_t kMaxLineBytes = 4096;
  // Ranges kept at most; lines beyond it are counted as skipped.
  static constexpr std::size_t kMaxEntries = 1 << 20;

  // The path of process `pid`'s map as the agent opens it: the file lives in
  // the process' own /tmp (/proc/PID/root/tmp), named by its pid in its own
  // pid namespace (the last NSpid of /proc/PID/status; `pid` when unknown).
  static std::string path_for(std::uint32_t pid);

  // Reads what was added to `path` since the last call (all of it the first
  // time, or after a rewrite). An error when the file cannot be opened or
  // read; the entries read before stay.
  Status update(const std::string& path);

  // The range holding `address`, or nullptr.
  const PerfMapEntry* find(std::uint64_t address) const;

  std::size_t size() const { return ranges_.size(); }
  std::size_t skipped_lines() const { return skipped_lines_; }
  // Times the file was found rewritten and read again from its start.
  std::size_t rewrites() const { return rewrites_; }

  // Parses the complete lines of `text` and returns the bytes they take (up
  // to its last newline): for maps that do not come from a file, and tests.
  std::size_t add_lines(std::string_view text);

 private:
  void reset();
  void insert(std::uint64_t start, std::uint64_t end, std::string_view name);

  std::map<std::uint64_t, PerfMapEntry> ranges_;  // by start, no overlaps
  std::uint64_t consumed_ = 0;  // file bytes parsed (whole lines)
  dev_t device_ = 0;
  ino_t inode_ = 0;
  std::string first_line_;      // to notice a rewrite of the same file
  std::size_t skipped_lines_ = 0;
  std::size_t rewrites_ = 0;
};

}  // namespace ember
