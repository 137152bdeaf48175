#include "detect.hpp"

#include <iterator>

namespace ember::jvm {

bool is_libjvm_name(std::string_view path) {
  return path.substr(path.rfind('/') + 1) == "libjvm.so";
}

std::optional<std::uint64_t> LibJvm::bias(std::uint64_t start, std::uint64_t offset) const {
  for (const ElfLoadSegment& segment : segments) {
    if (offset < segment.offset || offset - segment.offset >= segment.filesz) continue;
    return start - (segment.vaddr + (offset - segment.offset));
  }
  return std::nullopt;
}

Status detect(const std::string& open_path, LibJvm& out, bool& found) {
  found = false;
  ElfFile file;
  if (Status status = ElfFile::open(open_path, file); !status) return status;
  found = true;
  for (std::size_t i = 0; i < std::size(kVmStructsSymbolNames); ++i) {
    auto symbol = file.find_symbol(kVmStructsSymbolNames[i]);
    if (!symbol || symbol->address == 0) {
      return Status::error("no " + std::string(kVmStructsSymbolNames[i]) +
                           " symbol: not a HotSpot VM with vmStructs");
    }
    symbol_slot(out.symbols, i) = symbol->address;
  }
  auto segments = file.load_segments();
  out.segments.assign(segments.begin(), segments.end());
  return Status::ok();
}

std::optional<std::uint64_t> libjvm_bias(const LibJvm& jvm, const std::vector<Mapping>& mappings,
                                         const std::string& path) {
  for (const Mapping& mapping : mappings) {
    if (mapping.path != path) continue;
    if (auto bias = jvm.bias(mapping.start, mapping.offset)) return bias;
  }
  return std::nullopt;
}

}  // namespace ember::jvm
