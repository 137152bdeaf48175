#include "unwind_object_cache.hpp"

namespace ember::native {

std::shared_ptr<const UnwindObject> UnwindObjectCache::get(const MappedFile& file,
                                                           const std::string& path) {
  std::string identity = file.identity().key();
  {
    std::lock_guard lock(mutex_);
    if (failed_.count(identity)) return nullptr;
    if (auto it = by_identity_.find(identity); it != by_identity_.end()) {
      if (auto known = it->second.lock()) return known;
    }
  }
  std::unique_ptr<UnwindObject> opened;
  Status status = UnwindObject::open(file.fd(), path, opened);
  std::lock_guard lock(mutex_);
  if (!status) {
    failed_.insert(identity);
    // The symbol cache already said so for files that are not ELF at all.
    if (!status.message().ends_with("not an ELF file")) {
      host_.log(LogLevel::debug, "no DWARF unwinding through " + status.message());
    }
    return nullptr;
  }
  std::shared_ptr<const UnwindObject> entry = std::move(opened);
  if (!entry->build_id().empty()) {
    auto& same = by_build_id_[entry->build_id()];
    if (auto known = same.lock()) {
      entry = known;
    } else {
      same = entry;
    }
  }
  by_identity_[identity] = entry;
  if (++inserts_since_sweep_ >= 256) {
    inserts_since_sweep_ = 0;
    for (Entries* entries : {&by_identity_, &by_build_id_}) {
      std::erase_if(*entries, [](const auto& item) { return item.second.expired(); });
    }
  }
  return entry;
}

}  // namespace ember::native
