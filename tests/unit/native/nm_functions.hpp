// The functions of an ELF file as `nm -S` lists them: where DWARF lookups
// are checked against.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

namespace ember::native {

struct NmFunction {
  std::uint64_t address = 0;
  std::uint64_t size = 0;
};

// The defined functions of `file` with a size, by name.
inline std::map<std::string, NmFunction> nm_functions(const std::string& file) {
  std::string command = std::string(EMBER_NM) + " -S --defined-only '" + file + "'";
  FILE* pipe = popen(command.c_str(), "r");
  std::map<std::string, NmFunction> found;
  char line[4096];
  while (pipe && std::fgets(line, sizeof line, pipe)) {
    unsigned long long address = 0;
    unsigned long long size = 0;
    char type = 0;
    char symbol[2048];
    if (std::sscanf(line, "%llx %llx %c %2047s", &address, &size, &type, symbol) == 4 &&
        (type == 'T' || type == 't' || type == 'W' || type == 'w') && size > 0) {
      found[symbol] = {address, size};
    }
  }
  if (pipe) pclose(pipe);
  return found;
}

inline NmFunction nm_function(const std::string& file, const std::string& name) {
  auto functions = nm_functions(file);
  auto it = functions.find(name);
  return it == functions.end() ? NmFunction{} : it->second;
}

}  // namespace ember::native
