// The native runtime plugin: every process' user stack (C, C++, Rust, ...)
// named from ELF symbols, and kernel stacks named from kallsyms. Symbols are
// shared across processes by build id (SymbolCache).
#pragma once

#include <memory>

#include "ember/runtime_plugin.hpp"
#include "kernel_symbolizer.hpp"
#include "native_options.hpp"
#include "symbol_cache.hpp"
#include "unwind_object_cache.hpp"
#include "unwind_state_lru.hpp"

namespace ember::native {

class NativePlugin final : public RuntimePlugin {
 public:
  std::string_view name() const override { return "native"; }
  Status configure(const Options& options, Host& host) override;
  bool handles_every_process() const override { return true; }
  std::unique_ptr<ProcessHandler> attach(const ProcessRef& process,
                                         std::shared_ptr<const BinaryData> data) override;
  void symbolize_kernel(std::span<const __u64> addresses,
                        std::vector<FrameHandle>& leaf_first) override;

  // Shared by every handler; exposed for tests.
  const std::shared_ptr<SymbolCache>& symbol_cache() const { return cache_; }

 private:
  Host* host_ = nullptr;
  NativeOptions options_;
  std::shared_ptr<SymbolCache> cache_;
  std::shared_ptr<UnwindObjectCache> unwind_cache_;
  std::shared_ptr<UnwindStateLru> unwind_states_;
  std::unique_ptr<KernelSymbolizer> kernel_;
};

}  // namespace ember::native
