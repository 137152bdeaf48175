#include "unwind_object_cache.hpp"

namespace ember::native {

std::shared_ptr<const UnwindObject> UnwindObjectCache::get(const MappedFile& file,
                                                           const std::string& path) {
  std::string identity = file.identity().key();
  std::shared_ptr<const UnwindObject> pushed_out;  // let go after the lock
  {
    std::lock_guard lock(mutex_);
    if (failed_.count(identity)) return nullptr;
    if (auto it = by_identity_.find(identity); it != by_identity_.end()) {
      if (auto known = it->second.lock()) {
        pushed_out = kept_.touch(known, Clock::now());
        return known;
      }
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
  pushed_out = kept_.touch(entry, Clock::now());
  return entry;
}

void UnwindObjectCache::expire_kept(Clock::time_point now) {
  if (!kept_.expiry_due(now)) return;
  std::vector<std::shared_ptr<const UnwindObject>> expired;  // let go after the lock
  std::lock_guard lock(mutex_);
  expired = kept_.expire(now);
}

}  // namespace ember::native
