#include "kernel_symbolizer.hpp"

#include "frame_names.hpp"

namespace ember::native {

void KernelSymbolizer::symbolize(std::span<const __u64> addresses,
                                 std::vector<FrameHandle>& leaf_first) {
  std::lock_guard lock(mutex_);
  if (!loaded_) load();
  leaf_first.reserve(leaf_first.size() + addresses.size());
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    std::uint64_t address = addresses[i];
    // A return address may be the first byte of the next function (after a
    // call to a noreturn function): look up the call instruction instead.
    if (i > 0 && address > 0) --address;
    auto it = frames_.find(address);
    if (it == frames_.end()) {
      if (frames_.size() >= max_cached_frames_) {
        frames_.clear();
        functions_.clear();
      }
      it = frames_.emplace(address, resolve(address)).first;
    }
    leaf_first.push_back(it->second);
  }
}

FrameHandle KernelSymbolizer::resolve(std::uint64_t address) {
  auto found = symbols_.find(address);
  if (!found) return offset_frame("[kernel]", address, FrameKind::kernel);
  // Every address of one function shares its frame.
  FrameHandle& frame = functions_[found->address];
  if (!frame) {
    frame = named_frame(std::string(found->name),
                        found->module.empty() ? "vmlinux" : found->module, FrameKind::kernel);
  }
  return frame;
}

void KernelSymbolizer::load() {
  loaded_ = true;
  if (Status status = KernelSymbols::load(path_, symbols_); !status) {
    host_.log(LogLevel::warn, "kernel frames will be named [kernel]+0x...: " + status.message());
    return;
  }
  if (symbols_.restricted()) {
    host_.log(LogLevel::warn,
              path_ + " shows only zero addresses (kernel.kptr_restrict, or no CAP_SYSLOG): "
                      "kernel frames will be named [kernel]+0x...; run the agent as root or "
                      "set kernel.kptr_restrict=0 to name them");
  }
}

}  // namespace ember::native
