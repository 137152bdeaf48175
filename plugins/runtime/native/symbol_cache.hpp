// Symbols of ELF objects, shared by every process (and handler) that maps
// the same object. An object is known by its build id, or by its file
// identity (device, inode, size, mtime) when it has none; a second key, the
// identity of each file opened, lets the next process skip reading the file.
// Entries live as long as some handler holds them, and the 256 most recently
// asked for a further 10 s (recent_objects.hpp): the next short-lived
// process of the same programs finds them read.
//
// An object's functions come from its own .symtab/.dynsym plus, when it was
// stripped, its separate debug file's .symtab or its MiniDebugInfo. With
// `lines` on and DWARF at hand (in the object or its debug file), each
// address also gets file, line and its inlined functions as frames, cached
// per (object, address): a thousand processes cost one DWARF lookup.
//
// With debuginfod on, an object no local source has DWARF for asks for its
// debug file by build id (debuginfod_fetcher.hpp); until it arrives the
// object is "awaiting" it, and the frames it names then are not for keeping.
// So is an object whose local DWARF dwz compressed and whose alt file is
// not on the host: that alt file is asked for by its build id.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "debuginfod_fetcher.hpp"
#include "dwarf_pool.hpp"
#include "ember/elf_file.hpp"
#include "ember/elf_function_table.hpp"
#include "ember/frame.hpp"
#include "ember/host.hpp"
#include "frame_names.hpp"
#include "mapped_file.hpp"
#include "native_options.hpp"
#include "packed_hash_table.hpp"
#include "recent_objects.hpp"
#include "source_chains.hpp"

namespace ember::native {

// Where an object's names and lines come from, once its files are read.
// Functions' names stay in the files (ElfFunctionTable): only the names of
// functions a sample ran in are read, once each.
struct SymbolSources {
  ElfFile elf;                 // the object: build id and segments, no symbols
  ElfFunctionTable functions;  // the object's .symtab and .dynsym
  ElfFunctionTable extra;      // .symtab of its debug file or MiniDebugInfo; may be empty
  std::shared_ptr<DwarfPool> dwarf;
  std::uint64_t dwarf_id = 0;  // 0: no DWARF (or lines off)
  std::shared_ptr<FetchedDebugFile> fetched;  // asked of debuginfod; null: not asked
  std::shared_ptr<FetchedDebugFile> fetched_alt;  // the local DWARF's dwz alt file, asked
};

// One object's symbols, or the reason it could not be read.
class BinarySymbols {
 public:
  BinarySymbols(SymbolSources sources, const NativeOptions& options, Host& host);
  explicit BinarySymbols(std::string error);
  ~BinarySymbols();
  BinarySymbols(const BinarySymbols&) = delete;
  BinarySymbols& operator=(const BinarySymbols&) = delete;

  bool readable() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const ElfFile& elf() const { return sources_.elf; }
  bool has_extra_symbols() const;
  bool has_dwarf() const;
  // Whether its debug file is still being fetched: what frames() names now
  // may be named better later.
  bool awaiting_debug_file() const { return awaiting_.load(std::memory_order_acquire); }

  // The frames of link-time address `vaddr` in `module`, innermost first;
  // null when nothing names it (the caller names it module+offset). Shared
  // by every process, so a thousand processes hold one copy.
  ChainHandle frames(std::uint64_t vaddr, std::string_view module) const;

 private:
  struct Function {
    const ElfFunctionTable* table;
    std::size_t index;  // in `table`
    std::size_t key;    // unique across both tables
  };
  std::optional<Function> find_function(std::uint64_t vaddr) const;
  std::string display_name(std::string_view symbol) const;
  // Empty when its name cannot be read (the file changed since it was opened).
  std::string function_name(const Function& function, std::string_view module) const;
  ChainHandle function_chain(const Function& function, std::string_view module) const;
  // The id in source_chains_ of the frames DWARF gives `vaddr`, or of its
  // function's frame where DWARF does not cover it.
  std::optional<std::uint32_t> source_chain(std::uint64_t vaddr, std::string_view module,
                                            const std::optional<Function>& function) const;
  // Takes in the fetched debug file (or alt file) once it is there (under mutex_).
  void take_fetched() const;
  void take_fetched_debug_file() const;
  void take_fetched_alt_file() const;

  // Gains a debug file's symbols and DWARF when a fetch ends (under mutex_).
  mutable SymbolSources sources_;
  mutable std::atomic<bool> awaiting_{false};
  std::string error_;
  bool demangle_ = true;
  bool lines_ = true;
  std::size_t max_cached_ = 65536;
  Host* host_ = nullptr;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::size_t, ChainHandle> by_function_;
  // With DWARF only: each address's chain in source_chains_, where the
  // addresses of one line (of one inlined call) share one.
  mutable PackedHashTable<std::uint64_t> by_address_;
  mutable SourceChains source_chains_;
  mutable std::vector<SourceFunction> scratch_;
  mutable bool names_unreadable_ = false;  // and said so
};

class SymbolCache {
 public:
  using Clock = RecentObjects<BinarySymbols>::Clock;

  SymbolCache(Host& host, const NativeOptions& options);

  // The symbols of `file` (opened for `path`, the name the process uses;
  // its debug file is looked for under `root` first, then on the host).
  // Never null: an unreadable file gives an entry saying why, logged once.
  std::shared_ptr<const BinarySymbols> get(const MappedFile& file, const std::string& path,
                                           const std::string& root);

  // Lets go of the entries no handler asked for in the last 10 s; cheap
  // when none is due (for every sample).
  void expire_kept(Clock::time_point now = Clock::now());

  // Entries some handler, or the recently asked for, still hold (for tests
  // and metrics).
  std::size_t live_entries();
  DwarfPool& dwarf_pool() { return *dwarf_pool_; }
  // Null when debuginfod is off.
  DebuginfodFetcher* debuginfod() { return fetcher_.get(); }

 private:
  using Entries = std::unordered_map<std::string, std::weak_ptr<const BinarySymbols>>;
  static std::shared_ptr<const BinarySymbols> lookup(Entries& entries, const std::string& key);
  std::shared_ptr<const BinarySymbols> read(const MappedFile& file, const std::string& path,
                                            const std::string& root);
  void sweep();

  Host& host_;
  NativeOptions options_;
  std::shared_ptr<DwarfPool> dwarf_pool_;
  std::shared_ptr<DebuginfodFetcher> fetcher_;
  std::mutex mutex_;
  Entries by_identity_;
  Entries by_build_id_;
  std::unordered_set<std::string> reported_;  // identities whose failure was logged
  std::size_t inserts_since_sweep_ = 0;
  RecentObjects<BinarySymbols> kept_{256, std::chrono::seconds(10)};
};

}  // namespace ember::native
