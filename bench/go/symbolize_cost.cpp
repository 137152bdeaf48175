// Cost of naming Go code from its pclntab (the Go runtime plugin's reader):
//   detect   the per-binary probe: map the file, find and check the table,
//            find moduledata.gofunc (once per build, cached by the host)
//   cold     the first naming of N addresses spread evenly over the Go text:
//            function lookup, file, line, inline expansion, and one Frame
//            allocated per frame as the plugin does; the table's pages are
//            touched for the first time
//   warm     the same addresses again (the plugin keeps no cache of its own:
//            the host caches its answers per address, see docs/benchmarks.md)
// Thread CPU time per address, least of --rounds; RSS after detect and after
// naming. With --addr2line, the same addresses through `go tool addr2line`
// (wall time, one process for all, minus one for a single address).
//
//   ember_bench_go_symbolize [--addresses N] [--rounds N] [--addr2line] [GO_BINARY]
#include <time.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "detect.hpp"
#include "ember/frame.hpp"

namespace {

double thread_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

// RssAnon and RssFile of this process, kB.
std::pair<long, long> rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string key;
  long anon = 0, file = 0;
  while (status >> key) {
    if (key == "RssAnon:") status >> anon;
    if (key == "RssFile:") status >> file;
  }
  return {anon, file};
}

// Names every address as the plugin does; returns the frames made.
std::size_t name_all(const ember::go::Pclntab& table, const std::vector<std::uint64_t>& pcs,
                     std::vector<ember::FrameHandle>& keep) {
  std::vector<ember::go::GoFrame> frames;
  std::size_t made = 0;
  for (std::uint64_t pc : pcs) {
    frames.clear();
    if (!table.frames(pc, frames)) continue;
    for (const ember::go::GoFrame& g : frames) {
      ember::Frame f;
      f.name = std::string(g.function);
      f.file = std::string(g.file);
      f.line = g.line;
      f.kind = ember::frame_kind::go;
      f.inlined = g.inlined;
      keep.push_back(std::make_shared<const ember::Frame>(std::move(f)));
      ++made;
    }
  }
  return made;
}

double addr2line_seconds(const std::string& binary, const std::vector<std::uint64_t>& pcs,
                         std::size_t count) {
  std::string input = "/tmp/ember_bench_go_addr2line.txt";
  {
    std::ofstream out(input);
    for (std::size_t i = 0; i < count; ++i) out << "0x" << std::hex << pcs[i] << "\n";
  }
  std::string command = "go tool addr2line " + binary + " < " + input + " > /dev/null";
  auto start = std::chrono::steady_clock::now();
  int status = std::system(command.c_str());
  auto end = std::chrono::steady_clock::now();
  std::remove(input.c_str());
  if (status != 0) return -1;
  return std::chrono::duration<double>(end - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = 20000;
  int rounds = 5;
  bool addr2line = false;
  std::string binary = "/usr/lib/go-1.19/bin/go";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--addresses" && i + 1 < argc) {
      count = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else if (arg == "--addr2line") {
      addr2line = true;
    } else {
      binary = arg;
    }
  }

  double best_detect = 1e18, best_cold = 1e18, best_warm = 1e18;
  std::size_t frames_made = 0, functions = 0;
  std::string version;
  long detect_anon = 0, detect_file = 0, named_anon = 0, named_file = 0;
  std::vector<std::uint64_t> pcs;
  for (int round = 0; round < rounds; ++round) {
    auto [anon0, file0] = rss_kb();
    double t0 = thread_ns();
    auto go = std::make_unique<ember::go::GoBinary>();
    ember::Status status = ember::go::detect(binary, *go);
    double t1 = thread_ns();
    if (!status || !go->is_go) {
      std::fprintf(stderr, "%s: %s\n", binary.c_str(),
                   status ? "not a Go binary" : status.message().c_str());
      return 1;
    }
    auto [anon1, file1] = rss_kb();
    const ember::go::Pclntab& table = go->table;
    pcs.clear();
    std::uint64_t start = table.text_start(), end = table.text_end();
    for (std::size_t i = 0; i < count; ++i) pcs.push_back(start + (end - start) * i / count);

    std::vector<ember::FrameHandle> keep;
    keep.reserve(count * 2);
    double t2 = thread_ns();
    frames_made = name_all(table, pcs, keep);
    double t3 = thread_ns();
    auto [anon2, file2] = rss_kb();
    keep.clear();
    double t4 = thread_ns();
    name_all(table, pcs, keep);
    double t5 = thread_ns();

    best_detect = std::min(best_detect, t1 - t0);
    best_cold = std::min(best_cold, (t3 - t2) / count);
    best_warm = std::min(best_warm, (t5 - t4) / count);
    if (round == 0) {
      detect_anon = anon1 - anon0;
      detect_file = file1 - file0;
      named_anon = anon2 - anon1;
      named_file = file2 - file1;
      functions = table.function_count();
      version = go->version;
    }
  }
  std::printf("%s (%s, %zu functions, inline trees %s)\n", binary.c_str(), version.c_str(),
              functions, "read");
  std::printf("detect %.2f ms | cold %.0f ns/address | warm %.0f ns/address | %.2f frames/address\n",
              best_detect / 1e6, best_cold, best_warm, double(frames_made) / count);
  std::printf("RSS after detect: +%ld kB anon, +%ld kB file | after naming %zu addresses: "
              "+%ld kB anon (the frames), +%ld kB file\n",
              detect_anon, detect_file, count, named_anon, named_file);
  if (addr2line) {
    double all = addr2line_seconds(binary, pcs, pcs.size());
    double one = addr2line_seconds(binary, pcs, 1);
    if (all < 0 || one < 0) {
      std::printf("go tool addr2line failed\n");
    } else {
      std::printf("go tool addr2line: %.0f ms for one address, %.0f ms for %zu: %.0f ns/address "
                  "after its start\n",
                  one * 1e3, all * 1e3, pcs.size(), (all - one) * 1e9 / pcs.size());
    }
  }
  return 0;
}
