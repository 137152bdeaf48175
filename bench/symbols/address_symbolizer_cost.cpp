// What the host pays per sample to route user addresses, and per re-read of
// a process' maps: StackBuilder::build on this very process, whose stack is
// `--frames` return addresses in a dlopen()ed library (default: libc), named
//   1. by the native plugin alone (no claims: the native path),
//   2. by an address symbolizer claiming the library, answers in the host's
//      cache (cached),
//   3. the same with the range marked !cacheable: one symbolize_addresses
//      call per sample (uncached; the bench's claimer answers from a table,
//      so this is the host's cost, not a plugin's);
// and RuntimeAttacher::refresh after a new mapping: a copy of the library
// (a new file with a known build id) dlopen()ed before each refresh, and
// a refresh that finds the maps unchanged. Thread CPU time, least of 5
// rounds. No root.
//   ember_bench_address_symbolizer [--frames N] [--samples N] [LIBRARY]
#include <dlfcn.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "agent/runtime_attacher.hpp"
#include "agent/stack_builder.hpp"
#include "bench_clock.hpp"
#include "native_plugin.hpp"

namespace {

using Clock = ember::bench::ThreadCpuClock;
using ember::bench::ns_per;

// Claims [start, end) and names each address from a table made up front.
class TableSymbolizer final : public ember::ProcessHandler {
 public:
  TableSymbolizer(std::uint64_t start, std::uint64_t end, bool cacheable)
      : range_{start, end, cacheable},
        frame_(std::make_shared<const ember::Frame>(
            ember::Frame{"jitted", "", "", 0, ember::frame_kind::java, false})) {}
  void code_ranges(std::vector<ember::CodeRange>& ranges) const override {
    ranges.push_back(range_);
  }
  void symbolize_addresses(std::span<const std::uint64_t> pcs,
                           std::vector<std::vector<ember::FrameHandle>>& frames) override {
    for (std::size_t i = 0; i < pcs.size(); ++i) frames[i].push_back(frame_);
  }

 private:
  ember::CodeRange range_;
  ember::FrameHandle frame_;
};

// Probes every binary (claims none): what a re-probe costs a probing plugin's host.
class ProbeEverything final : public ember::RuntimePlugin {
 public:
  std::string_view name() const override { return "probe"; }
  ember::Status configure(const ember::Options&, ember::Host&) override {
    return ember::Status::ok();
  }
  std::shared_ptr<const ember::BinaryData> probe(const ember::BinaryRef&) override {
    return nullptr;
  }
  std::unique_ptr<ember::ProcessHandler> attach(const ember::ProcessRef&,
                                                std::shared_ptr<const ember::BinaryData>) override {
    return nullptr;
  }
};

template <typename Plugin>
ember::PluginInstance<ember::RuntimePlugin> instance(std::unique_ptr<Plugin> plugin,
                                                     ember::Options options = {}) {
  std::string name(plugin->name());
  auto host = std::make_unique<ember::HostHandle>("runtime." + name, nullptr);
  if (ember::Status status = plugin->configure(options, *host); !status) {
    std::fprintf(stderr, "%s\n", status.message().c_str());
    std::exit(1);
  }
  return ember::PluginInstance<ember::RuntimePlugin>{name, nullptr, std::move(host),
                                                     std::move(plugin)};
}

}  // namespace

int main(int argc, char** argv) {
  std::string library = "/usr/lib/x86_64-linux-gnu/libc.so.6";
  std::size_t frames = 32;
  std::size_t samples = 20000;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--frames" && i + 1 < argc) {
      frames = std::min<std::size_t>(std::stoul(argv[++i]), EMBER_MAX_USER_FRAMES);
    } else if (arg == "--samples" && i + 1 < argc) {
      samples = std::stoul(argv[++i]);
    } else {
      library = arg;
    }
  }
  if (!dlopen(library.c_str(), RTLD_LAZY | RTLD_LOCAL)) {
    std::fprintf(stderr, "cannot dlopen %s: %s\n", library.c_str(), dlerror());
    return 1;
  }
  ember::PluginSet plugins;
  plugins.runtimes.push_back(instance(std::make_unique<ember::native::NativePlugin>(),
                                      {{"maps_refresh_interval_ms", {std::int64_t{0}, ""}}}));
  plugins.runtimes.push_back(instance(std::make_unique<ProbeEverything>()));
  ember::RuntimeAttacher attacher(plugins);
  ember::ProcessState process;
  ember::read_process(static_cast<std::uint32_t>(getpid()), process);
  attacher.attach(process);
  const ember::Mapping* code = nullptr;
  for (const ember::Mapping& mapping : process.mappings) {
    if (mapping.executable && mapping.path == std::filesystem::canonical(library)) code = &mapping;
  }
  if (!code || !process.native) {
    std::fprintf(stderr, "%s has no executable mapping here\n", library.c_str());
    return 1;
  }

  auto sample = std::make_unique<ember_sample>();
  sample->user_frame_count = static_cast<std::uint32_t>(frames);
  const std::uint64_t step = (code->end - code->start) / (frames + 1);
  for (std::size_t i = 0; i < frames; ++i) sample->user_frames[i] = code->start + (i + 1) * step;
  // As in the agent: every sample's addresses checked against the known
  // mappings (all are known here, so the re-read is never asked for).
  ember::StackBuilder builder(nullptr, [](ember::ProcessState&) { return false; });
  std::vector<ember::FrameHandle> stack;
  auto per_sample = [&] {
    Clock::duration best = Clock::duration::max();
    for (int round = 0; round < 5; ++round) {
      builder.build(*sample, process, stack);  // warm: caches filled
      Clock::time_point begin = Clock::now();
      for (std::size_t i = 0; i < samples; ++i) builder.build(*sample, process, stack);
      best = std::min(best, Clock::now() - begin);
    }
    return ns_per(best, samples);
  };
  const double native = per_sample();

  auto claim = [&](bool cacheable) {
    process.handlers.push_back(std::make_unique<TableSymbolizer>(code->start, code->end, cacheable));
    process.code_claims.collect(process.handlers);
    process.code_names.clear();
    double cost = per_sample();
    process.handlers.pop_back();
    process.code_claims.collect(process.handlers);
    return cost;
  };
  const double cached = claim(true);
  const double uncached = claim(false);

  // A new mapping per refresh: copies of the library, each a new file.
  const std::string dir = "/tmp/ember-bench-remap-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  Clock::duration refresh_new = Clock::duration::max();
  Clock::duration refresh_same = Clock::duration::max();
  const int copies = 8;
  for (int i = 0; i < copies; ++i) {
    std::string copy = dir + "/copy" + std::to_string(i) + ".so";
    std::filesystem::copy_file(library, copy);
    if (!dlopen(copy.c_str(), RTLD_LAZY | RTLD_LOCAL)) {
      std::fprintf(stderr, "cannot dlopen %s: %s\n", copy.c_str(), dlerror());
      return 1;
    }
    Clock::time_point begin = Clock::now();
    attacher.refresh(process);
    refresh_new = std::min(refresh_new, Clock::now() - begin);
    begin = Clock::now();
    attacher.refresh(process);
    refresh_same = std::min(refresh_same, Clock::now() - begin);
  }
  std::filesystem::remove_all(dir);

  std::printf("library %s, %zu frames per sample, %zu mappings in this process\n", library.c_str(),
              frames, process.mappings.size());
  std::printf("per sample, native path (no claims):        %8.0f ns (%.1f per frame)\n", native,
              native / static_cast<double>(frames));
  std::printf("per sample, address symbolizer, cached:     %8.0f ns (%.1f per frame)\n", cached,
              cached / static_cast<double>(frames));
  std::printf("per sample, address symbolizer, uncached:   %8.0f ns (%.1f per frame)\n", uncached,
              uncached / static_cast<double>(frames));
  std::printf("refresh after a new mapping (a new file):   %8.1f us\n", ns_per(refresh_new, 1000));
  std::printf("refresh, maps unchanged:                    %8.1f us\n", ns_per(refresh_same, 1000));
  return 0;
}
