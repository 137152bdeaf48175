#include "pclntab.hpp"

#include <cstring>
#include <string>
#include <utility>

namespace ember::go {
namespace {

constexpr std::uint32_t kMagic116 = 0xfffffffa;
constexpr std::uint32_t kMagic118 = 0xfffffff0;
constexpr std::uint32_t kMagic120 = 0xfffffff1;
constexpr std::uint32_t kMagic12 = 0xfffffffb;

// runtime/symtab.go: _PCDATA_InlTreeIndex and _FUNCDATA_InlTree (1.16+).
constexpr std::uint32_t kPcdataInlTreeIndex = 2;
constexpr std::uint32_t kFuncdataInlTree = 3;
// A _func with more pcdata tables than this is taken for garbage (Go has 4).
constexpr std::uint32_t kMaxPcdata = 64;
// Longest name or file path read; longer (or unterminated) ones are cut.
constexpr std::size_t kMaxString = 4096;

std::uint32_t byte_swap(std::uint32_t v) { return __builtin_bswap32(v); }

// A uvarint of at most 32 bits (runtime/symtab.go readvarint).
bool read_varint(std::span<const std::uint8_t> bytes, std::size_t& at, std::uint32_t& out) {
  std::uint32_t value = 0;
  for (unsigned shift = 0; shift < 35; shift += 7) {
    if (at >= bytes.size()) return false;
    std::uint8_t b = bytes[at++];
    value |= static_cast<std::uint32_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      out = value;
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<std::uint64_t> Pclntab::read_uint(std::size_t offset, std::size_t size) const {
  if (offset > table_.size() || table_.size() - offset < size) return std::nullopt;
  if (size == 4) {
    std::uint32_t v;
    std::memcpy(&v, table_.data() + offset, 4);
    return v;
  }
  if (size == 8) {
    std::uint64_t v;
    std::memcpy(&v, table_.data() + offset, 8);
    return v;
  }
  if (size == 2) {
    std::uint16_t v;
    std::memcpy(&v, table_.data() + offset, 2);
    return v;
  }
  if (size == 1) return table_[offset];
  return std::nullopt;
}

Status Pclntab::parse(std::span<const std::uint8_t> table, std::uint64_t table_vaddr,
                      Pclntab& out) {
  out = Pclntab();
  if (table.size() < 8) return Status::error("pclntab: shorter than its header");
  std::uint32_t magic;
  std::memcpy(&magic, table.data(), 4);
  PclntabVersion version;
  switch (magic) {
    case kMagic116: version = PclntabVersion::go116; break;
    case kMagic118: version = PclntabVersion::go118; break;
    case kMagic120: version = PclntabVersion::go120; break;
    case kMagic12: return Status::error("pclntab: Go 1.2-1.15 tables are not read");
    default:
      if (byte_swap(magic) == kMagic116 || byte_swap(magic) == kMagic118 ||
          byte_swap(magic) == kMagic120) {
        return Status::error("pclntab: big-endian tables are not read");
      }
      return Status::error("pclntab: no Go pclntab magic");
  }
  std::uint8_t quantum = table[6], ptr_size = table[7];
  if (table[4] != 0 || table[5] != 0) return Status::error("pclntab: header padding not zero");
  if (quantum != 1 && quantum != 2 && quantum != 4) {
    return Status::error("pclntab: pc quantum " + std::to_string(quantum));
  }
  if (ptr_size != 4 && ptr_size != 8) {
    return Status::error("pclntab: pointer size " + std::to_string(ptr_size));
  }
  Pclntab t;
  t.table_ = table;
  t.table_vaddr_ = table_vaddr;
  t.version_ = version;
  t.quantum_ = quantum;
  t.ptr_size_ = ptr_size;

  // nfunc, nfiles, [textStart,] funcnametab, cutab, filetab, pctab, functab.
  bool has_text = version != PclntabVersion::go116;
  std::size_t words = has_text ? 8 : 7;
  std::uint64_t w[8] = {};
  for (std::size_t i = 0; i < words; ++i) {
    auto v = t.read_uint(8 + i * ptr_size, ptr_size);
    if (!v) return Status::error("pclntab: shorter than its header");
    w[i] = *v;
  }
  std::uint64_t nfunc = w[0];
  t.text_base_ = has_text ? w[2] : 0;
  const std::uint64_t* offsets = w + (has_text ? 3 : 2);
  std::uint64_t header_end = 8 + words * ptr_size;
  Region* regions[] = {&t.funcnames_, &t.cutab_, &t.filetab_, &t.pctab_, &t.functab_};
  for (std::size_t i = 0; i < 5; ++i) {
    std::uint64_t start = offsets[i];
    std::uint64_t end = i + 1 < 5 ? offsets[i + 1] : table.size();
    if (start < header_end || start > end || end > table.size()) {
      return Status::error("pclntab: its header's table offsets are out of order or bounds");
    }
    *regions[i] = Region{static_cast<std::size_t>(start), static_cast<std::size_t>(end - start)};
  }

  std::size_t entry_size = has_text ? 8 : 2u * ptr_size;
  if (nfunc == 0 || nfunc > t.functab_.size / entry_size - 1) {
    return Status::error("pclntab: " + std::to_string(nfunc) +
                         " functions do not fit its function table");
  }
  t.nfunc_ = static_cast<std::size_t>(nfunc);
  // Sorted entries (a binary search depends on it), records in bounds.
  std::uint64_t previous = 0;
  for (std::size_t i = 0; i <= t.nfunc_; ++i) {
    std::uint64_t entry = t.function_entry(i);
    if (entry < previous) return Status::error("pclntab: function table not sorted");
    previous = entry;
    if (i == t.nfunc_) break;
    std::size_t at = t.functab_.offset + i * entry_size + (has_text ? 4 : ptr_size);
    std::uint64_t funcoff = *t.read_uint(at, has_text ? 4 : ptr_size);
    if (funcoff >= t.functab_.size) {
      return Status::error("pclntab: function " + std::to_string(i) + " outside the table");
    }
  }
  out = std::move(t);
  return Status::ok();
}

std::uint64_t Pclntab::function_entry(std::size_t index) const {
  if (index > nfunc_ || table_.empty()) return 0;
  if (version_ == PclntabVersion::go116) {
    return read_uint(functab_.offset + index * 2u * ptr_size_, ptr_size_).value_or(0);
  }
  return text_base_ + read_uint(functab_.offset + index * 8, 4).value_or(0);
}

std::string_view Pclntab::function_name(std::size_t index) const {
  auto f = record(index);
  return f ? name(f->name_offset) : std::string_view();
}

void Pclntab::set_inline_data(VaddrReader reader, std::uint64_t gofunc) {
  reader_ = std::move(reader);
  gofunc_ = gofunc;
}

std::optional<std::size_t> Pclntab::find_function(std::uint64_t pc) const {
  if (nfunc_ == 0 || pc < function_entry(0) || pc >= function_entry(nfunc_)) return std::nullopt;
  std::size_t low = 0, high = nfunc_;  // entry(low) <= pc < entry(high)
  while (high - low > 1) {
    std::size_t mid = low + (high - low) / 2;
    if (function_entry(mid) <= pc) {
      low = mid;
    } else {
      high = mid;
    }
  }
  return low;
}

std::optional<Pclntab::FuncRecord> Pclntab::record(std::size_t index) const {
  if (index >= nfunc_) return std::nullopt;
  bool go116 = version_ == PclntabVersion::go116;
  std::size_t entry_size = go116 ? 2u * ptr_size_ : 8;
  auto funcoff = read_uint(functab_.offset + index * entry_size + (go116 ? ptr_size_ : 4),
                           go116 ? ptr_size_ : 4);
  if (!funcoff || *funcoff >= functab_.size) return std::nullopt;
  std::size_t at = functab_.offset + static_cast<std::size_t>(*funcoff);

  FuncRecord f;
  // Fields after the entry: nameoff, args, deferreturn, pcsp, pcfile, pcln,
  // npcdata, cuOffset, [startLine,] funcID, flag, pad, nfuncdata.
  std::size_t fields = at + (go116 ? ptr_size_ : 4);
  auto entry = read_uint(at, go116 ? ptr_size_ : 4);
  if (!entry) return std::nullopt;
  f.entry = go116 ? *entry : text_base_ + *entry;
  if (f.entry != function_entry(index)) return std::nullopt;  // table and record disagree
  f.end = function_entry(index + 1);
  std::size_t tail = fields + 32 + (version_ == PclntabVersion::go120 ? 4 : 0);
  auto name_offset = read_uint(fields, 4);
  auto pcsp = read_uint(fields + 12, 4);
  auto pcfile = read_uint(fields + 16, 4);
  auto pcln = read_uint(fields + 20, 4);
  auto npcdata = read_uint(fields + 24, 4);
  auto cu_offset = read_uint(fields + 28, 4);
  auto nfuncdata = read_uint(tail + 3, 1);
  if (!name_offset || !pcsp || !pcfile || !pcln || !npcdata || !cu_offset || !nfuncdata) {
    return std::nullopt;
  }
  if (*npcdata > kMaxPcdata) return std::nullopt;
  f.name_offset = static_cast<std::int32_t>(*name_offset);
  f.pcsp = static_cast<std::uint32_t>(*pcsp);
  f.pcfile = static_cast<std::uint32_t>(*pcfile);
  f.pcln = static_cast<std::uint32_t>(*pcln);
  f.npcdata = static_cast<std::uint32_t>(*npcdata);
  f.cu_offset = static_cast<std::uint32_t>(*cu_offset);
  f.nfuncdata = static_cast<std::uint8_t>(*nfuncdata);
  f.pcdata = tail + 4;
  f.funcdata = f.pcdata + std::size_t{f.npcdata} * 4;
  if (go116 && ptr_size_ == 8 && ((table_vaddr_ + f.funcdata) & 4) != 0) f.funcdata += 4;
  return f;
}

std::optional<std::int32_t> Pclntab::pc_value(std::uint32_t table_offset, std::uint64_t entry,
                                               std::uint64_t pc) const {
  if (table_offset == 0 || table_offset >= pctab_.size) return std::nullopt;
  std::span<const std::uint8_t> stream = table_.subspan(pctab_.offset, pctab_.size);
  std::size_t at = table_offset;
  std::uint64_t current = entry;
  std::int32_t value = -1;
  // Each step reads at least two bytes, so the loop ends with the region.
  while (true) {
    std::uint32_t value_delta, pc_delta;
    bool first = current == entry;
    if (!read_varint(stream, at, value_delta)) return std::nullopt;
    if (value_delta == 0 && !first) return std::nullopt;  // end of the stream
    if (!read_varint(stream, at, pc_delta)) return std::nullopt;
    // zig-zag: the low bit is the sign.
    std::int32_t delta = static_cast<std::int32_t>(value_delta >> 1) ^
                         -static_cast<std::int32_t>(value_delta & 1);
    value = static_cast<std::int32_t>(static_cast<std::uint32_t>(value) +
                                      static_cast<std::uint32_t>(delta));
    current += std::uint64_t{pc_delta} * quantum_;
    if (pc < current) return value;
  }
}

std::string_view Pclntab::name(std::int64_t name_offset) const {
  if (name_offset < 0 || static_cast<std::uint64_t>(name_offset) >= funcnames_.size) return {};
  const char* start =
      reinterpret_cast<const char*>(table_.data() + funcnames_.offset + name_offset);
  std::size_t max = std::min(kMaxString, funcnames_.size - static_cast<std::size_t>(name_offset));
  return std::string_view(start, strnlen(start, max));
}

std::string_view Pclntab::file(const FuncRecord& f, std::uint64_t pc) const {
  auto index = pc_value(f.pcfile, f.entry, pc);
  if (!index || *index < 0) return {};
  std::uint64_t slot = std::uint64_t{f.cu_offset} + static_cast<std::uint64_t>(*index);
  if (slot >= cutab_.size / 4) return {};
  auto offset = read_uint(cutab_.offset + slot * 4, 4);
  if (!offset || *offset >= filetab_.size) return {};  // ~0: no file
  const char* start = reinterpret_cast<const char*>(table_.data() + filetab_.offset + *offset);
  std::size_t max = std::min<std::size_t>(kMaxString, filetab_.size - *offset);
  return std::string_view(start, strnlen(start, max));
}

std::uint32_t Pclntab::line(const FuncRecord& f, std::uint64_t pc) const {
  auto line = pc_value(f.pcln, f.entry, pc);
  return line && *line > 0 ? static_cast<std::uint32_t>(*line) : 0;
}

std::optional<std::uint64_t> Pclntab::inline_tree(const FuncRecord& f) const {
  if (!reader_ || f.npcdata <= kPcdataInlTreeIndex || f.nfuncdata <= kFuncdataInlTree) {
    return std::nullopt;
  }
  if (version_ == PclntabVersion::go116) {
    auto address = read_uint(f.funcdata + kFuncdataInlTree * ptr_size_, ptr_size_);
    if (!address || *address == 0) return std::nullopt;
    return *address;
  }
  auto offset = read_uint(f.funcdata + kFuncdataInlTree * 4, 4);
  if (!offset || *offset == 0xffffffffu) return std::nullopt;
  return gofunc_ + *offset;
}

std::optional<std::int32_t> Pclntab::sp_delta(std::uint64_t pc) const {
  auto index = find_function(pc);
  if (!index) return std::nullopt;
  auto f = record(*index);
  if (!f) return std::nullopt;
  auto delta = pc_value(f->pcsp, f->entry, pc);
  if (!delta || *delta < 0) return std::nullopt;
  return delta;
}

bool Pclntab::frames(std::uint64_t pc, std::vector<GoFrame>& out) const {
  auto index = find_function(pc);
  if (!index) return false;
  auto f = record(*index);
  if (!f) return false;

  std::uint64_t trace_pc = pc;
  if (auto tree = inline_tree(*f)) {
    auto inl_index_table = read_uint(f->pcdata + kPcdataInlTreeIndex * 4, 4);
    bool go120 = version_ == PclntabVersion::go120;
    // inlinedCall: 1.16-1.19 {parent i16, funcID u8, _, file i32, line i32,
    // func_ i32, parentPc i32}; 1.20+ {funcID u8, _[3], nameOff i32,
    // parentPc i32, startLine i32}.
    std::size_t size = go120 ? 16 : 20;
    std::size_t name_at = go120 ? 4 : 12, parent_pc_at = go120 ? 8 : 16;
    for (std::size_t depth = 0; inl_index_table && depth < kMaxInlineDepth; ++depth) {
      auto ix = pc_value(static_cast<std::uint32_t>(*inl_index_table), f->entry, trace_pc);
      if (!ix || *ix < 0) break;
      auto call = reader_(*tree + static_cast<std::uint64_t>(*ix) * size, size);
      if (call.size() != size) break;
      std::int32_t name_offset, parent_pc;
      std::memcpy(&name_offset, call.data() + name_at, 4);
      std::memcpy(&parent_pc, call.data() + parent_pc_at, 4);
      out.push_back(GoFrame{name(name_offset), file(*f, trace_pc), line(*f, trace_pc), true});
      // The caller's position: an instruction of the call site.
      if (parent_pc < 0 || f->entry + static_cast<std::uint64_t>(parent_pc) >= f->end) break;
      trace_pc = f->entry + static_cast<std::uint64_t>(parent_pc);
    }
  }
  out.push_back(GoFrame{name(f->name_offset), file(*f, trace_pc), line(*f, trace_pc), false});
  return true;
}

}  // namespace ember::go
