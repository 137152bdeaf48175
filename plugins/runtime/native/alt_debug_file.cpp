#include "alt_debug_file.hpp"

#include <algorithm>
#include <filesystem>

#include "ember/elf_file.hpp"

namespace ember::native {
namespace {

constexpr const char* kLibdwDebugDir = "/usr/lib/debug";

}  // namespace

AltDebugFile linked_alt_file(const DebugLinks& links) {
  AltDebugFile alt;
  if (links.altlink_build_id.empty()) return alt;
  alt.name = links.altlink;
  alt.build_id = links.altlink_build_id;
  return alt;
}

std::vector<std::string> alt_file_candidates(const std::string& dwarf_path,
                                             const std::vector<std::string>& roots,
                                             const std::vector<std::string>& debug_dirs,
                                             const AltDebugFile& alt) {
  std::vector<std::string> paths;
  auto add = [&paths](std::string path) {
    if (std::find(paths.begin(), paths.end(), path) == paths.end())
      paths.push_back(std::move(path));
  };
  if (!alt.name.empty()) {
    if (alt.name.front() == '/') {
      for (const std::string& root : roots) add(root + alt.name);
    } else {
      add((std::filesystem::path(dwarf_path).parent_path() / alt.name).string());
    }
  }
  if (alt.build_id.size() > 2) {
    std::vector<std::string> dirs = debug_dirs;
    if (std::find(dirs.begin(), dirs.end(), kLibdwDebugDir) == dirs.end()) {
      dirs.emplace_back(kLibdwDebugDir);
    }
    for (const std::string& root : roots) {
      for (const std::string& dir : dirs) {
        add(root + dir + "/.build-id/" + alt.build_id.substr(0, 2) + "/" +
            alt.build_id.substr(2) + ".debug");
      }
    }
  }
  return paths;
}

bool find_alt_file(const std::string& dwarf_path, const std::vector<std::string>& roots,
                   const std::vector<std::string>& debug_dirs, AltDebugFile& alt) {
  std::string ignored;
  for (const std::string& path : alt_file_candidates(dwarf_path, roots, debug_dirs, alt)) {
    if (open_alt_file(path, alt, ignored)) return true;
  }
  return false;
}

bool open_alt_file(const std::string& path, AltDebugFile& alt, std::string& error) {
  MappedFile file;
  if (Status opened = MappedFile::open_path(path, file); !opened) {
    error = opened.message();
    return false;
  }
  ElfFile elf;
  if (Status read = ElfFile::open_fd(file.fd(), path, elf, ElfReadOptions{.data_symbols = false});
      !read) {
    error = read.message();
    return false;
  }
  if (elf.build_id() != alt.build_id) {
    error = path + " has build id \"" + elf.build_id() + "\", not " + alt.build_id;
    return false;
  }
  DebugLinks links;
  if (Status sections = read_debug_links(file.fd(), path, links); !sections) {
    error = sections.message();
    return false;
  }
  if (!links.has_debug_info) {
    error = path + " has no .debug_info";
    return false;
  }
  alt.path = path;
  alt.identity = file.identity();
  return true;
}

}  // namespace ember::native
