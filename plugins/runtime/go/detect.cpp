#include "detect.hpp"

#include <cstring>
#include <string_view>
#include <utility>

namespace ember::go {
namespace {

constexpr std::string_view kBuildInfoMagic = "\xff Go buildinf:";
// Header magics with the bytes after them (two zero pads, quantum 1, 8-byte
// pointers: amd64), as they appear in the file.
constexpr std::uint8_t kMagicPrefixes[][8] = {
    {0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8},
    {0xf0, 0xff, 0xff, 0xff, 0, 0, 1, 8},
    {0xfa, 0xff, 0xff, 0xff, 0, 0, 1, 8},
    {0xfb, 0xff, 0xff, 0xff, 0, 0, 1, 8},
};

std::uint64_t load64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// The pclntab by section, else by scanning the loaded bytes for a magic
// whose table parses. Returns the first error met when nothing parses.
Status find_pclntab(const ElfView& file, GoBinary& out, bool& found) {
  found = false;
  for (const char* name : {".gopclntab", ".data.rel.ro.gopclntab"}) {
    const ElfSection* s = file.section(name);
    if (!s) continue;
    found = true;
    if (!s->has_bytes) return Status::error(std::string(name) + " has no bytes in the file");
    out.pclntab_vaddr = s->vaddr;
    return Pclntab::parse(file.bytes().subspan(s->offset, s->size), s->vaddr, out.table);
  }
  // The Go linker names the section; an external link (cgo, c-shared) merges
  // it into .data.rel.ro but keeps Go's notes. A file with section headers and
  // neither is not Go, and is not scanned.
  if (!file.sections().empty() && !file.section(".go.buildinfo") &&
      !file.section(".note.go.buildid")) {
    return Status::ok();
  }
  Status first_error = Status::ok();
  std::span<const std::uint8_t> bytes = file.bytes();
  for (const ElfSegment& segment : file.segments()) {
    if (segment.executable || segment.offset > bytes.size()) continue;
    std::span<const std::uint8_t> data =
        bytes.subspan(segment.offset, std::min<std::uint64_t>(segment.filesz,
                                                              bytes.size() - segment.offset));
    // The linker aligns the table to at least 8 bytes.
    for (std::size_t at = 0; at + 8 <= data.size(); at += 8) {
      if (data[at + 1] != 0xff || data[at + 2] != 0xff || data[at + 3] != 0xff) continue;
      bool magic = false;
      for (const auto& prefix : kMagicPrefixes) magic |= std::memcmp(data.data() + at, prefix, 8) == 0;
      if (!magic) continue;
      found = true;
      std::uint64_t vaddr = segment.vaddr + at;
      Pclntab table;
      Status status = Pclntab::parse(data.subspan(at), vaddr, table);
      if (status) {
        out.pclntab_vaddr = vaddr;
        out.table = std::move(table);
        return Status::ok();
      }
      if (first_error) first_error = status;
    }
  }
  return first_error;
}

// runtime.buildVersion from the build info blob (debug/buildinfo's format).
std::string build_version(const ElfView& file) {
  std::span<const std::uint8_t> bytes = file.bytes();
  std::span<const std::uint8_t> blob;
  if (const ElfSection* s = file.section(".go.buildinfo"); s && s->has_bytes && s->size >= 32) {
    blob = bytes.subspan(s->offset, s->size);
  } else {
    for (const ElfSegment& segment : file.segments()) {
      if (!segment.writable || segment.offset > bytes.size()) continue;
      std::uint64_t size = std::min<std::uint64_t>(segment.filesz, bytes.size() - segment.offset);
      std::string_view data(reinterpret_cast<const char*>(bytes.data() + segment.offset), size);
      for (std::size_t at = data.find(kBuildInfoMagic); at != std::string_view::npos;
           at = data.find(kBuildInfoMagic, at + 1)) {
        if ((segment.vaddr + at) % 16 == 0 && size - at >= 32) {
          blob = bytes.subspan(segment.offset + at, size - at);
          break;
        }
      }
      if (!blob.empty()) break;
    }
  }
  if (blob.size() < 32 || std::memcmp(blob.data(), kBuildInfoMagic.data(), 14) != 0) return {};
  std::uint8_t ptr_size = blob[14], flags = blob[15];
  if (flags & 2) {
    // Go 1.18+: a uvarint length and the bytes, right after the header.
    std::size_t at = 32;
    std::uint64_t length = 0;
    for (unsigned shift = 0; at < blob.size() && shift < 64; shift += 7) {
      std::uint8_t b = blob[at++];
      length |= std::uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) break;
    }
    if (length == 0 || length > 64 || blob.size() - at < length) return {};
    return std::string(reinterpret_cast<const char*>(blob.data() + at), length);
  }
  if (ptr_size != 8 || flags != 0) return {};
  // Before 1.18: the address of a Go string header {data, len}.
  auto header = file.at_vaddr(load64(blob.data() + 16), 16);
  if (header.size() != 16) return {};
  std::uint64_t length = load64(header.data() + 8);
  if (length == 0 || length > 64) return {};
  auto text = file.at_vaddr(load64(header.data()), length);
  return std::string(reinterpret_cast<const char*>(text.data()), text.size());
}

// moduledata.gofunc (Go 1.18+). moduledata starts {pcHeader *, funcnametab
// []byte, ...}; gofunc is its word 38 in 1.18-1.19 and 40 from 1.20 (which
// added covctrs, ecovctrs); its `text` (word 22) is at or before the first
// function, and gofunc lies in the file.
Status find_gofunc(const GoBinary& binary, std::uint64_t& gofunc) {
  const ElfView& file = binary.file;
  std::span<const std::uint8_t> bytes = file.bytes();
  std::size_t gofunc_word = binary.table.version() == PclntabVersion::go120 ? 40 : 38;
  std::size_t words = gofunc_word + 1;
  auto funcnames = file.at_vaddr(binary.pclntab_vaddr + 8 + 3 * 8, 8);
  if (funcnames.size() != 8) return Status::error("its pclntab header is not mapped");
  std::uint64_t funcnametab = binary.pclntab_vaddr + load64(funcnames.data());
  for (const ElfSegment& segment : file.segments()) {
    if (!segment.writable || segment.offset > bytes.size()) continue;
    std::uint64_t size = std::min<std::uint64_t>(segment.filesz, bytes.size() - segment.offset);
    const std::uint8_t* data = bytes.data() + segment.offset;
    for (std::uint64_t at = 0; at + words * 8 <= size; at += 8) {
      if (load64(data + at) != binary.pclntab_vaddr) continue;
      if (load64(data + at + 8) != funcnametab) continue;
      std::uint64_t text = load64(data + at + 22 * 8);
      if (text > binary.table.text_start()) continue;
      std::uint64_t candidate = load64(data + at + gofunc_word * 8);
      if (file.at_vaddr(candidate, 1).empty()) continue;
      gofunc = candidate;
      return Status::ok();
    }
  }
  return Status::error("no moduledata points at its pclntab");
}

}  // namespace

Status detect(ElfView file, GoBinary& out) {
  out = GoBinary();
  out.file = std::move(file);
  bool found = false;
  Status status = find_pclntab(out.file, out, found);
  if (!found) return Status::ok();
  out.is_go = true;
  out.version = build_version(out.file);
  if (!status) return status;

  std::uint64_t gofunc = 0;  // 1.16's funcdata are addresses: no base
  if (out.table.version() != PclntabVersion::go116) {
    if (Status found_gofunc = find_gofunc(out, gofunc); !found_gofunc) {
      out.inline_trees_missing = found_gofunc.message();
      return Status::ok();
    }
  }
  out.inline_trees = true;
  // By value: the mapping stays where it is when the GoBinary moves.
  out.table.set_inline_data(
      [bytes = out.file.bytes(), segments = out.file.segments()](std::uint64_t vaddr,
                                                                 std::uint64_t size) {
        return bytes_at_vaddr(bytes, segments, vaddr, size);
      },
      gofunc);
  return Status::ok();
}

Status detect(const std::string& path, GoBinary& out) {
  ElfView file;
  if (auto status = ElfView::open(path, file); !status) {
    out = GoBinary();
    return status;
  }
  return detect(std::move(file), out);
}

}  // namespace ember::go
