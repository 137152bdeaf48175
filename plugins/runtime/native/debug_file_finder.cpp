#include "debug_file_finder.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>

#include "debug_links.hpp"

namespace ember::native {
namespace {

std::string directory_of(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

// CRC-32 of a whole file (what .gnu_debuglink records); false when unreadable.
bool file_crc(const MappedFile& file, std::uint32_t& crc) {
  uLong value = crc32(0L, Z_NULL, 0);
  char buffer[1 << 16];
  for (off_t offset = 0;;) {
    ssize_t got = ::pread(file.fd(), buffer, sizeof buffer, offset);
    if (got < 0) return false;
    if (got == 0) break;
    value = crc32(value, reinterpret_cast<const Bytef*>(buffer), static_cast<uInt>(got));
    offset += got;
  }
  crc = static_cast<std::uint32_t>(value);
  return true;
}

bool same_file(const FileIdentity& a, const FileIdentity& b) {
  return a.device == b.device && a.inode == b.inode;
}

// What a debug file that is the object's adds: whether it has DWARF, where it is.
void finish_debug_file(const MappedFile& file, const std::string& path, DebugFile& found) {
  DebugLinks links;
  found.has_dwarf = read_debug_links(file.fd(), path, links) && links.has_dwarf;
  found.alt = linked_alt_file(links);
  found.path = path;
  found.identity = file.identity();
}

}  // namespace

std::vector<std::string> debug_file_candidates(const DebugFileQuery& query) {
  std::vector<std::string> paths;
  auto add = [&paths](std::string path) {
    if (std::find(paths.begin(), paths.end(), path) == paths.end())
      paths.push_back(std::move(path));
  };
  if (query.build_id.size() > 2) {
    for (const std::string& root : query.roots) {
      for (const std::string& dir : query.debug_dirs) {
        add(root + dir + "/.build-id/" + query.build_id.substr(0, 2) + "/" +
            query.build_id.substr(2) + ".debug");
      }
    }
  }
  // A debuglink is a file name; one with a slash is not what objcopy writes.
  if (!query.debuglink.empty() && query.debuglink.find('/') == std::string::npos) {
    std::string object_dir = directory_of(query.object_path);
    for (const std::string& root : query.roots) {
      add(root + object_dir + "/" + query.debuglink);
      add(root + object_dir + "/.debug/" + query.debuglink);
      for (const std::string& dir : query.debug_dirs) {
        add(root + dir + object_dir + "/" + query.debuglink);
      }
    }
  }
  return paths;
}

bool find_debug_file(const DebugFileQuery& query, DebugFile& out) {
  for (const std::string& path : debug_file_candidates(query)) {
    MappedFile file;
    if (!MappedFile::open_path(path, file) || same_file(file.identity(), query.object)) continue;
    DebugFile found;
    if (!ElfFunctionTable::open_fd(file.fd(), path, found.symbols)) {
      continue;
    }
    if (!query.build_id.empty()) {
      if (found.symbols.build_id() != query.build_id) continue;
    } else {
      std::uint32_t crc = 0;
      if (!file_crc(file, crc) || crc != query.debuglink_crc) continue;
    }
    finish_debug_file(file, path, found);
    out = std::move(found);
    return true;
  }
  return false;
}

bool open_debug_file(const std::string& path, const std::string& build_id, DebugFile& out,
                     std::string& error) {
  MappedFile file;
  if (Status opened = MappedFile::open_path(path, file); !opened) {
    error = opened.message();
    return false;
  }
  DebugFile found;
  if (Status read = ElfFunctionTable::open_fd(file.fd(), path, found.symbols); !read) {
    error = read.message();
    return false;
  }
  if (found.symbols.build_id() != build_id) {
    error = path + " has build id \"" + found.symbols.build_id() + "\", not " + build_id;
    return false;
  }
  finish_debug_file(file, path, found);
  out = std::move(found);
  return true;
}

}  // namespace ember::native
