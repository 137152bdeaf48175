// Debug files with compressed sections (Debian's -dbg and -dbgsym packages:
// libc6-dbg's 4 MB hold 10 MB of DWARF) would be inflated into the heap at
// each open: ~40 ms of CPU for libc, on every agent start and every reopen
// after the DWARF budget closed it. The first open writes an uncompressed
// copy into the cache directory, named by the file's identity; later opens
// map the copy, and lookups read only the pages they need.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_set>

#include "ember/host.hpp"
#include "ember/status.hpp"
#include "mapped_file.hpp"

namespace ember::native {

class UncompressedDebugFiles {
 public:
  // `dir` empty: no copies, every file is opened as it is. Copies beyond
  // `max_bytes` in total are deleted, oldest first.
  UncompressedDebugFiles(std::string dir, std::size_t max_bytes, Host& host)
      : dir_(std::move(dir)), max_bytes_(max_bytes), host_(host) {}

  // The path to open for the file at `path`: its copy (made now if
  // needed), or `path` itself when no debug section is compressed or no copy
  // can be written (said once per file, at debug level: its sections are
  // then inflated at each open, slower, same lines).
  std::string path_for(const std::string& path, const FileIdentity& identity);

 private:
  std::string copy_of(const std::string& path, const FileIdentity& identity, std::string& note);
  void make_room(std::size_t bytes);

  std::string dir_;
  std::size_t max_bytes_;
  Host& host_;
  std::mutex mutex_;
  std::unordered_set<std::string> noted_;
};

// Writes `target`, an ELF file with the sections of `source` and its
// compressed sections inflated (program headers are left out: DWARF is
// read by sections only). `compressed` tells whether `source` had any compressed
// debug section; when it has none, nothing is written.
Status write_uncompressed_elf(const std::string& source, const std::string& target,
                              bool& compressed);

}  // namespace ember::native
