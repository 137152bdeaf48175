#include "detect.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <set>
#include <string_view>
#include <vector>

#include "debug_offsets.hpp"
#include "image.hpp"

namespace ember::cpython {
namespace {

struct Version {
  unsigned major = 0, minor = 0, micro = 0;
  auto operator<=>(const Version&) const = default;
};

// "3.9.18", "3.13.0rc2", "2.7.18+": digits.digits.digits, then an optional
// release level and a '+'. Returns nullopt for anything else.
std::optional<Version> parse_version(std::string_view text) {
  Version v;
  unsigned* parts[] = {&v.major, &v.minor, &v.micro};
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 3; ++i) {
    auto [next, ec] = std::from_chars(p, end, *parts[i]);
    if (ec != std::errc() || next == p || next - p > 2) return std::nullopt;
    p = next;
    if (i < 2) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
  }
  std::string_view rest(p, static_cast<std::size_t>(end - p));
  if (!rest.empty() && rest.back() == '+') rest.remove_suffix(1);
  if (!rest.empty()) {
    std::size_t level = rest.starts_with("rc") ? 2 : (rest[0] == 'a' || rest[0] == 'b') ? 1 : 0;
    if (level == 0 || rest.size() == level) return std::nullopt;
    for (char c : rest.substr(level)) {
      if (c < '0' || c > '9') return std::nullopt;
    }
  }
  if (v.major < 2 || v.major > 3) return std::nullopt;
  return v;
}

std::string version_text(const Version& v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.micro);
}

// A NUL-terminated string of at most 31 characters stored at `vaddr`.
std::optional<std::string> read_short_string(const Image& image, std::uint64_t vaddr) {
  std::array<std::byte, 32> bytes{};
  // The string may sit at the very end of a segment: shrink until it reads.
  for (std::size_t size = bytes.size(); size >= 4; size /= 2) {
    if (image.read(vaddr, std::span(bytes.data(), size))) {
      const char* text = reinterpret_cast<const char*>(bytes.data());
      std::size_t length = strnlen(text, size);
      if (length == size) return std::nullopt;
      return std::string(text, length);
    }
  }
  return std::nullopt;
}

// PY_VERSION as Py_GetVersion passes it to snprintf: on x86_64 every
// RIP-relative `lea` in the function (REX.W 8D, modrm mod=00 rm=101) is a
// candidate address; the one that holds a version string wins.
std::optional<Version> version_from_getversion(const Image& image, const ElfSymbol& function) {
  std::uint64_t size = std::min<std::uint64_t>(function.size ? function.size : 256, 1024);
  std::vector<std::byte> code(size);
  if (!image.read(function.address, code)) return std::nullopt;
  for (std::size_t i = 0; i + 7 <= code.size(); ++i) {
    auto byte = [&](std::size_t k) { return std::to_integer<unsigned>(code[i + k]); };
    if ((byte(0) != 0x48 && byte(0) != 0x4c) || byte(1) != 0x8d || (byte(2) & 0xc7) != 0x05) {
      continue;
    }
    std::int32_t displacement = 0;
    std::memcpy(&displacement, code.data() + i + 3, sizeof displacement);
    std::uint64_t target = function.address + i + 7 +
                           static_cast<std::uint64_t>(static_cast<std::int64_t>(displacement));
    if (auto text = read_short_string(image, target)) {
      if (auto v = parse_version(*text)) return v;
    }
  }
  return std::nullopt;
}

// Fallback: version strings ending at a NUL in the read-only, non-executable
// segments, of the range the symbols allow. Compilers merge string tails, so
// PY_VERSION may be the end of a longer string ("/prefix/Python-3.9.18"):
// accept any non-digit, non-dot byte before it. One distinct version must
// remain.
Status version_from_rodata(const Image& image, Version low, Version high, Version& out) {
  std::set<Version> found;
  for (const ElfLoadSegment& segment : image.elf().load_segments()) {
    if (segment.executable || segment.writable || segment.filesz == 0) continue;
    std::vector<std::byte> raw(segment.filesz);
    if (Status s = image.read_file(segment.offset, raw); !s) return s;
    std::string_view bytes(reinterpret_cast<const char*>(raw.data()), raw.size());
    for (std::size_t nul = bytes.find('\0'); nul != std::string_view::npos;
         nul = bytes.find('\0', nul + 1)) {
      std::size_t start = nul;
      while (start > 0 && nul - start < 12) {
        char c = bytes[start - 1];
        if (!((c >= '0' && c <= '9') || c == '.' || c == '+' || c == 'a' || c == 'b' || c == 'r' ||
              c == 'c')) {
          break;
        }
        --start;
      }
      // Leading letters belong to the word before ("Python-..." keeps '-').
      while (start < nul && !(bytes[start] >= '0' && bytes[start] <= '9')) ++start;
      if (start == nul) continue;
      if (auto v = parse_version(bytes.substr(start, nul - start))) {
        Version mm{v->major, v->minor, 0};
        if (mm >= low && mm <= high) found.insert(*v);
      }
    }
  }
  if (found.size() == 1) {
    out = *found.begin();
    return Status::ok();
  }
  std::string list;
  for (const Version& v : found) list += (list.empty() ? "" : ", ") + version_text(v);
  return Status::error(image.name() + ": cannot tell the CPython version from its strings (" +
                       (found.empty() ? std::string("none found") : "candidates " + list) + ")");
}

}  // namespace

const cpython_offsets* find_offsets(unsigned major, unsigned minor) {
  for (const cpython_offsets& entry : cpython_offsets_table) {
    if (entry.major == major && entry.minor == minor) return &entry;
  }
  return nullptr;
}

Status detect(const BinaryRef& binary, CPythonBinary& out) {
  out = CPythonBinary{};
  const std::string& name = binary.path.empty() ? binary.open_path : binary.path;
  Image image;
  // Every binary a process maps is probed: only the names read below are kept.
  ElfReadOptions options;
  options.only_names = {"Py_GetVersion",  "_PyRuntime",   "_PyThreadState_Current",
                        "_Py_tss_tstate", "Py_Version",   "PyCode_Type",
                        "PyUnicode_Type", "PyBytes_Type", "PyString_Type"};
  if (Status s = image.open(binary.open_path, name, options); !s) return s;
  const ElfFile& elf = image.elf();

  auto defined = [&](std::string_view symbol, SymbolKind kind) -> std::optional<ElfSymbol> {
    auto found = elf.find_symbol(symbol);
    if (!found || found->kind != kind || found->address == 0) return std::nullopt;
    return found;
  };
  auto get_version = defined("Py_GetVersion", SymbolKind::function);
  auto runtime = defined("_PyRuntime", SymbolKind::object);
  auto tstate_current = defined("_PyThreadState_Current", SymbolKind::object);
  if (!get_version || (!runtime && !tstate_current)) return Status::ok();  // not CPython

  out.is_cpython = true;
  if (runtime) out.runtime_address = runtime->address;
  if (tstate_current) out.tstate_current_address = tstate_current->address;
  if (auto tls = elf.find_symbol("_Py_tss_tstate"); tls && tls->kind == SymbolKind::tls) {
    out.tss_tstate_tls_offset = tls->address;
  }

  Version version;
  if (auto py_version = defined("Py_Version", SymbolKind::object)) {
    std::array<std::byte, 8> bytes{};
    std::size_t size = py_version->size == 4 ? 4 : 8;
    if (Status s = image.read(py_version->address, std::span(bytes.data(), size)); !s) {
      return Status::error("reading Py_Version: " + s.message());
    }
    std::uint64_t hex = 0;
    std::memcpy(&hex, bytes.data(), size);
    version = {static_cast<unsigned>(hex >> 24) & 0xff, static_cast<unsigned>(hex >> 16) & 0xff,
               static_cast<unsigned>(hex >> 8) & 0xff};
    if (version.major != 3) {
      char text[32];
      std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(hex));
      return Status::error(name + ": Py_Version holds " + text + ", not a CPython 3 version");
    }
    out.version_source = VersionSource::py_version;
  } else if (auto v = version_from_getversion(image, *get_version)) {
    version = *v;
  } else {
    // Before Py_Version (3.11): _PyRuntime means 3.7-3.10, else 2.x-3.6.
    Version low = runtime ? Version{3, 7, 0} : Version{2, 0, 0};
    Version high = runtime ? Version{3, 10, 0} : Version{3, 6, 0};
    if (Status s = version_from_rodata(image, low, high, version); !s) return s;
  }
  auto type_address = [&](std::string_view symbol) -> std::uint64_t {
    auto found = defined(symbol, SymbolKind::object);
    return found ? found->address : 0;
  };
  out.code_type_address = type_address("PyCode_Type");
  out.str_type_address = type_address(version.major == 2 ? "PyString_Type" : "PyUnicode_Type");
  out.bytes_type_address = type_address(version.major == 2 ? "PyString_Type" : "PyBytes_Type");
  out.major = version.major;
  out.minor = version.minor;
  out.micro = version.micro;
  out.version = version_text(version);

  out.table = find_offsets(version.major, version.minor);
  if (!out.table) {
    return Status::error(name + ": unsupported CPython version " + std::to_string(version.major) +
                         "." + std::to_string(version.minor) + " (ember knows 2.7 and 3.6-3.13)");
  }
  out.offsets = *out.table;
  if (runtime && find_debug_layout(version.major, version.minor)) {
    DebugOffsets debug;
    if (Status s = read_debug_offsets(image, runtime->address, *out.table, debug); s) {
      // Free-threaded builds lay objects out differently (ob_tid, ...), and
      // the table's fields the debug offsets don't mirror would be wrong.
      if (debug.free_threaded) {
        return Status::error(name + ": free-threaded CPython " + out.version +
                             " is not supported (its objects have another layout)");
      }
      out.has_debug_offsets = true;
      out.offsets = debug.offsets;
    } else {
      out.debug_offsets_error = s.message();
    }
  }
  return Status::ok();
}

}  // namespace ember::cpython
