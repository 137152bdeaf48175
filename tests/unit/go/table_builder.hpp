// Builds synthetic pclntabs in the three layouts the reader knows (Go 1.16,
// 1.18, 1.20), from the layout notes in plugins/runtime/go/pclntab.hpp: for
// tests of the versions Debian's Go does not produce, of corrupt tables, and
// as seeds of the fuzz target.
#pragma once

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "pclntab.hpp"

namespace ember::go::testing {

// A run of a pc-value table: `value` from the previous run's end up to `end`
// (a pc offset from the function's entry).
struct Run {
  std::uint32_t end;
  std::int32_t value;
};

struct InlinedCallSpec {
  std::string name;
  std::int32_t parent_pc;  // offset from the entry of an instruction of the call site
};

struct FunctionSpec {
  std::string name;
  std::uint64_t entry;
  std::vector<Run> files;   // indexes into TableSpec::files
  std::vector<Run> lines;   // empty: no line table
  std::vector<Run> inline_index;  // empty: nothing inlined
  std::vector<InlinedCallSpec> inlined;
  std::vector<Run> sp;  // the pcsp table; empty: none
};

struct TableSpec {
  PclntabVersion version = PclntabVersion::go118;
  std::vector<std::string> files;
  std::vector<FunctionSpec> functions;  // sorted by entry
  std::uint64_t text_end = 0;
};

struct BuiltTable {
  std::vector<std::uint8_t> table;
  std::uint64_t table_vaddr = 0x500000;
  std::vector<std::uint8_t> gofunc;  // the inline trees
  std::uint64_t gofunc_vaddr = 0x600000;

  // Reads the inline trees as the detector reads them from a file.
  void attach_inline_data(Pclntab& t) const {
    t.set_inline_data(
        [this](std::uint64_t vaddr, std::uint64_t size) -> std::span<const std::uint8_t> {
          if (vaddr < gofunc_vaddr || vaddr - gofunc_vaddr > gofunc.size() ||
              gofunc.size() - (vaddr - gofunc_vaddr) < size) {
            return {};
          }
          return std::span<const std::uint8_t>(gofunc).subspan(vaddr - gofunc_vaddr, size);
        },
        gofunc_vaddr);
  }
};

namespace detail {

template <typename T>
void put(std::vector<std::uint8_t>& out, T value) {
  std::uint8_t bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

template <typename T>
void put_at(std::vector<std::uint8_t>& out, std::size_t at, T value) {
  std::memcpy(out.data() + at, &value, sizeof(T));
}

inline void uvarint(std::vector<std::uint8_t>& out, std::uint32_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

// A pc-value stream (value deltas zig-zag encoded, starting from -1); the
// offset of the stream in `pctab`, 0 for none.
inline std::uint32_t stream(std::vector<std::uint8_t>& pctab, const std::vector<Run>& runs) {
  if (runs.empty()) return 0;
  std::uint32_t offset = static_cast<std::uint32_t>(pctab.size());
  std::int32_t value = -1;
  std::uint32_t pc = 0;
  for (const Run& run : runs) {
    std::int32_t delta = run.value - value;
    uvarint(pctab, (static_cast<std::uint32_t>(delta) << 1) ^ static_cast<std::uint32_t>(delta >> 31));
    uvarint(pctab, run.end - pc);
    value = run.value;
    pc = run.end;
  }
  pctab.push_back(0);
  return offset;
}

}  // namespace detail

inline BuiltTable build_table(const TableSpec& spec) {
  using detail::put;
  BuiltTable built;
  const bool go116 = spec.version == PclntabVersion::go116;
  const bool go120 = spec.version == PclntabVersion::go120;
  const std::uint64_t text = go116 ? 0 : spec.functions.front().entry;

  std::vector<std::uint8_t> names, cutab, filetab, pctab(1, 0), functab, gofunc;
  std::vector<std::uint32_t> name_offsets;
  for (const std::string& file : spec.files) {
    put(cutab, static_cast<std::uint32_t>(filetab.size()));
    filetab.insert(filetab.end(), file.begin(), file.end());
    filetab.push_back(0);
  }
  auto add_name = [&](const std::string& name) {
    std::uint32_t offset = static_cast<std::uint32_t>(names.size());
    names.insert(names.end(), name.begin(), name.end());
    names.push_back(0);
    return offset;
  };

  const std::size_t header = 8 + (go116 ? 7 : 8) * 8;
  const std::size_t n = spec.functions.size();
  const std::size_t entry_size = go116 ? 16 : 8;
  // The _func records follow the function table; their offsets are relative
  // to its start.
  std::vector<std::vector<std::uint8_t>> records;
  for (const FunctionSpec& f : spec.functions) {
    std::vector<std::uint8_t> r;
    std::uint32_t name = add_name(f.name);
    std::uint32_t pcsp = detail::stream(pctab, f.sp);
    std::uint32_t pcfile = detail::stream(pctab, f.files);
    std::uint32_t pcln = detail::stream(pctab, f.lines);
    std::uint32_t inl = detail::stream(pctab, f.inline_index);
    if (go116) {
      put<std::uint64_t>(r, f.entry);
    } else {
      put<std::uint32_t>(r, static_cast<std::uint32_t>(f.entry - text));
    }
    put<std::int32_t>(r, static_cast<std::int32_t>(name));
    put<std::int32_t>(r, 0);              // args
    put<std::uint32_t>(r, 0);             // deferreturn
    put<std::uint32_t>(r, pcsp);
    put<std::uint32_t>(r, pcfile);
    put<std::uint32_t>(r, pcln);
    put<std::uint32_t>(r, 3);             // npcdata: UnsafePoint, StackMapIndex, InlTreeIndex
    put<std::uint32_t>(r, 0);             // cuOffset
    if (go120) put<std::int32_t>(r, 0);   // startLine
    r.push_back(0);                       // funcID
    r.push_back(0);                       // flag
    r.push_back(0);                       // pad
    r.push_back(4);                       // nfuncdata: ..., InlTree
    put<std::uint32_t>(r, 0);
    put<std::uint32_t>(r, 0);
    put<std::uint32_t>(r, inl);
    // The inline tree of this function, in gofunc.
    std::uint64_t tree = 0;
    if (!f.inlined.empty()) {
      while (gofunc.size() % 4) gofunc.push_back(0);
      tree = gofunc.size();
      for (const InlinedCallSpec& call : f.inlined) {
        std::uint32_t call_name = add_name(call.name);
        if (go120) {
          put<std::uint32_t>(gofunc, 0);  // funcID, pad
          put<std::int32_t>(gofunc, static_cast<std::int32_t>(call_name));
          put<std::int32_t>(gofunc, call.parent_pc);
          put<std::int32_t>(gofunc, 0);  // startLine
        } else {
          put<std::int16_t>(gofunc, -1);  // parent
          put<std::uint16_t>(gofunc, 0);  // funcID, pad
          put<std::int32_t>(gofunc, 0);   // file
          put<std::int32_t>(gofunc, 0);   // line
          put<std::int32_t>(gofunc, static_cast<std::int32_t>(call_name));
          put<std::int32_t>(gofunc, call.parent_pc);
        }
      }
    }
    if (go116) {
      // Pointer funcdata, 8-aligned in memory (the table is 8-aligned).
      std::size_t pad = (r.size() % 8) ? 4 : 0;
      r.insert(r.end(), pad, 0);
      for (int i = 0; i < 3; ++i) put<std::uint64_t>(r, 0);
      put<std::uint64_t>(r, f.inlined.empty() ? 0 : built.gofunc_vaddr + tree);
    } else {
      for (int i = 0; i < 3; ++i) put<std::uint32_t>(r, i == 2 ? 0xffffffffu : 0);
      put<std::uint32_t>(r, f.inlined.empty() ? 0xffffffffu : static_cast<std::uint32_t>(tree));
    }
    while (r.size() % 8) r.push_back(0);
    records.push_back(std::move(r));
  }
  std::size_t offset = (n + 1) * entry_size;
  for (std::size_t i = 0; i <= n; ++i) {
    std::uint64_t entry = i < n ? spec.functions[i].entry : spec.text_end;
    std::uint64_t funcoff = i < n ? offset : 0;
    if (go116) {
      put<std::uint64_t>(functab, entry);
      put<std::uint64_t>(functab, funcoff);
    } else {
      put<std::uint32_t>(functab, static_cast<std::uint32_t>(entry - text));
      put<std::uint32_t>(functab, static_cast<std::uint32_t>(funcoff));
    }
    if (i < n) offset += records[i].size();
  }
  for (const auto& r : records) functab.insert(functab.end(), r.begin(), r.end());

  auto pad8 = [](std::vector<std::uint8_t>& v) {
    while (v.size() % 8) v.push_back(0);
  };
  pad8(names);
  pad8(cutab);
  pad8(filetab);
  pad8(pctab);
  std::vector<std::uint8_t>& t = built.table;
  std::uint32_t magic = go116 ? 0xfffffffa : go120 ? 0xfffffff1 : 0xfffffff0;
  put(t, magic);
  t.insert(t.end(), {0, 0, 1, 8});
  std::uint64_t at = header;
  put<std::uint64_t>(t, n);
  put<std::uint64_t>(t, spec.files.size());
  if (!go116) put<std::uint64_t>(t, text);
  for (const auto* region : {&names, &cutab, &filetab, &pctab}) {
    put<std::uint64_t>(t, at);
    at += region->size();
  }
  put<std::uint64_t>(t, at);
  for (const auto* region : {&names, &cutab, &filetab, &pctab, &functab}) {
    t.insert(t.end(), region->begin(), region->end());
  }
  built.gofunc = std::move(gofunc);
  return built;
}

// Three functions: main.main; main.work, where main.hot is inlined at
// [0x20, 0x30) and main.deeper inlined into hot at [0x28, 0x30), with a
// 0x18-byte frame between its prologue and epilogue; and
// runtime.goexit without a line table.
inline TableSpec sample_spec(PclntabVersion version) {
  TableSpec spec;
  spec.version = version;
  spec.files = {"/src/main.go", "/src/hot.go", "/src/deeper.go"};
  spec.functions.push_back(FunctionSpec{"main.main", 0x401000, {{0x40, 0}},
                                        {{0x10, 10}, {0x40, 11}}, {}, {}, {}});
  spec.functions.push_back(FunctionSpec{
      "main.work", 0x401040,
      {{0x20, 0}, {0x28, 1}, {0x30, 2}, {0x60, 0}},
      {{0x10, 20}, {0x20, 21}, {0x28, 31}, {0x30, 41}, {0x60, 22}},
      {{0x20, -1}, {0x28, 0}, {0x30, 1}, {0x60, -1}},
      {{"main.hot", 0x10}, {"main.deeper", 0x20}},
      {{0x4, 0}, {0x5c, 0x18}, {0x60, 0}}});
  spec.functions.push_back(FunctionSpec{"runtime.goexit", 0x4010a0, {}, {}, {}, {}, {}});
  spec.text_end = 0x4010b0;
  return spec;
}

// A minimal ELF64 image around a built table, laid out as the Go linker lays
// out a stripped binary without section headers: an executable segment
// (the text, zeros), the table's segment, the inline trees' segment (at
// gofunc_vaddr), and a writable one with the build info blob ("go_version"
// inline, Go 1.18+ style) and a moduledata pointing at the table, whose
// gofunc is word 38 (1.18) or 40 (1.20).
inline std::vector<std::uint8_t> elf_image(const BuiltTable& built, PclntabVersion version,
                                           const std::string& go_version) {
  using detail::put;
  using detail::put_at;
  const std::uint64_t text_vaddr = 0x401000, data_vaddr = 0x700000;
  std::vector<std::uint8_t> text(0x100, 0xcc);

  // The build info blob: magic, pointer size, flags (little-endian, strings
  // inline), padding to 32 bytes, then the version as a uvarint-prefixed string.
  std::vector<std::uint8_t> data(32, 0);
  std::memcpy(data.data(), "\xff Go buildinf:", 14);
  data[14] = 8;
  data[15] = 2;
  data.push_back(static_cast<std::uint8_t>(go_version.size()));
  data.insert(data.end(), go_version.begin(), go_version.end());
  while (data.size() % 16) data.push_back(0);
  std::size_t moduledata = data.size();
  data.resize(data.size() + 64 * 8, 0);
  std::uint64_t funcnames;
  std::memcpy(&funcnames, built.table.data() + 8 + 3 * 8, 8);  // 1.18+ header
  put_at<std::uint64_t>(data, moduledata, built.table_vaddr);
  put_at<std::uint64_t>(data, moduledata + 8, built.table_vaddr + funcnames);
  put_at<std::uint64_t>(data, moduledata + 22 * 8, text_vaddr);
  std::size_t gofunc_word = version == PclntabVersion::go120 ? 40 : 38;
  put_at<std::uint64_t>(data, moduledata + gofunc_word * 8, built.gofunc_vaddr);

  struct Segment {
    std::uint64_t vaddr;
    const std::vector<std::uint8_t>* bytes;
    std::uint32_t flags;
  };
  std::vector<std::uint8_t> gofunc = built.gofunc;
  if (gofunc.empty()) gofunc.push_back(0);
  Segment segments[] = {{text_vaddr, &text, PF_R | PF_X},
                        {built.table_vaddr, &built.table, PF_R},
                        {built.gofunc_vaddr, &gofunc, PF_R},
                        {data_vaddr, &data, PF_R | PF_W}};
  std::vector<std::uint8_t> image(sizeof(Elf64_Ehdr) + 4 * sizeof(Elf64_Phdr), 0);
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_entry = text_vaddr;
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 4;
  std::memcpy(image.data(), &eh, sizeof eh);
  for (int i = 0; i < 4; ++i) {
    while (image.size() % 16) image.push_back(0);
    Elf64_Phdr ph{};
    ph.p_type = PT_LOAD;
    ph.p_flags = segments[i].flags;
    ph.p_offset = image.size();
    ph.p_vaddr = ph.p_paddr = segments[i].vaddr;
    ph.p_filesz = ph.p_memsz = segments[i].bytes->size();
    ph.p_align = 16;
    std::memcpy(image.data() + sizeof(Elf64_Ehdr) + i * sizeof ph, &ph, sizeof ph);
    image.insert(image.end(), segments[i].bytes->begin(), segments[i].bytes->end());
  }
  return image;
}

}  // namespace ember::go::testing
