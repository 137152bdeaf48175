#include "cfi_scan.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>

#include "eh_frame_reader.hpp"

namespace ember::native {
namespace {

constexpr std::uint64_t kRbp = 6;  // DWARF register number on x86-64

struct Cie {
  std::uint8_t fde_encoding = 0;  // absptr
  bool has_augmentation_data = false;
  bool rbp_cfa = false;  // its initial instructions already use rbp
};

// Walks CFA instructions; true when one makes rbp the CFA register.
bool moves_cfa_to_rbp(EhFrameReader& in, std::uint8_t fde_encoding) {
  while (!in.at_end() && in.ok()) {
    std::uint8_t op = static_cast<std::uint8_t>(in.fixed(1));
    switch (op >> 6) {
      case 1:
        continue;  // advance_loc
      case 2:
        in.uleb();
        continue;  // offset
      case 3:
        continue;  // restore
    }
    switch (op) {
      case 0x00:
      case 0x0a:
      case 0x0b:
        break;  // nop, remember/restore_state
      case 0x01:
        in.pointer(fde_encoding, 0);
        break;  // set_loc
      case 0x02:
        in.skip(1);
        break;
      case 0x03:
        in.skip(2);
        break;
      case 0x04:
        in.skip(4);
        break;
      case 0x06:
      case 0x07:
      case 0x08:
      case 0x0e:
      case 0x2e:
        in.uleb();
        break;
      case 0x05:
      case 0x09:
      case 0x14:
      case 0x2f:
        in.uleb();
        in.uleb();
        break;
      case 0x11:
      case 0x15:
        in.uleb();
        in.sleb();
        break;
      case 0x13:
        in.sleb();
        break;
      case 0x0c:  // def_cfa reg, offset
        if (in.uleb() == kRbp) return true;
        in.uleb();
        break;
      case 0x12:  // def_cfa_sf reg, offset
        if (in.uleb() == kRbp) return true;
        in.sleb();
        break;
      case 0x0d:  // def_cfa_register
        if (in.uleb() == kRbp) return true;
        break;
      case 0x0f:
        in.skip(in.uleb());
        break;  // def_cfa_expression
      case 0x10:
      case 0x16:
        in.uleb();
        in.skip(in.uleb());
        break;  // (val_)expression
      default:
        in.fail();
        break;
    }
  }
  return false;
}

std::optional<Cie> read_cie(EhFrameReader& in) {
  Cie cie;
  CieHeader header;
  if (!read_cie_header(in, header)) return std::nullopt;
  cie.fde_encoding = header.fde_encoding;
  cie.has_augmentation_data = header.has_augmentation_data;
  if (!in.ok()) return std::nullopt;
  cie.rbp_cfa = moves_cfa_to_rbp(in, cie.fde_encoding);
  if (!in.ok()) return std::nullopt;
  return cie;
}

}  // namespace

bool FramePointerScan::rbp_frame_at(std::uint64_t vaddr) const {
  auto after = std::upper_bound(rbp_frames.begin(), rbp_frames.end(), vaddr,
                                [](std::uint64_t v, const CodeRange& r) { return v < r.start; });
  return after != rbp_frames.begin() && vaddr < std::prev(after)->end;
}

Status scan_eh_frame(std::span<const std::uint8_t> section, std::uint64_t vaddr,
                     FramePointerScan& out) {
  std::unordered_map<std::size_t, std::optional<Cie>> cies;  // by section offset
  std::size_t pos = 0;
  auto bad = [&](std::size_t at, const char* what) {
    std::sort(out.rbp_frames.begin(), out.rbp_frames.end(),
              [](const CodeRange& a, const CodeRange& b) { return a.start < b.start; });
    return Status::error(std::string(".eh_frame: ") + what + " at offset " + std::to_string(at));
  };
  while (section.size() - pos >= 4) {
    EhFrameReader header(section, pos, section.size());
    std::uint64_t length = header.fixed(4);
    if (length == 0) break;  // terminator
    if (length == 0xffffffff) length = header.fixed(8);
    std::size_t body = header.pos();
    if (!header.ok() || length > section.size() - body) return bad(pos, "entry overruns");
    std::size_t end = body + length;
    EhFrameReader in(section, body, end);
    std::uint64_t id = in.fixed(4);
    if (id == 0) {
      EhFrameReader cie_in(section, in.pos(), end);
      cies[pos] = read_cie(cie_in);
    } else {
      if (id > body) return bad(pos, "FDE points before the section");
      std::size_t cie_offset = body - id;
      auto known = cies.find(cie_offset);
      if (known == cies.end()) {
        EhFrameReader cie_header(section, cie_offset, section.size());
        std::uint64_t cie_length = cie_header.fixed(4);
        if (!cie_header.ok() || cie_length == 0xffffffff || cie_length > section.size())
          return bad(pos, "bad CIE pointer");
        EhFrameReader cie_in(section, cie_header.pos() + 4,
                             std::min(section.size(), cie_header.pos() + cie_length));
        known = cies.emplace(cie_offset, read_cie(cie_in)).first;
      }
      if (!known->second) return bad(cie_offset, "unreadable CIE");
      const Cie& cie = *known->second;
      std::uint64_t start = in.pointer(cie.fde_encoding, vaddr + in.pos());
      std::uint64_t range = in.pointer(cie.fde_encoding & 0x0f, 0);
      if (cie.has_augmentation_data) in.skip(in.uleb());
      if (!in.ok()) return bad(pos, "truncated FDE");
      bool rbp = cie.rbp_cfa || moves_cfa_to_rbp(in, cie.fde_encoding);
      if (!in.ok()) return bad(pos, "bad CFA instruction");
      if (range > 0) {  // zero-length FDEs are linker leftovers of discarded code
        ++out.fdes;
        if (rbp) out.rbp_frames.push_back({start, start + range});
      }
    }
    pos = end;
  }
  std::sort(out.rbp_frames.begin(), out.rbp_frames.end(),
            [](const CodeRange& a, const CodeRange& b) { return a.start < b.start; });
  return Status::ok();
}

}  // namespace ember::native
