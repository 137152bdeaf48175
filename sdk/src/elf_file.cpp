// Reads an ELF object with libelf in one pass (ELF_C_READ: sections are read
// with pread on demand, so a file truncated under us is an error, not SIGBUS).
// From a file, symbol tables and (when names stay in the file) their string
// tables are read in chunks (elf_chunks.hpp), not whole into the heap.
#include "ember/elf_file.hpp"

#include "ember/elf_function_table.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <optional>

#include "elf_chunks.hpp"

namespace ember {
namespace {

void init_libelf() {
  static const bool initialized = elf_version(EV_CURRENT) != EV_NONE;
  (void)initialized;
}

std::string libelf_error() {
  const char* message = elf_errmsg(-1);
  return message ? message : "unknown libelf error";
}

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    hex.push_back(digits[bytes[i] >> 4]);
    hex.push_back(digits[bytes[i] & 0xf]);
  }
  return hex;
}

// The GNU build id among the notes of `data`, or "".
std::string find_build_id(Elf_Data* data) {
  if (!data || !data->d_buf) return {};
  const auto* base = static_cast<const unsigned char*>(data->d_buf);
  std::size_t offset = 0;
  GElf_Nhdr note;
  std::size_t name_offset = 0;
  std::size_t desc_offset = 0;
  while (offset < data->d_size) {
    std::size_t next = gelf_getnote(data, offset, &note, &name_offset, &desc_offset);
    if (next == 0) break;
    if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 &&
        std::memcmp(base + name_offset, "GNU", 4) == 0 && note.n_descsz > 0) {
      return to_hex(base + desc_offset, note.n_descsz);
    }
    offset = next;
  }
  return {};
}

// Owns an Elf handle.
struct ElfHandle {
  Elf* elf = nullptr;
  ~ElfHandle() {
    if (elf) elf_end(elf);
  }
};

}  // namespace

// Collects symbols while the Elf handle is open, then packs them into the
// ElfFile. Raw names point into libelf's section data.
class ElfReader {
 public:
  // With `fd` (the file `elf` reads), symbol tables are read from it in chunks.
  ElfReader(Elf* elf, const ElfReadOptions& options, int fd = -1)
      : elf_(elf), options_(options) {
    struct stat st {};
    if (fd >= 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
      fd_ = fd;
      file_size_ = static_cast<std::uint64_t>(st.st_size);
    }
  }

  // Names are read when a caller asks for them (the table keeps the file):
  // the string tables are not read whole, only the bytes that decide which
  // symbols are kept (whether a name is empty, which of two aliases wins).
  void keep_names_in_file() { names_later_wanted_ = fd_ >= 0 && options_.only_names.empty(); }

  Status read(const std::string& name, ElfFile& out) {
    if (Status status = scan(name, out); !status) return status;
    const std::vector<RawSymbol>& functions = select_functions();
    reserve_names(out, functions);
    out.functions_.reserve(functions.size());
    for (const RawSymbol& symbol : functions) {
      if (auto name_at = intern(out.names_, symbol.name)) {
        out.functions_.push_back({symbol.address, symbol.size, *name_at, symbol.kind});
      }
    }
    pack_data(out);
    return Status::ok();
  }

  // The same functions as read(), each with where its name lies in `file`
  // (when there is one and every name is in a plain string table of it) or
  // with its name copied.
  Status read_table(const std::string& name, ElfFunctionTable& out,
                    std::shared_ptr<const ElfFunctionTable::File> file) {
    ElfFile header;
    if (Status status = scan(name, header); !status) return status;
    out.build_id_ = header.build_id_;
    if (names_later_) {
      if (Status status = read_deciding_bytes(); !status) return error(name, status);
    }
    const std::vector<RawSymbol>& functions = select_functions();
    if (functions.empty()) return Status::ok();
    // The string tables' places in the file: at most two (.symtab's and
    // .dynsym's), each name's offset under the entry's table bit.
    bool in_file = file != nullptr;
    std::size_t tables_used = 0;
    std::array<std::size_t, 2> table_section{};
    for (const RawSymbol& symbol : functions) {
      if (!in_file) break;
      const StringSection& strings = string_sections_[symbol.strtab];
      std::size_t slot = 0;
      while (slot < tables_used && table_section[slot] != symbol.strtab) ++slot;
      if (slot == tables_used && tables_used < 2) {
        table_section[tables_used++] = symbol.strtab;
        out.tables_[slot] = {strings.offset, strings.size};
      }
      in_file = slot < tables_used && strings.plain && symbol.name_offset < strings.size &&
                symbol.name_offset < ElfFunctionTable::kTableBit;
    }
    if (!in_file && names_later_) {
      // Not reached: names_later_ is only chosen when every name can stay.
      return Status::error(name + ": symbol names cannot stay in the file");
    }
    if (!in_file) {
      out.tables_ = {};
      std::size_t bytes = 0;
      for (const RawSymbol& symbol : functions) bytes += std::strlen(symbol.name) + 1;
      out.names_.reserve(std::min<std::size_t>(bytes, std::numeric_limits<std::uint32_t>::max()));
    }
    constexpr std::uint64_t kMax32 = std::numeric_limits<std::uint32_t>::max();
    out.base_ = functions.front().address;
    out.functions_.reserve(functions.size());
    for (const RawSymbol& symbol : functions) {
      std::uint64_t offset = symbol.address - out.base_;
      if (offset > kMax32) break;  // sorted: the rest are further still
      auto size = static_cast<std::uint32_t>(std::min(symbol.size, kMax32));
      if (in_file) {
        std::uint32_t table = table_section[0] == symbol.strtab ? 0 : ElfFunctionTable::kTableBit;
        out.functions_.push_back({static_cast<std::uint32_t>(offset), size,
                                  table | static_cast<std::uint32_t>(symbol.name_offset)});
      } else if (auto name_at = intern(out.names_, symbol.name)) {
        out.functions_.push_back({static_cast<std::uint32_t>(offset), size, *name_at});
      }
    }
    out.functions_.shrink_to_fit();
    if (in_file) out.file_ = std::move(file);
    return Status::ok();
  }

 private:
  // What read() and read_table() share: type, segments, build id and the
  // raw symbols.
  Status scan(const std::string& name, ElfFile& out) {
    if (elf_kind(elf_) != ELF_K_ELF) return Status::error(name + ": not an ELF file");
    GElf_Ehdr header;
    if (!gelf_getehdr(elf_, &header)) {
      return Status::error(name + ": truncated or corrupt ELF header (" + libelf_error() + ")");
    }
    out.type_ = header.e_type == ET_EXEC  ? ElfType::executable
                : header.e_type == ET_DYN ? ElfType::shared_object
                                          : ElfType::other;
    if (Status status = read_segments(out); !status) return error(name, status);
    if (Status status = read_sections(out); !status) return error(name, status);
    if (chunk_read_failed_) {
      return Status::error(name + ": a symbol table came short while read (file truncated?)");
    }
    if (out.build_id_.empty()) out.build_id_ = build_id_from_segments();
    return Status::ok();
  }

  // 40 bytes: a large binary has ~10^5 of them while it is read.
  struct RawSymbol {
    std::uint64_t address;
    std::uint64_t size;
    const char* name;
    std::uint32_t section;      // 0 when unknown (absolute, extended index)
    std::uint32_t name_offset;  // st_name: where `name` is in its string table
    std::uint32_t strtab;       // that string table's section index
    std::int8_t rank;           // which of two aliases names the address
    SymbolKind kind;
    bool whole_name = false;    // names_later_: its name decides between aliases
  };
  static_assert(sizeof(RawSymbol) <= 40);
  // A string table section as it lies in the file.
  struct StringSection {
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    bool plain = false;  // its bytes are the file's (not compressed, not NOBITS)
  };

  static Status error(const std::string& name, const Status& status) {
    return Status::error(name + ": " + status.message());
  }

  Status read_segments(ElfFile& out) {
    std::size_t count = 0;
    if (elf_getphdrnum(elf_, &count) != 0) {
      return Status::error("corrupt program headers (" + libelf_error() + ")");
    }
    for (std::size_t i = 0; i < count; ++i) {
      GElf_Phdr phdr;
      if (!gelf_getphdr(elf_, static_cast<int>(i), &phdr)) {
        return Status::error("corrupt program header " + std::to_string(i) + " (" +
                             libelf_error() + ")");
      }
      if (phdr.p_type == PT_NOTE) notes_.push_back(phdr);
      if (phdr.p_type != PT_LOAD) continue;
      out.segments_.push_back(ElfLoadSegment{phdr.p_vaddr, phdr.p_memsz, phdr.p_offset,
                                             phdr.p_filesz, (phdr.p_flags & PF_R) != 0,
                                             (phdr.p_flags & PF_W) != 0,
                                             (phdr.p_flags & PF_X) != 0});
    }
    return Status::ok();
  }

  Status read_sections(ElfFile& out) {
    std::size_t count = 0;
    if (elf_getshdrnum(elf_, &count) != 0) {
      return Status::error("corrupt section headers (" + libelf_error() + ")");
    }
    section_ends_.assign(count, 0);
    string_sections_.assign(count, StringSection{});
    // First pass: section bounds, so zero-size symbols stop at their section's end.
    for (Elf_Scn* scn = elf_nextscn(elf_, nullptr); scn; scn = elf_nextscn(elf_, scn)) {
      GElf_Shdr shdr;
      std::size_t index = elf_ndxscn(scn);
      if (gelf_getshdr(scn, &shdr) && (shdr.sh_flags & SHF_ALLOC) && index < count) {
        section_ends_[index] = shdr.sh_addr + shdr.sh_size;
      }
    }
    names_later_ = names_later_wanted_ && options_.symbols && names_can_stay_in_file(count);
    for (Elf_Scn* scn = elf_nextscn(elf_, nullptr); scn; scn = elf_nextscn(elf_, scn)) {
      GElf_Shdr shdr;
      if (!gelf_getshdr(scn, &shdr)) {
        return Status::error("corrupt section header (" + libelf_error() + ")");
      }
      if (shdr.sh_type == SHT_NOTE && out.build_id_.empty()) {
        out.build_id_ = find_build_id(elf_getdata(scn, nullptr));
      } else if (options_.symbols && (shdr.sh_type == SHT_SYMTAB || shdr.sh_type == SHT_DYNSYM)) {
        read_symbols(scn, shdr, count);
      }
    }
    return Status::ok();
  }

  // Whether a section lies whole inside the file, so that pread reads what
  // libelf would (libelf rejects a section past the file's end).
  bool inside_file(const GElf_Shdr& shdr) const {
    return shdr.sh_offset <= file_size_ && file_size_ - shdr.sh_offset >= shdr.sh_size;
  }

  // Whether libelf would read this symbol table's bytes as they are: not
  // compressed, whole entries, inside the file.
  bool symbols_in_chunks(const GElf_Shdr& shdr) const {
    std::size_t entry_size = gelf_fsize(elf_, ELF_T_SYM, 1, EV_CURRENT);
    return fd_ >= 0 && entry_size != 0 && (shdr.sh_flags & SHF_COMPRESSED) == 0 &&
           shdr.sh_size % entry_size == 0 && inside_file(shdr);
  }

  // Every symbol table is read in chunks and its names can stay where they
  // are: plain string tables inside the file, at most two of them, offsets
  // under the table bit. Otherwise names are read (and copied) as before.
  bool names_can_stay_in_file(std::size_t section_count) const {
    std::array<std::size_t, 2> tables{};
    std::size_t used = 0;
    for (Elf_Scn* scn = elf_nextscn(elf_, nullptr); scn; scn = elf_nextscn(elf_, scn)) {
      GElf_Shdr shdr;
      if (!gelf_getshdr(scn, &shdr)) return false;
      if (shdr.sh_type != SHT_SYMTAB && shdr.sh_type != SHT_DYNSYM) continue;
      if (shdr.sh_size == 0) continue;  // no entries: libelf gives it no data
      GElf_Shdr strings;
      Elf_Scn* link = shdr.sh_link < section_count ? elf_getscn(elf_, shdr.sh_link) : nullptr;
      if (!symbols_in_chunks(shdr) || !link || !gelf_getshdr(link, &strings) ||
          strings.sh_type != SHT_STRTAB || (strings.sh_flags & SHF_COMPRESSED) != 0 ||
          !inside_file(strings) || strings.sh_size > ElfFunctionTable::kTableBit) {
        return false;
      }
      if (std::find(tables.begin(), tables.begin() + used, shdr.sh_link) == tables.begin() + used) {
        if (used == tables.size()) return false;
        tables[used++] = shdr.sh_link;
      }
    }
    return true;
  }

  // A symbol table that does not read is skipped: the other may still name
  // frames. One cut short while read in chunks (the file truncated since it
  // was opened) fails the whole read.
  void read_symbols(Elf_Scn* scn, const GElf_Shdr& shdr, std::size_t section_count) {
    if (symbols_in_chunks(shdr)) {
      if (shdr.sh_size == 0 || shdr.sh_link >= section_count) return;
      note_string_section(shdr.sh_link);
      elf_chunks::SymbolChunks chunks(elf_, fd_, shdr.sh_offset, shdr.sh_size);
      std::size_t entry_size = gelf_fsize(elf_, ELF_T_SYM, 1, EV_CURRENT);
      if (options_.only_names.empty()) functions_.reserve(functions_.size() + shdr.sh_size / entry_size);
      GElf_Sym sym;
      for (std::size_t i = 0; chunks.next(sym); ++i) {
        if (i > 0) add_symbol(sym, shdr.sh_link);
      }
      if (chunks.failed()) chunk_read_failed_ = true;
      return;
    }
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || !data->d_buf || shdr.sh_link >= section_count) return;
    note_string_section(shdr.sh_link);
    std::size_t entry_size = gelf_fsize(elf_, ELF_T_SYM, 1, EV_CURRENT);
    if (entry_size == 0) return;
    std::size_t count = data->d_size / entry_size;
    if (options_.only_names.empty()) functions_.reserve(functions_.size() + count);
    for (std::size_t i = 1; i < count; ++i) {
      GElf_Sym sym;
      if (!gelf_getsym(data, static_cast<int>(i), &sym)) break;
      add_symbol(sym, shdr.sh_link);
    }
  }

  void note_string_section(std::size_t index) {
    GElf_Shdr strings;
    if (Elf_Scn* link = elf_getscn(elf_, index); link && gelf_getshdr(link, &strings)) {
      string_sections_[index] = StringSection{
          strings.sh_offset, strings.sh_size,
          strings.sh_type == SHT_STRTAB && (strings.sh_flags & SHF_COMPRESSED) == 0};
    }
  }

  // One entry of a symbol table whose names are in section `strtab`.
  void add_symbol(const GElf_Sym& sym, std::size_t strtab) {
    if (sym.st_shndx == SHN_UNDEF) return;
    unsigned type = GELF_ST_TYPE(sym.st_info);
    SymbolKind kind;
    if (type == STT_FUNC || type == STT_GNU_IFUNC) {
      kind = SymbolKind::function;
    } else if (!options_.data_symbols) {
      return;
    } else if (type == STT_OBJECT || type == STT_COMMON) {
      kind = SymbolKind::object;
    } else if (type == STT_TLS) {
      kind = SymbolKind::tls;
    } else {
      return;
    }
    const char* name = nullptr;  // names_later_: read by read_deciding_bytes()
    if (names_later_) {
      if (sym.st_name >= string_sections_[strtab].size) return;  // as elf_strptr
    } else {
      name = elf_strptr(elf_, strtab, sym.st_name);
      if (!name || !*name || !wanted(name)) return;
    }
    auto section = static_cast<std::uint32_t>(
        sym.st_shndx < section_ends_.size() && sym.st_shndx < SHN_LORESERVE ? sym.st_shndx : 0);
    unsigned binding = GELF_ST_BIND(sym.st_info);
    int rank = (sym.st_size != 0 ? 4 : 0) + (binding == STB_GLOBAL ? 2 : binding == STB_WEAK);
    RawSymbol raw{sym.st_value, sym.st_size, name, section, sym.st_name,
                  static_cast<std::uint32_t>(strtab), static_cast<std::int8_t>(rank), kind};
    (kind == SymbolKind::function ? functions_ : data_).push_back(raw);
  }

  // With names_later_: reads from the string tables, in chunks and in file
  // order, what decides which functions are kept, as elf_strptr would: a
  // name missing or empty drops its symbol, and aliases of one rank at one
  // address are told apart by their whole names (kept in names_read_).
  Status read_deciding_bytes() {
    std::sort(functions_.begin(), functions_.end(), [](const RawSymbol& a, const RawSymbol& b) {
      return a.address != b.address ? a.address < b.address : a.rank > b.rank;
    });
    auto same_place = [](const RawSymbol& a, const RawSymbol& b) {
      return a.address == b.address && a.rank == b.rank;
    };
    for (std::size_t i = 0; i < functions_.size(); ++i) {
      functions_[i].whole_name = (i > 0 && same_place(functions_[i - 1], functions_[i])) ||
                                 (i + 1 < functions_.size() && same_place(functions_[i], functions_[i + 1]));
    }
    // (string table, offset) packed, sorted without touching the symbols.
    struct InFile {
      std::uint64_t place;
      std::uint32_t index;
    };
    std::vector<InFile> in_file_order(functions_.size());
    for (std::size_t i = 0; i < in_file_order.size(); ++i) {
      in_file_order[i] = {std::uint64_t{functions_[i].strtab} << 32 | functions_[i].name_offset,
                          static_cast<std::uint32_t>(i)};
    }
    std::sort(in_file_order.begin(), in_file_order.end(),
              [](const InFile& a, const InFile& b) { return a.place < b.place; });
    static constexpr char kNameInFile[] = "";  // kept, its name read when asked
    std::optional<elf_chunks::StringChunks> strings;
    std::size_t strings_section = 0;
    std::string text;
    bool any_dropped = false;
    for (const auto [place, index] : in_file_order) {
      RawSymbol& symbol = functions_[index];
      if (!strings || strings_section != symbol.strtab) {
        const StringSection& section = string_sections_[symbol.strtab];
        strings.emplace(fd_, section.offset, section.size);
        strings_section = symbol.strtab;
      }
      auto read = strings->string_at(symbol.name_offset, symbol.whole_name, text);
      if (read == elf_chunks::StringChunks::Read::failed) {
        return Status::error("a string table came short while read (file truncated?)");
      }
      if (read == elf_chunks::StringChunks::Read::invalid || text.empty()) {
        symbol.rank = kDropped;
        any_dropped = true;
      } else if (symbol.whole_name) {
        symbol.name = names_read_.emplace_back(text).c_str();
      } else {
        symbol.name = kNameInFile;
      }
    }
    std::vector<InFile>().swap(in_file_order);
    if (any_dropped) {
      std::erase_if(functions_, [](const RawSymbol& symbol) { return symbol.rank == kDropped; });
    }
    // Aliases by name: select_functions() then finds them all in order.
    for (std::size_t begin = 0; begin < functions_.size();) {
      std::size_t end = begin + 1;
      while (end < functions_.size() && same_place(functions_[begin], functions_[end])) ++end;
      if (end - begin > 1) {
        std::sort(functions_.begin() + static_cast<std::ptrdiff_t>(begin),
                  functions_.begin() + static_cast<std::ptrdiff_t>(end),
                  [](const RawSymbol& a, const RawSymbol& b) { return std::strcmp(a.name, b.name) < 0; });
      }
      begin = end;
    }
    return Status::ok();
  }
  static constexpr std::int8_t kDropped = -1;

  bool wanted(std::string_view name) const {
    return options_.only_names.empty() ||
           std::find(options_.only_names.begin(), options_.only_names.end(), name) !=
               options_.only_names.end();
  }

  std::string build_id_from_segments() {
    for (const GElf_Phdr& note : notes_) {
      Elf_Data* data = elf_getdata_rawchunk(elf_, static_cast<int64_t>(note.p_offset),
                                            note.p_filesz, ELF_T_NHDR);
      std::string id = find_build_id(data);
      if (!id.empty()) return id;
    }
    return {};
  }

  // Sorts, drops aliases (keeping the best-ranked name) and gives zero-size
  // symbols the room up to the next symbol, unless they sit inside another.
  // Compacts them in place (a large binary has ~100k): the kept ones, in order.
  const std::vector<RawSymbol>& select_functions() {
    auto before = [](const RawSymbol& a, const RawSymbol& b) {
      if (a.address != b.address) return a.address < b.address;
      if (a.rank != b.rank) return a.rank > b.rank;
      return std::strcmp(a.name, b.name) < 0;
    };
    if (!std::is_sorted(functions_.begin(), functions_.end(), before)) {
      std::sort(functions_.begin(), functions_.end(), before);
    }
    functions_.erase(std::unique(functions_.begin(), functions_.end(),
                                 [](const RawSymbol& a, const RawSymbol& b) {
                                   return a.address == b.address;
                                 }),
                     functions_.end());
    std::uint64_t covered_end = 0;  // end of the furthest-reaching sized symbol so far
    std::size_t kept = 0;  // functions_[kept] is written after [i + 1] was read
    for (std::size_t i = 0; i < functions_.size(); ++i) {
      RawSymbol symbol = functions_[i];
      if (symbol.size == 0) {
        if (symbol.address < covered_end) continue;  // a label inside a function
        std::uint64_t limit = section_ends_[symbol.section];
        if (i + 1 < functions_.size() && (limit == 0 || functions_[i + 1].address < limit)) {
          limit = functions_[i + 1].address;
        }
        if (limit <= symbol.address) continue;
        symbol.size = limit - symbol.address;
      } else {
        covered_end = std::max(covered_end, symbol.address + symbol.size);
      }
      functions_[kept++] = symbol;
    }
    functions_.resize(kept);
    return functions_;
  }

  void pack_data(ElfFile& out) {
    out.data_.reserve(data_.size());
    for (const RawSymbol& symbol : data_) {
      if (auto name = intern(out.names_, symbol.name)) {
        out.data_.push_back({symbol.address, symbol.size, *name, symbol.kind});
      }
    }
  }

  // The names' bytes counted before they are copied: grown by doubling and
  // shrunk, a large binary's names were held up to three times at once.
  void reserve_names(ElfFile& out, const std::vector<RawSymbol>& functions) const {
    std::size_t bytes = 0;
    for (const auto* symbols : {&functions, &data_}) {
      for (const RawSymbol& symbol : *symbols) bytes += std::strlen(symbol.name) + 1;
    }
    out.names_.reserve(std::min<std::size_t>(bytes, std::numeric_limits<std::uint32_t>::max()));
  }

  static std::optional<std::uint32_t> intern(std::vector<char>& names, const char* name) {
    std::size_t length = std::strlen(name);
    if (names.size() + length + 1 > std::numeric_limits<std::uint32_t>::max()) {
      return std::nullopt;
    }
    auto offset = static_cast<std::uint32_t>(names.size());
    names.insert(names.end(), name, name + length + 1);
    return offset;
  }

  Elf* elf_;
  ElfReadOptions options_;
  int fd_ = -1;  // the file, when symbol tables are read from it in chunks
  std::uint64_t file_size_ = 0;
  bool names_later_wanted_ = false;
  bool names_later_ = false;  // only what decides the selection is read of the names
  bool chunk_read_failed_ = false;
  std::deque<std::string> names_read_;  // whole names of aliases, while reading
  std::vector<GElf_Phdr> notes_;
  std::vector<std::uint64_t> section_ends_;  // by section index; 0 = not allocated
  std::vector<StringSection> string_sections_;  // by section index
  std::vector<RawSymbol> functions_;
  std::vector<RawSymbol> data_;
};

Status ElfFile::open(const std::string& path, ElfFile& out, const ElfReadOptions& options) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::error("cannot open " + path + ": " + std::strerror(errno));
  Status status = open_fd(fd, path, out, options);
  ::close(fd);
  return status;
}

Status ElfFile::open_fd(int fd, const std::string& name, ElfFile& out,
                        const ElfReadOptions& options) {
  init_libelf();
  out = ElfFile();
  ElfHandle handle{elf_begin(fd, ELF_C_READ, nullptr)};
  if (!handle.elf) return Status::error(name + ": cannot read as ELF (" + libelf_error() + ")");
  ElfFile file;
  Status status = ElfReader(handle.elf, options, fd).read(name, file);
  if (status) out = std::move(file);
  return status;
}

Status ElfFile::open_memory(std::span<unsigned char> image, const std::string& name,
                           ElfFile& out, const ElfReadOptions& options) {
  init_libelf();
  out = ElfFile();
  ElfHandle handle{elf_memory(reinterpret_cast<char*>(image.data()), image.size())};
  if (!handle.elf) return Status::error(name + ": cannot read as ELF (" + libelf_error() + ")");
  ElfFile file;
  Status status = ElfReader(handle.elf, options).read(name, file);
  if (status) out = std::move(file);
  return status;
}

Status ElfFunctionTable::open_fd(int fd, const std::string& name, ElfFunctionTable& out) {
  init_libelf();
  out = ElfFunctionTable();
  ElfHandle handle{elf_begin(fd, ELF_C_READ, nullptr)};
  if (!handle.elf) return Status::error(name + ": cannot read as ELF (" + libelf_error() + ")");
  // Kept before the read: without a descriptor the names are copied.
  std::shared_ptr<const File> file = keep_file(fd);
  ElfReader reader(handle.elf, ElfReadOptions{.data_symbols = false}, fd);
  if (file) reader.keep_names_in_file();
  ElfFunctionTable table;
  Status status = reader.read_table(name, table, std::move(file));
  if (status) out = std::move(table);
  return status;
}

Status ElfFunctionTable::open_memory(std::span<unsigned char> image, const std::string& name,
                                     ElfFunctionTable& out) {
  init_libelf();
  out = ElfFunctionTable();
  ElfHandle handle{elf_memory(reinterpret_cast<char*>(image.data()), image.size())};
  if (!handle.elf) return Status::error(name + ": cannot read as ELF (" + libelf_error() + ")");
  ElfFunctionTable table;
  Status status = ElfReader(handle.elf, ElfReadOptions{.data_symbols = false})
                      .read_table(name, table, nullptr);
  if (status) out = std::move(table);
  return status;
}

std::optional<std::uint64_t> ElfFile::load_bias(std::uint64_t map_start,
                                                std::uint64_t map_offset) const {
  static const std::uint64_t page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  // The kernel maps a segment from its page-aligned file offset, so a mapping
  // may begin up to a page before the segment's p_offset.
  const ElfLoadSegment* match = nullptr;
  for (const ElfLoadSegment& segment : segments_) {
    std::uint64_t aligned = segment.offset & ~(page - 1);
    if (map_offset >= aligned && map_offset < segment.offset + std::max<std::uint64_t>(segment.filesz, 1)) {
      match = &segment;  // the last one wins: later segments start later in the file
    }
  }
  if (!match) return std::nullopt;
  std::uint64_t vaddr_at_start = map_offset + (match->vaddr - match->offset);
  return map_start - vaddr_at_start;
}

std::optional<std::size_t> ElfFile::find_function_index(std::uint64_t vaddr) const {
  auto after = std::upper_bound(functions_.begin(), functions_.end(), vaddr,
                                [](std::uint64_t a, const StoredSymbol& s) { return a < s.address; });
  if (after == functions_.begin()) return std::nullopt;
  auto candidate = std::prev(after);
  if (vaddr - candidate->address >= candidate->size) return std::nullopt;
  return static_cast<std::size_t>(candidate - functions_.begin());
}

std::optional<ElfSymbol> ElfFile::find_function(std::uint64_t vaddr) const {
  if (auto index = find_function_index(vaddr)) return function(*index);
  return std::nullopt;
}

std::optional<ElfSymbol> ElfFile::find_symbol(std::string_view name) const {
  for (const auto* table : {&functions_, &data_}) {
    for (const StoredSymbol& symbol : *table) {
      if (name == std::string_view(names_.data() + symbol.name)) return view(symbol);
    }
  }
  return std::nullopt;
}

std::size_t ElfFile::memory_bytes() const {
  return sizeof(*this) + build_id_.capacity() + segments_.capacity() * sizeof(ElfLoadSegment) +
         (functions_.capacity() + data_.capacity()) * sizeof(StoredSymbol) + names_.capacity();
}

}  // namespace ember
