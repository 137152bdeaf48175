// What naming a kernel address costs with the table saved for this boot
// (kernel_symbols_cache.hpp), and what the table holds in memory:
//   0. the first start on a boot: the heap the plugin holds once it read
//      kallsyms and saved the table,
//   1. read: reading the saved table (thread CPU), the heap it keeps
//      (mallinfo2) and the saved file's resident pages after it,
//   2. find: KernelSymbols::find() of new addresses spread over the table,
//      and the file's resident pages after them,
//   3. symbolizer: the native plugin's kernel symbolizer naming the same
//      addresses in calls of --per-call (a kernel stack's worth), fresh
//      plugin each round (so every address is new), and the process' RSS.
// Each CPU figure is the least of five rounds. The addresses are the code
// symbols of the kallsyms file (the image's and modules', not BPF programs')
// plus 0x10, every symbols/N-th.
//   ember_bench_kernel_symbols [--kallsyms PATH] [--addresses N] [--per-call K]
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench_clock.hpp"
#include "ember/testing/fake_host.hpp"
#include "kernel_symbols.hpp"
#include "kernel_symbols_cache.hpp"
#include "native_plugin.hpp"
#include "resident_pages.hpp"

namespace {

using ember::bench::ns_per;
using ember::bench::status_kib;

std::chrono::nanoseconds thread_cpu() {
  return ember::bench::ThreadCpuClock::now().time_since_epoch();
}

// Allocated bytes, the mmap()ed chunks of large allocations included.
std::size_t heap_in_use() {
  struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

// Code symbols' addresses of a kallsyms file, but BPF programs' and
// trampolines' (the saved table leaves those out).
std::vector<std::uint64_t> code_addresses(const std::string& path, std::size_t& symbols) {
  std::ifstream in(path);
  std::vector<std::uint64_t> all;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string address, type, name, module;
    fields >> address >> type >> name >> module;
    if (type != "t" && type != "T" && type != "w" && type != "W") continue;
    if (module == "[bpf]" || module.rfind("[__builtin__", 0) == 0) continue;
    all.push_back(std::stoull(address, nullptr, 16));
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  symbols = all.size();
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  std::string kallsyms = "/proc/kallsyms";
  std::size_t count = 20000;
  std::size_t per_call = 16;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--kallsyms" && i + 1 < argc) {
      kallsyms = argv[++i];
    } else if (arg == "--addresses" && i + 1 < argc) {
      count = std::stoul(argv[++i]);
    } else if (arg == "--per-call" && i + 1 < argc) {
      per_call = std::max<std::size_t>(1, std::stoul(argv[++i]));
    } else {
      std::fprintf(stderr,
                   "usage: %s [--kallsyms PATH] [--addresses N] [--per-call K]\n", argv[0]);
      return 2;
    }
  }
  std::size_t symbols = 0;
  std::vector<std::uint64_t> all = code_addresses(kallsyms, symbols);
  if (all.empty() || all.back() == 0) {
    std::fprintf(stderr, "%s has no code symbols with addresses (run as root)\n",
                 kallsyms.c_str());
    return 1;
  }
  count = std::min(count, all.size());
  std::vector<__u64> addresses;  // the kernel symbolizer's type
  for (std::size_t i = 0; i < count; ++i) addresses.push_back(all[i * all.size() / count] + 0x10);
  all = {};

  std::filesystem::path cache =
      std::filesystem::temp_directory_path() / ("ember-bench-ksyms-" + std::to_string(getpid()));
  ember::Options options{{"kallsyms_path", {kallsyms, ""}}, {"cache_dir", {cache.string(), ""}}};
  std::size_t first_start_heap = 0;
  long first_start_rss = 0;
  {
    // The first start on a boot reads kallsyms and saves the table.
    std::size_t heap_before = heap_in_use();
    ember::testkit::FakeHost host;
    ember::native::NativePlugin plugin;
    if (ember::Status status = plugin.configure(options, host); !status) {
      std::fprintf(stderr, "%s\n", status.message().c_str());
      return 1;
    }
    std::vector<ember::FrameHandle> frames;
    plugin.symbolize_kernel(std::vector<__u64>{addresses[0]}, frames);
    first_start_heap = heap_in_use() - heap_before;
    first_start_rss = status_kib("VmRSS:");
  }
  std::string saved = ember::native::saved_kernel_symbols_path(cache.string(), kallsyms);
  ember::native::KernelSymbolsKey key;
  if (!ember::native::kernel_symbols_key({.kallsyms = kallsyms}, key) ||
      !std::filesystem::exists(saved)) {
    std::fprintf(stderr, "the table was not saved under %s\n", cache.c_str());
    return 1;
  }

  const int rounds = 5;
  auto read_cpu = std::chrono::nanoseconds::max();
  auto find_cpu = read_cpu;
  auto symbolize_cpu = read_cpu;
  std::size_t heap = 0;
  std::size_t resident_read = 0;
  std::size_t resident_found = 0;
  std::size_t resident_symbolized = 0;
  std::size_t named = 0;
  long rss_start = status_kib("VmRSS:");
  long rss_symbolized = 0;
  for (int round = 0; round < rounds; ++round) {
    {
      std::size_t heap_before = heap_in_use();
      auto begin = thread_cpu();
      ember::native::KernelSymbols table;
      if (!ember::native::read_saved_kernel_symbols(saved, key.text, table)) {
        std::fprintf(stderr, "cannot read back %s\n", saved.c_str());
        return 1;
      }
      read_cpu = std::min(read_cpu, thread_cpu() - begin);
      heap = heap_in_use() - heap_before;
      resident_read = ember::test::resident_kib_of(saved);
      std::size_t found = 0;
      begin = thread_cpu();
      for (__u64 address : addresses) found += table.find(address).has_value();
      find_cpu = std::min(find_cpu, thread_cpu() - begin);
      resident_found = ember::test::resident_kib_of(saved);
      named = found;
    }
    ember::testkit::FakeHost host;
    ember::native::NativePlugin plugin;
    if (!plugin.configure(options, host)) return 1;
    std::vector<ember::FrameHandle> frames;
    plugin.symbolize_kernel(std::vector<__u64>{addresses[0]}, frames);  // loads the table
    frames.clear();
    frames.reserve(addresses.size());
    auto begin = thread_cpu();
    for (std::size_t at = 1; at < addresses.size(); at += per_call) {
      std::size_t n = std::min(per_call, addresses.size() - at);
      plugin.symbolize_kernel(std::span<const __u64>(addresses.data() + at, n), frames);
    }
    symbolize_cpu = std::min(symbolize_cpu, thread_cpu() - begin);
    resident_symbolized = ember::test::resident_kib_of(saved);
    if (round == 0) rss_symbolized = status_kib("VmRSS:");
  }
  std::uintmax_t saved_kib = std::filesystem::file_size(saved) / 1024;
  std::filesystem::remove_all(cache);

  std::printf("%s: %zu code symbols, saved table %ju KiB; %zu addresses (%zu named)\n",
              kallsyms.c_str(), symbols, saved_kib, addresses.size(), named);
  std::printf("first start (kallsyms read, the table saved): heap %zu KiB, VmRSS %ld KiB while it runs\n",
              first_start_heap / 1024, first_start_rss);
  std::printf("read the saved table:    %9.0f us, heap %zu KiB, file resident %zu KiB\n",
              static_cast<double>(read_cpu.count()) / 1000, heap / 1024, resident_read);
  std::printf("find(), new address:     %9.0f ns, file resident after %zu KiB\n",
              ns_per(find_cpu, addresses.size()), resident_found);
  std::printf("symbolizer, %zu per call: %9.0f ns per address, file resident after %zu KiB\n",
              per_call, ns_per(symbolize_cpu, addresses.size() - 1), resident_symbolized);
  std::printf("VmRSS: %ld KiB before, %ld after the first round's symbolizer\n", rss_start,
              rss_symbolized);
  return 0;
}
