// kallsyms parsed once per boot. Reading /proc/kallsyms costs the kernel
// ~50 ms of formatting every time, so the first reader saves the parsed table
// and later agent starts (and `ember record` runs) on the same boot read it.
// The key ties the copy to the boot (KASLR moves addresses at every boot),
// the loaded modules (/proc/modules: names, sizes, addresses) and the source.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ember/status.hpp"
#include "kernel_symbols.hpp"

namespace ember::native {

struct KernelSymbolsKey {
  std::string text;
  // [start, end) of each loaded module: addresses the saved table covers,
  // besides the image's text.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> modules;
};

struct KernelSymbolsSources {
  std::string kallsyms = "/proc/kallsyms";
  std::string boot_id = "/proc/sys/kernel/random/boot_id";
  std::string modules = "/proc/modules";  // absent on a kernel without modules
};

// Where the table read from `kallsyms` is saved under `cache_dir`: one file
// per source, so a copy of kallsyms given in a config does not displace the
// live one's table. "" when `cache_dir` is "" (nothing saved).
std::string saved_kernel_symbols_path(const std::string& cache_dir, const std::string& kallsyms);

// Fails when the boot cannot be identified: then nothing is cached.
Status kernel_symbols_key(const KernelSymbolsSources& sources, KernelSymbolsKey& key);

// The table saved in `file` under `key`, used from the file
// (KernelSymbols::read_saved). An error naming the file when it is missing,
// saved under another key or damaged (then `out` is untouched).
Status read_saved_kernel_symbols(const std::string& file, const std::string& key,
                                 KernelSymbols& out);

// Written to a temporary file and renamed, so a reader never sees half a table.
Status save_kernel_symbols(const std::string& file, const std::string& key,
                           const KernelSymbols& symbols);

}  // namespace ember::native
