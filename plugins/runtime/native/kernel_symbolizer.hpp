// Names kernel frames: kallsyms is loaded on first use, from the copy saved
// for this boot (kernel_symbols_cache.hpp, looked up in its file; the first
// start on a boot parses kallsyms, saves it and then uses the saved copy),
// and frames are cached by address. When kallsyms hides addresses
// (kptr_restrict), it says so once and names frames "[kernel]+0x...".
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "ember/bpf/sample.h"
#include "ember/frame.hpp"
#include "ember/host.hpp"
#include "kernel_symbols.hpp"
#include "kernel_symbols_cache.hpp"
#include "native_options.hpp"
#include "packed_hash_table.hpp"

namespace ember::native {

class KernelSymbolizer {
 public:
  KernelSymbolizer(Host& host, const NativeOptions& options)
      : host_(host),
        path_(options.kallsyms_path),
        saved_path_(saved_kernel_symbols_path(options.cache_dir, options.kallsyms_path)),
        max_cached_frames_(options.max_cached_frames) {}

  // `addresses` leaf first: [0] is the exact IP, the rest return addresses.
  void symbolize(std::span<const __u64> addresses, std::vector<FrameHandle>& leaf_first);

 private:
  // The index in frames_ of the frame naming `address`.
  std::uint32_t resolve(std::uint64_t address);
  void load();
  bool load_saved();
  void load_live();
  // Whether the saved table knows `address`: the image's text or a module's.
  // Anything else (a BPF program, a trampoline) needs the live kallsyms.
  bool saved_covers(std::uint64_t address) const;
  // The live kallsyms' symbols the saved table does not cover, read again at
  // most once a minute (programs come and go): a few hundred, where keeping
  // the whole live table held 5 MB beside the saved one.
  void load_outside();

  Host& host_;
  std::string path_;
  std::string saved_path_;  // "" = no saved copy
  KernelSymbolsKey key_;
  bool from_saved_ = false;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> covered_;
  std::size_t max_cached_frames_;
  std::mutex mutex_;
  bool loaded_ = false;
  KernelSymbols symbols_;
  KernelSymbols outside_;  // beside a saved table: what it does not cover
  std::optional<std::chrono::steady_clock::time_point> outside_read_;
  // Each kernel function's frame, and each unnamed address's; indexed by
  // address and by symbol address in packed tables (12 bytes a slot: the
  // return addresses of a busy host's kernel stacks run to tens of
  // thousands, for the agent's life).
  std::vector<FrameHandle> frames_;
  PackedHashTable<std::uint64_t> by_address_;
  PackedHashTable<std::uint64_t> by_function_;  // by symbol address
};

}  // namespace ember::native
