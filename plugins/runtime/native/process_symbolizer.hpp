// The native ProcessHandler: unwinds the user stack of one process into code
// addresses and names them from the ELF symbols (and DWARF) of what it maps. Each address is resolved once
// (mapping -> file -> load bias -> frames) and cached, so the steady state is
// one hash lookup per address. An address may give several frames (inlined
// functions). Called from one thread at a time (the host's reader).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ember/runtime_plugin.hpp"
#include "native_options.hpp"
#include "symbol_cache.hpp"
#include "unwind_object_cache.hpp"
#include "unwind_state_lru.hpp"
#include "user_stack_unwinder.hpp"

namespace ember::native {

class ProcessSymbolizer final : public ProcessHandler, private UnwindStateLru::Member {
 public:
  // `lru`: which processes keep their unwind state, shared by the plugin's
  // handlers (null: a bound of this handler's own, never reached).
  ProcessSymbolizer(const ProcessRef& process, std::shared_ptr<SymbolCache> cache, Host& host,
                    const NativeOptions& options,
                    std::shared_ptr<UnwindObjectCache> unwind_cache = nullptr,
                    std::shared_ptr<UnwindStateLru> lru = nullptr);
  ~ProcessSymbolizer() override;

  void unwind_user(const ember_sample& sample, NativeStack& stack) override;
  // Appends the frames of one code address (already moved back into the
  // call instruction for return addresses), innermost first.
  void symbolize_native(std::uint64_t pc, std::vector<FrameHandle>& leaf_first) override;
  void on_mappings_changed(const ProcessRef& process) override;

  // Whether this process holds unwind state now (its LRU may have dropped
  // it); for tests.
  bool holds_unwind_state() const { return unwinder_.holds_state() || !frames_.empty(); }

 private:
  // UnwindStateLru::Member: the unwinder's caches and the named addresses;
  // the maps and the opened symbols stay (a process that exited still
  // names what it opened).
  void drop_unwind_state() override;
  // Before the state is built or used: the LRU may drop another's.
  void use_unwind_state();

  using Clock = std::chrono::steady_clock;

  // What was learned about the file of one mapping; parallel to maps_.
  struct ObjectState {
    bool opened = false;
    std::shared_ptr<const BinarySymbols> symbols;
    std::optional<std::uint64_t> bias;
  };

  ChainHandle resolve(std::uint64_t address);
  ChainHandle resolve_mapped(std::size_t index, std::uint64_t address);
  void open_object(std::size_t index);
  void open_objects_of(const std::vector<NativeFrame>& frames);
  // Whether the sample is a new thread's first instructions (see .cpp).
  bool at_thread_start(const ember_sample& sample);
  bool in_function(std::uint64_t pc, std::span<const std::string_view> names);
  bool refresh_due() const;
  void refresh_maps();
  void set_maps(std::vector<Mapping> maps);
  // Frames by address, while some holder (a window, a sample being named)
  // keeps them: a process' cache alone kept every frame it ever named
  // alive, up to max_cached_frames of them, for the process' life. One
  // that has expired is named again: its object's symbols keep what the
  // DWARF said of every address, so that is a lookup in a table.
  using ChainCache = std::unordered_map<std::uint64_t, std::weak_ptr<const FrameChain>>;
  static ChainHandle cached(const ChainCache& cache, std::uint64_t address);
  void remember(ChainCache& cache, std::uint64_t address, const ChainHandle& chain);

  std::uint32_t pid_;
  std::string root_;
  std::shared_ptr<SymbolCache> cache_;
  Host& host_;
  std::chrono::milliseconds refresh_interval_;
  std::size_t max_cached_frames_;

  // Sorted, as /proc/PID/maps; the unwinder shares it.
  std::shared_ptr<const std::vector<Mapping>> maps_ =
      std::make_shared<const std::vector<Mapping>>();
  std::vector<ObjectState> objects_;
  ChainCache frames_;
  // Addresses outside every mapping: retried after the next maps refresh.
  ChainCache unmapped_;
  Clock::time_point last_refresh_;
  std::shared_ptr<UnwindStateLru> lru_;
  std::shared_ptr<UnwindObjectCache> unwind_cache_;
  UserStackUnwinder unwinder_;
};

}  // namespace ember::native
