#include "address_names.hpp"

namespace ember {

AddressNames::Identity AddressNames::identity_of(const Mapping& mapping) {
  if (!mapping.is_file()) return Identity{0, 0, mapping.start};
  return Identity{(std::uint64_t{mapping.dev_major} << 32) | mapping.dev_minor, mapping.inode, 0};
}

void AddressNames::remember(std::uint64_t pc, const Mapping& mapping,
                            const std::vector<FrameHandle>& frames) {
  if (names_.size() >= max_entries_) names_.clear();
  names_.insert_or_assign(pc, Entry{identity_of(mapping), frames});
}

void AddressNames::forget_changed(const std::vector<Mapping>& mappings) {
  std::erase_if(names_, [&](const auto& entry) {
    const Mapping* now = find_mapping(mappings, entry.first);
    return !now || !(identity_of(*now) == entry.second.mapping);
  });
}

}  // namespace ember
