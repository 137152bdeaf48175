#include "mapping_history.hpp"

#include <algorithm>

namespace ember {

void insert_mapping(std::vector<Mapping>& mappings, const Mapping& mapping) {
  std::vector<Mapping> pieces;  // what is left of the mappings it overlaps
  auto first = std::lower_bound(mappings.begin(), mappings.end(), mapping.start,
                                [](const Mapping& m, std::uint64_t at) { return m.end <= at; });
  auto last = first;
  for (; last != mappings.end() && last->start < mapping.end; ++last) {
    if (last->start < mapping.start) {
      Mapping left = *last;
      left.end = mapping.start;
      pieces.push_back(left);
    }
    if (last->end > mapping.end) {
      Mapping right = *last;
      right.offset += mapping.end - last->start;
      right.start = mapping.end;
      pieces.push_back(right);
    }
  }
  pieces.push_back(mapping);
  std::sort(pieces.begin(), pieces.end(),
            [](const Mapping& a, const Mapping& b) { return a.start < b.start; });
  auto at = mappings.erase(first, last);
  mappings.insert(at, pieces.begin(), pieces.end());
}

void MappingHistory::on_exec(std::uint32_t pid, std::uint64_t time_ns) {
  auto known = images_.find(pid);
  if (known == images_.end()) {
    if (images_.size() >= kMaxImages) {
      // The exited first; then, still full, the oldest.
      std::erase_if(images_, [](const auto& entry) { return entry.second.exit_ns != 0; });
      if (images_.size() >= kMaxImages) {
        auto oldest = std::min_element(images_.begin(), images_.end(), [](auto& a, auto& b) {
          return a.second.exec_ns < b.second.exec_ns;
        });
        images_.erase(oldest);
      }
    }
    known = images_.emplace(pid, ExecImage{}).first;
  }
  known->second = ExecImage{};
  known->second.exec_ns = time_ns;
}

void MappingHistory::on_mmap(std::uint32_t pid, const Mapping& mapping) {
  auto known = images_.find(pid);
  if (known == images_.end() || mapping.start >= mapping.end) return;
  ExecImage& image = known->second;
  if (image.mappings.size() >= kMaxMappings) return;
  if (image.exe.empty() && mapping.is_file()) image.exe = mapping.path;
  insert_mapping(image.mappings, mapping);
}

void MappingHistory::on_exit(std::uint32_t pid, std::uint64_t time_ns) {
  auto known = images_.find(pid);
  if (known != images_.end()) known->second.exit_ns = time_ns;
}

void MappingHistory::forget(std::uint64_t exited_before_ns, std::uint64_t execd_before_ns) {
  std::erase_if(images_, [&](const auto& entry) {
    const ExecImage& image = entry.second;
    return (image.exit_ns != 0 && image.exit_ns < exited_before_ns) ||
           image.exec_ns < execd_before_ns;
  });
}

const ExecImage* MappingHistory::image(std::uint32_t pid) const {
  auto known = images_.find(pid);
  return known == images_.end() ? nullptr : &known->second;
}

}  // namespace ember
