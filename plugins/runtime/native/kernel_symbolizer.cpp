#include "kernel_symbolizer.hpp"

#include "ember/private_files.hpp"
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
    std::optional<std::uint32_t> known = by_address_.find(address);
    if (!known) {
      if (by_address_.size() >= max_cached_frames_) {
        by_address_.clear();
        by_function_.clear();
        frames_ = std::vector<FrameHandle>();
      }
      known = resolve(address);
      by_address_.insert(address, *known);
    }
    leaf_first.push_back(frames_[*known]);
  }
}

std::uint32_t KernelSymbolizer::resolve(std::uint64_t address) {
  const KernelSymbols* table = &symbols_;
  if (from_saved_ && !saved_covers(address)) {
    table = &outside_;
    if (!outside_.find(address)) load_outside();
  }
  auto found = table->find(address);
  const auto next = static_cast<std::uint32_t>(frames_.size());
  if (!found) {
    frames_.push_back(offset_frame("[kernel]", address, frame_kind::kernel));
    return next;
  }
  // Every address of one function shares its frame.
  if (std::optional<std::uint32_t> known = by_function_.find(found->address)) return *known;
  frames_.push_back(named_frame(std::move(found->name),
                                found->module.empty() ? "vmlinux" : found->module,
                                frame_kind::kernel));
  by_function_.insert(found->address, next);
  return next;
}

void KernelSymbolizer::load() {
  loaded_ = true;
  if (!saved_path_.empty()) {
    if (Status status = kernel_symbols_key({.kallsyms = path_}, key_); !status) {
      host_.log(LogLevel::debug, "kernel symbols are not saved: " + status.message());
      saved_path_.clear();
    } else if (load_saved()) {
      return;
    }
  }
  load_live();
  if (saved_path_.empty() || symbols_.restricted() || symbols_.size() == 0) return;
  if (Status status = save_kernel_symbols(saved_path_, key_.text, symbols_); !status) {
    host_.log(LogLevel::debug, "kernel symbols are not saved: " + status.message());
    return;
  }
  // Looked up from the file from now on, as the next start will: the parsed
  // table (~5 MB for a distribution kernel) leaves the heap; what the saved
  // table leaves out (BPF programs) is read from kallsyms when asked.
  load_saved();
}

bool KernelSymbolizer::load_saved() {
  // Kernel addresses are what /proc/kallsyms hides from other users: a file
  // an older ember left readable is made private before it is used.
  bool made_private = false;
  if (Status status = make_private_like_new(saved_path_, made_private); !status) {
    host_.log(LogLevel::warn, status.message());
  }
  if (made_private) host_.log(LogLevel::info, "made " + saved_path_ + " private");
  if (Status status = read_saved_kernel_symbols(saved_path_, key_.text, symbols_); !status) {
    host_.log(LogLevel::debug, "reading " + path_ + ": " + status.message());
    return false;
  }
  from_saved_ = true;
  covered_ = key_.modules;
  const auto& image = symbols_.image_text();
  covered_.insert(covered_.end(), image.begin(), image.end());
  // Without the image's bounds nothing can be judged: trust the table.
  if (image.empty()) from_saved_ = false;
  host_.log(LogLevel::debug, "kernel symbols read from " + saved_path_);
  return true;
}

bool KernelSymbolizer::saved_covers(std::uint64_t address) const {
  for (auto [start, end] : covered_) {
    if (start <= address && address < end) return true;
  }
  return false;
}

void KernelSymbolizer::load_outside() {
  constexpr auto kReadAgainAfter = std::chrono::minutes(1);
  auto now = std::chrono::steady_clock::now();
  if (outside_read_ && now - *outside_read_ < kReadAgainAfter) return;
  outside_read_ = now;
  KernelSymbols read;
  Status status = KernelSymbols::load(path_, read,
                                      [this](std::uint64_t at) { return !saved_covers(at); });
  if (!status) {
    host_.log(LogLevel::debug, "kernel symbols outside the saved table: " + status.message());
    return;
  }
  outside_ = std::move(read);
  by_function_.clear();  // an address may name another program now
}

void KernelSymbolizer::load_live() {
  if (Status status = KernelSymbols::load(path_, symbols_); !status) {
    host_.log(LogLevel::warn, "kernel frames will be named [kernel]+0x...: " + status.message());
    return;
  }
  if (symbols_.restricted()) {
    host_.log(LogLevel::warn,
              path_ +
                  " shows only zero addresses (kernel.kptr_restrict, or no CAP_SYSLOG): "
                  "kernel frames will be named [kernel]+0x...; run the agent as root or "
                  "set kernel.kptr_restrict=0 to name them");
  }
}

}  // namespace ember::native
