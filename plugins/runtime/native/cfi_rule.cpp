#include "cfi_rule.hpp"

#include <array>
#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include "eh_frame_reader.hpp"
#include "unwind_object.hpp"

namespace ember::native {
namespace {

// DWARF register numbers on x86-64.
constexpr std::uint64_t kRegRbx = 3;
constexpr std::uint64_t kRegRbp = 6;
constexpr std::uint64_t kRegRsp = 7;
constexpr std::uint64_t kRegReturnAddress = 16;

struct RegisterRule {
  enum class Kind : std::uint8_t { same, at_offset, undefined, unsupported };
  Kind kind = Kind::same;
  std::int64_t offset = 0;
};

struct CfaRow {
  enum class Cfa : std::uint8_t { sp, bp, unsupported };
  Cfa cfa = Cfa::sp;
  std::int64_t cfa_offset = 0;
  RegisterRule return_address, bp, bx;

  // The rule of a register the step needs; nullptr for the others.
  RegisterRule* tracked(std::uint64_t reg) {
    return const_cast<RegisterRule*>(static_cast<const CfaRow*>(this)->tracked(reg));
  }
  const RegisterRule* tracked(std::uint64_t reg) const {
    switch (reg) {
      case kRegReturnAddress:
        return &return_address;
      case kRegRbp:
        return &bp;
      case kRegRbx:
        return &bx;
      default:
        return nullptr;
    }
  }
};

struct CieFields {
  std::uint64_t code_align = 1;
  std::int64_t data_align = 1;
  std::uint8_t fde_encoding = 0;
  bool has_augmentation_data = false;
  std::size_t instructions = 0;  // where they start in the CIE's bytes
};

// The CIE's fields, from its id on; false for a form left to libunwind.
bool parse_cie(std::span<const std::uint8_t> bytes, CieFields& cie) {
  EhFrameReader in(bytes, 0, bytes.size());
  if (in.fixed(4) != 0) return false;  // not a CIE
  CieHeader header;
  if (!read_cie_header(in, header)) return false;
  if (header.version != 1 && header.version != 3) return false;
  if (!header.augmentation.empty() && !header.has_augmentation_data) return false;  // "eh"
  // A signal frame's CIE: libunwind restores every register of its frames.
  if (header.signal_frame || header.unknown_augmentation) return false;
  if (header.return_register != kRegReturnAddress) return false;
  cie.code_align = header.code_align;
  cie.data_align = header.data_align;
  cie.fde_encoding = header.fde_encoding;
  cie.has_augmentation_data = header.has_augmentation_data;
  cie.instructions = in.pos();
  // FDE addresses absolute or pc-relative, as every x86-64 linker writes them.
  const std::uint8_t application = cie.fde_encoding & 0x70;
  if (application != 0 && application != kEhPePcrel) return false;
  return in.ok() && cie.code_align != 0;
}

// Runs CFA instructions from `in` on `row` until the location passes `pc`
// (or the instructions end). `initial` is the CIE's row (for restore);
// `base_vaddr` is where the bytes `in` reads are loaded (for set_loc).
// False for an instruction the step does not follow.
bool run(EhFrameReader& in, const CieFields& cie, std::uint64_t pc, std::uint64_t base_vaddr,
         const CfaRow& initial, std::uint64_t& loc, CfaRow& row) {
  constexpr std::size_t kMaxRemembered = 8;
  std::array<CfaRow, kMaxRemembered> remembered;
  std::size_t depth = 0;
  auto advance = [&](std::uint64_t delta) {
    std::uint64_t next = loc + delta * cie.code_align;
    if (next > pc) return false;
    loc = next;
    return true;
  };
  auto set_offset = [&](std::uint64_t reg, std::int64_t offset) {
    if (RegisterRule* rule = row.tracked(reg)) *rule = {RegisterRule::Kind::at_offset, offset};
  };
  auto set_kind = [&](std::uint64_t reg, RegisterRule::Kind kind) {
    if (RegisterRule* rule = row.tracked(reg)) *rule = {kind, 0};
  };
  auto restore = [&](std::uint64_t reg) {
    if (RegisterRule* rule = row.tracked(reg)) *rule = *initial.tracked(reg);
  };
  auto def_cfa = [&](std::uint64_t reg, std::int64_t offset) {
    row.cfa = reg == kRegRsp   ? CfaRow::Cfa::sp
              : reg == kRegRbp ? CfaRow::Cfa::bp
                               : CfaRow::Cfa::unsupported;
    row.cfa_offset = offset;
  };
  while (!in.at_end() && in.ok()) {
    const auto op = static_cast<std::uint8_t>(in.fixed(1));
    switch (op >> 6) {
      case 1:  // advance_loc
        if (!advance(op & 0x3f)) return true;
        continue;
      case 2:  // offset
        set_offset(op & 0x3f, static_cast<std::int64_t>(in.uleb()) * cie.data_align);
        continue;
      case 3:  // restore
        restore(op & 0x3f);
        continue;
    }
    switch (op) {
      case 0x00:  // nop
        break;
      case 0x01: {  // set_loc
        std::uint64_t at = in.pointer(cie.fde_encoding, base_vaddr + in.pos());
        if (at > pc) return true;
        loc = at;
        break;
      }
      case 0x02:  // advance_loc1
        if (!advance(in.fixed(1))) return true;
        break;
      case 0x03:  // advance_loc2
        if (!advance(in.fixed(2))) return true;
        break;
      case 0x04:  // advance_loc4
        if (!advance(in.fixed(4))) return true;
        break;
      case 0x05: {  // offset_extended
        std::uint64_t reg = in.uleb();
        set_offset(reg, static_cast<std::int64_t>(in.uleb()) * cie.data_align);
        break;
      }
      case 0x06:  // restore_extended
        restore(in.uleb());
        break;
      case 0x07:  // undefined
        set_kind(in.uleb(), RegisterRule::Kind::undefined);
        break;
      case 0x08:  // same_value
        set_kind(in.uleb(), RegisterRule::Kind::same);
        break;
      case 0x09: {  // register: a tracked register kept in another
        std::uint64_t reg = in.uleb();
        in.uleb();
        set_kind(reg, RegisterRule::Kind::unsupported);
        break;
      }
      case 0x0a:  // remember_state
        if (depth == kMaxRemembered) return false;
        remembered[depth++] = row;
        break;
      case 0x0b:  // restore_state: the CFA too, as libgcc and libunwind do
        if (depth == 0) return false;
        row = remembered[--depth];
        break;
      case 0x0c: {  // def_cfa
        std::uint64_t reg = in.uleb();
        def_cfa(reg, static_cast<std::int64_t>(in.uleb()));
        break;
      }
      case 0x0d: {  // def_cfa_register
        std::uint64_t reg = in.uleb();
        if (row.cfa != CfaRow::Cfa::unsupported) def_cfa(reg, row.cfa_offset);
        break;
      }
      case 0x0e:  // def_cfa_offset
        row.cfa_offset = static_cast<std::int64_t>(in.uleb());
        break;
      case 0x0f:  // def_cfa_expression
        in.skip(in.uleb());
        row.cfa = CfaRow::Cfa::unsupported;
        break;
      case 0x10:    // expression
      case 0x16: {  // val_expression
        std::uint64_t reg = in.uleb();
        in.skip(in.uleb());
        set_kind(reg, RegisterRule::Kind::unsupported);
        break;
      }
      case 0x11: {  // offset_extended_sf
        std::uint64_t reg = in.uleb();
        set_offset(reg, in.sleb() * cie.data_align);
        break;
      }
      case 0x12: {  // def_cfa_sf
        std::uint64_t reg = in.uleb();
        def_cfa(reg, in.sleb() * cie.data_align);
        break;
      }
      case 0x13:  // def_cfa_offset_sf
        row.cfa_offset = in.sleb() * cie.data_align;
        break;
      case 0x14:    // val_offset
      case 0x15: {  // val_offset_sf
        std::uint64_t reg = in.uleb();
        if (op == 0x14)
          in.uleb();
        else
          in.sleb();
        set_kind(reg, RegisterRule::Kind::unsupported);
        break;
      }
      case 0x2e:  // GNU_args_size: only for landing pads
        in.uleb();
        break;
      default:  // GNU_negative_offset_extended, vendor extensions
        return false;
    }
  }
  return in.ok();
}

// An offset the rule holds; false for one beyond ±2 GiB (no real frame).
bool narrow(std::int64_t wide, std::int32_t& out) {
  if (wide < INT32_MIN || wide > INT32_MAX) return false;
  out = static_cast<std::int32_t>(wide);
  return true;
}

bool saved(const RegisterRule& from, CfiRule::Saved& kind, std::int32_t& offset) {
  if (from.kind == RegisterRule::Kind::same) {
    kind = CfiRule::Saved::same;
    return true;
  }
  if (from.kind != RegisterRule::Kind::at_offset) return false;
  kind = CfiRule::Saved::at_offset;
  return narrow(from.offset, offset);
}

// An entry's bytes after its length word, at link-time `vaddr` (where its
// length word is), into `bytes`; false when unreadable or of a form not
// followed (64-bit lengths, entries over 64 KiB).
bool read_entry(const UnwindObject& object, std::uint64_t vaddr, std::vector<std::uint8_t>& bytes) {
  constexpr std::uint32_t kMaxEntry = 64 * 1024;
  std::uint32_t length = 0;
  if (!object.read_vaddr(vaddr, &length, 4) || length < 4 || length > kMaxEntry) return false;
  bytes.resize(length);
  return object.read_vaddr(vaddr + 4, bytes.data(), length);
}

}  // namespace

CfiLookup evaluate_cfi(std::span<const std::uint8_t> cie_bytes, std::span<const std::uint8_t> fde,
                       std::uint64_t fde_vaddr, std::uint64_t pc, CfiRule& rule) {
  CieFields cie;
  if (!parse_cie(cie_bytes, cie)) return CfiLookup::unsupported;
  EhFrameReader in(fde, 0, fde.size());
  in.fixed(4);  // the CIE pointer
  const std::uint64_t start = in.pointer(cie.fde_encoding, fde_vaddr + in.pos());
  const std::uint64_t range = in.pointer(cie.fde_encoding & 0x0f, 0);
  if (!in.ok()) return CfiLookup::unsupported;
  if (pc < start || pc - start >= range) return CfiLookup::no_fde;
  if (cie.has_augmentation_data) in.skip(in.uleb());

  CfaRow initial;
  EhFrameReader cie_in(cie_bytes, cie.instructions, cie_bytes.size());
  std::uint64_t loc = 0;
  if (!run(cie_in, cie, ~std::uint64_t{0}, 0, initial, loc, initial)) return CfiLookup::unsupported;
  CfaRow row = initial;
  loc = start;
  if (!run(in, cie, pc, fde_vaddr, initial, loc, row)) return CfiLookup::unsupported;

  if (row.cfa == CfaRow::Cfa::unsupported) return CfiLookup::unsupported;
  rule.cfa_base = row.cfa == CfaRow::Cfa::sp ? CfiRule::Base::sp : CfiRule::Base::bp;
  if (!narrow(row.cfa_offset, rule.cfa_offset)) return CfiLookup::unsupported;
  rule.return_address_undefined = row.return_address.kind == RegisterRule::Kind::undefined;
  if (!rule.return_address_undefined) {
    if (row.return_address.kind != RegisterRule::Kind::at_offset ||
        !narrow(row.return_address.offset, rule.return_address_offset)) {
      return CfiLookup::unsupported;
    }
  }
  if (!saved(row.bp, rule.bp, rule.bp_offset) || !saved(row.bx, rule.bx, rule.bx_offset)) {
    return CfiLookup::unsupported;
  }
  return CfiLookup::found;
}

bool CfiRuleCache::find(std::uint64_t vaddr, CfiLookup& lookup, CfiRule& rule) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(vaddr);
  if (it == entries_.end()) return false;
  lookup = it->second.lookup;
  rule = it->second.rule;
  return true;
}

void CfiRuleCache::add(std::uint64_t vaddr, CfiLookup lookup, const CfiRule& rule) const {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= kEntries) entries_.clear();
  entries_.emplace(vaddr, Entry{lookup, rule});
}

namespace {

CfiLookup read_rule(const UnwindObject& object, std::uint64_t vaddr, CfiRule& rule) {
  if (!object.search_table()) return CfiLookup::no_fde;
  const UnwindObject::SearchTable span = object.search_span(vaddr);
  if (span.entries == 0) return CfiLookup::no_fde;
  // The span's entries (initial location, FDE), each relative to the
  // .eh_frame_hdr, sorted by location: the last at or before `vaddr`.
  std::array<std::int32_t, 2 * UnwindObject::kSearchSpan> entries;
  if (!object.read_vaddr(span.table_vaddr, entries.data(), span.entries * 8)) {
    return CfiLookup::unsupported;
  }
  const auto relative = static_cast<std::int64_t>(vaddr - span.header_vaddr);
  std::size_t low = 0;
  std::size_t high = span.entries;
  while (low < high) {
    std::size_t middle = (low + high) / 2;
    if (entries[2 * middle] <= relative)
      low = middle + 1;
    else
      high = middle;
  }
  if (low == 0) return CfiLookup::no_fde;
  const std::uint64_t fde_vaddr =
      span.header_vaddr +
      static_cast<std::uint64_t>(static_cast<std::int64_t>(entries[2 * (low - 1) + 1]));
  // Kept per thread: a step allocates nothing once they have grown.
  thread_local std::vector<std::uint8_t> fde;
  thread_local std::vector<std::uint8_t> cie;
  if (!read_entry(object, fde_vaddr, fde)) return CfiLookup::unsupported;
  std::uint32_t cie_pointer = 0;
  std::memcpy(&cie_pointer, fde.data(), 4);
  if (cie_pointer == 0 || cie_pointer > fde_vaddr + 4) return CfiLookup::unsupported;
  if (!read_entry(object, fde_vaddr + 4 - cie_pointer, cie)) return CfiLookup::unsupported;
  return evaluate_cfi(cie, fde, fde_vaddr + 4, vaddr, rule);
}

}  // namespace

CfiLookup cfi_rule_at(const UnwindObject& object, std::uint64_t vaddr, CfiRule& rule) {
  CfiLookup lookup = CfiLookup::no_fde;
  if (object.cfi_rules().find(vaddr, lookup, rule)) return lookup;
  lookup = read_rule(object, vaddr, rule);
  object.cfi_rules().add(vaddr, lookup, rule);
  return lookup;
}

}  // namespace ember::native
