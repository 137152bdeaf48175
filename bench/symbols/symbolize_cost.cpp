// What naming a native address costs: the native plugin's handler on this
// very process, after dlopen() of a big shared library (default: pyenv's
// libpython3.12, 30 MB with DWARF). Addresses spread evenly over the
// library's code are named
//   1. new: the first time (ELF read, debug file search, DWARF lookups),
//   2. cached: again in the same process (one hash lookup each),
//   3. shared: by a second handler (another process mapping the same build:
//      its own cache is empty, the library's frames are already known),
// with `lines` on or off, and the process' RSS before and after the first
// pass. Each figure is the thread's CPU time, the least of five rounds
// (a fresh plugin each).
//   ember_bench_symbolize [--lines=0|1] [--budget-mb=N] [--addresses N] [LIBRARY]
#include <dlfcn.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "bench_clock.hpp"
#include "ember/proc_maps.hpp"
#include "native_plugin.hpp"
#include "process_symbolizer.hpp"
#include "ember/testing/fake_host.hpp"

namespace {

using Clock = ember::bench::ThreadCpuClock;
using ember::bench::ns_per;
using ember::bench::status_kib;

struct Rss {
  long anon = status_kib("RssAnon:");
  long file = status_kib("RssFile:");
};

}  // namespace

int main(int argc, char** argv) {
  std::string library = "/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0";
  bool lines = true;
  std::size_t count = 20000;
  std::int64_t budget_mb = 32;  // the plugin's default
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--lines=", 0) == 0) {
      lines = arg.back() == '1';
    } else if (arg.rfind("--budget-mb=", 0) == 0) {
      budget_mb = std::stol(arg.substr(12));
    } else if (arg == "--addresses" && i + 1 < argc) {
      count = std::stoul(argv[++i]);
    } else {
      library = arg;
    }
  }
  Rss start;
  if (!dlopen(library.c_str(), RTLD_LAZY | RTLD_LOCAL)) {
    std::fprintf(stderr, "cannot dlopen %s: %s\n", library.c_str(), dlerror());
    return 1;
  }
  std::vector<ember::Mapping> maps;
  if (!ember::read_proc_maps(getpid(), maps)) return 1;
  const ember::Mapping* code = nullptr;
  for (const ember::Mapping& mapping : maps) {
    if (mapping.executable && mapping.path == library) code = &mapping;
  }
  if (!code) {
    std::fprintf(stderr, "%s has no executable mapping here\n", library.c_str());
    return 1;
  }
  std::vector<std::uint64_t> addresses;
  std::uint64_t step = (code->end - code->start) / count;
  for (std::size_t i = 0; i < count; ++i) addresses.push_back(code->start + i * step + 1);

  // The machine may be busy: every figure is the fastest of `rounds` runs,
  // each with a fresh plugin (so "new" is new again).
  const int rounds = 5;
  Clock::duration fresh = Clock::duration::max();
  Clock::duration cached = fresh;
  Clock::duration shared = fresh;
  std::size_t frames = 0;
  Rss before;
  Rss after;
  std::size_t open_files = 0;
  std::size_t dwarf_bytes = 0;
  for (int round = 0; round < rounds; ++round) {
    ember::testkit::FakeHost host;
    ember::native::NativePlugin plugin;
    ember::Options options{{"lines", {lines, ""}}, {"max_debug_info_mb", {budget_mb, ""}}};
    if (ember::Status status = plugin.configure(options, host); !status) {
      std::fprintf(stderr, "%s\n", status.message().c_str());
      return 1;
    }
    ember::ProcessRef self{static_cast<std::uint32_t>(getpid()), "", "", &maps};
    std::vector<ember::FrameHandle> out;
    out.reserve(addresses.size() * 4);
    auto run = [&](ember::ProcessHandler& handler) {
      auto& symbolizer = static_cast<ember::native::ProcessSymbolizer&>(handler);
      out.clear();
      Clock::time_point begin = Clock::now();
      for (std::uint64_t address : addresses) symbolizer.symbolize_native(address, out);
      return Clock::now() - begin;
    };
    if (round == 0) before = Rss();
    auto first = plugin.attach(self, nullptr);
    fresh = std::min(fresh, run(*first));
    frames = out.size();
    if (round == 0) {
      after = Rss();
      open_files = plugin.symbol_cache()->dwarf_pool().open_count();
      dwarf_bytes = plugin.symbol_cache()->dwarf_pool().memory_estimate();
    }
    for (int again = 0; again < 3; ++again) cached = std::min(cached, run(*first));
    auto second = plugin.attach(self, nullptr);
    shared = std::min(shared, run(*second));
  }

  std::printf(
      "library %s, lines %s, max_debug_info_mb %lld, %zu addresses -> %zu frames "
      "(%.2f per address)\n",
      library.c_str(), lines ? "on" : "off", static_cast<long long>(budget_mb), count, frames,
      static_cast<double>(frames) / static_cast<double>(count));
  std::printf("new address:            %9.0f ns\n", ns_per(fresh, count));
  std::printf("cached, same process:   %9.0f ns\n", ns_per(cached, count));
  std::printf("cached, second process: %9.0f ns\n", ns_per(shared, count));
  std::printf("RSS anon: %ld KiB at start, %ld after dlopen, %ld after the first pass (+%ld)\n",
              start.anon, before.anon, after.anon, after.anon - before.anon);
  std::printf("RSS file: %ld KiB at start, %ld after dlopen, %ld after the first pass (+%ld)\n",
              start.file, before.file, after.file, after.file - before.file);
  std::printf("DWARF open after the first pass: %zu files, %.1f MiB estimated\n", open_files,
              static_cast<double>(dwarf_bytes) / (1 << 20));
  return 0;
}
