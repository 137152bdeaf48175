// Writes the seeds of store_blobs_fuzz: a window's refs and metrics blobs in
// both formats, deflated as stored and inflated (the target's bit 3), each
// behind the byte that selects its decoder (see store_blobs_fuzz.cpp).
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>

#include "byte_codec.hpp"
#include "window_blobs.hpp"

namespace {

ember::store::WindowRefs sample_refs() {
  ember::store::WindowRefs refs;
  refs.process_ids = {3, 7, 12};
  refs.thread_ids = {4, 8, 9, 13};
  refs.samples = {{1, 100, 100, 40}, {2, 100, 101, 3}, {5, 200, 200, 1}, {9, 300, 301, 17}};
  return refs;
}

ember::Window sample_metrics() {
  ember::Window window;
  window.start_ns = 1'700'000'000'000'000'000;
  window.end_ns = window.start_ns + 10'000'000'000;
  for (int step = 1; step <= 4; ++step) {
    std::int64_t t = window.start_ns + step * 2'500'000'000;
    window.host_metrics.push_back({t, 0.1 * step, 8ull << 30, 6ull << 30});
    window.process_metrics.push_back({t, 100, 0.8, 100ull << 20});
    window.process_metrics.push_back({t, 200, 0.25, 10ull << 20});
  }
  return window;
}

bool write_seed(const std::string& dir, const std::string& name, std::uint8_t choice,
                const std::string& blob) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.put(static_cast<char>(choice));
  out << blob;
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: write_store_seeds DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  bool ok = true;
  for (std::int64_t format : {1, 2}) {
    const std::uint8_t format_bits = static_cast<std::uint8_t>(format << 1);
    const std::string refs = ember::store::encode_refs(sample_refs(), ember::store::IdOrder::sorted, format);
    const std::string metrics = ember::store::encode_metrics(sample_metrics(), format);
    const std::string f = std::to_string(format);
    ok &= write_seed(dir, "refs-" + f, format_bits, refs);
    ok &= write_seed(dir, "refs-inflated-" + f, format_bits | 8, ember::store::inflate_blob(refs));
    ok &= write_seed(dir, "metrics-" + f, format_bits | 1, metrics);
    ok &= write_seed(dir, "metrics-inflated-" + f, format_bits | 9,
                     ember::store::inflate_blob(metrics));
  }
  if (!ok) std::cerr << "write_store_seeds: cannot write into " << dir << "\n";
  return ok ? 0 : 1;
}
