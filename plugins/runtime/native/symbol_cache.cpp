#include "symbol_cache.hpp"

#include "demangle.hpp"
#include "frame_names.hpp"

namespace ember::native {

BinarySymbols::BinarySymbols(ElfFile elf, bool demangle)
    : elf_(std::move(elf)), demangle_(demangle) {}

BinarySymbols::BinarySymbols(std::string error) : error_(std::move(error)) {}

FrameHandle BinarySymbols::function_frame(std::size_t index, std::string_view module) const {
  std::lock_guard lock(mutex_);
  auto it = frames_.find(index);
  if (it != frames_.end() && it->second->module == module) return it->second;
  std::string_view symbol = elf_.function(index).name;
  FrameHandle frame = named_frame(demangle_ ? demangle(symbol) : std::string(symbol), module,
                                  FrameKind::native);
  // The same object under two names (rare): only the first name is shared.
  if (it == frames_.end()) frames_.emplace(index, frame);
  return frame;
}

std::shared_ptr<const BinarySymbols> SymbolCache::lookup(Entries& entries, const std::string& key) {
  auto it = entries.find(key);
  if (it == entries.end()) return nullptr;
  return it->second.lock();
}

std::shared_ptr<const BinarySymbols> SymbolCache::get(const MappedFile& file,
                                                      const std::string& path) {
  std::string identity = file.identity().key();
  {
    std::lock_guard lock(mutex_);
    if (auto known = lookup(by_identity_, identity)) return known;
  }
  // Read outside the lock: a big binary takes a while, other processes need not wait.
  ElfFile elf;
  Status status = ElfFile::open_fd(file.fd(), path, elf, ElfReadOptions{.data_symbols = false});
  std::shared_ptr<const BinarySymbols> entry =
      status ? std::make_shared<const BinarySymbols>(std::move(elf), demangle_)
             : std::make_shared<const BinarySymbols>(status.message());

  std::lock_guard lock(mutex_);
  if (entry->readable() && !entry->elf().build_id().empty()) {
    // Another path (or container) may already have brought the same build.
    if (auto same = lookup(by_build_id_, entry->elf().build_id())) {
      entry = same;
    } else {
      by_build_id_[entry->elf().build_id()] = entry;
    }
  }
  if (!entry->readable() && reported_.insert(identity).second) {
    // Executable memfds of JITs are not ELF at all: expected, not worth a warning.
    bool foreign = entry->error().ends_with("not an ELF file");
    host_.log(foreign ? LogLevel::debug : LogLevel::warn,
              "cannot read symbols, frames will be named module+offset: " + entry->error());
  }
  by_identity_[identity] = entry;
  if (++inserts_since_sweep_ >= 256) sweep();
  return entry;
}

void SymbolCache::sweep() {
  inserts_since_sweep_ = 0;
  for (Entries* entries : {&by_identity_, &by_build_id_}) {
    std::erase_if(*entries, [](const auto& item) { return item.second.expired(); });
  }
}

std::size_t SymbolCache::live_entries() {
  std::lock_guard lock(mutex_);
  sweep();
  std::unordered_set<const BinarySymbols*> live;
  for (const auto& [key, weak] : by_identity_) {
    if (auto entry = weak.lock()) live.insert(entry.get());
  }
  return live.size();
}

}  // namespace ember::native
