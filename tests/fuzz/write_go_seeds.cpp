// Writes the fuzz targets' seed corpora: the synthetic 1.16, 1.18 and 1.20
// tables of the unit tests (tests/unit/go/table_builder.hpp), each with its
// inline trees appended where the pclntab target reads go.func.* (the
// input's own bytes at its vaddr), and the same tables inside minimal ELF
// images without section headers for the detector's target.
#include <cstdio>
#include <string>
#include <vector>

#include "table_builder.hpp"

namespace {

bool write(const std::string& path, const std::vector<std::uint8_t>& a,
           const std::vector<std::uint8_t>& b = {}) {
  FILE* out = std::fopen(path.c_str(), "wb");
  if (!out) {
    std::perror(path.c_str());
    return false;
  }
  // An empty vector's data() may be null, which fwrite must not get.
  if (!a.empty()) std::fwrite(a.data(), 1, a.size(), out);
  if (!b.empty()) std::fwrite(b.data(), 1, b.size(), out);
  return std::fclose(out) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <pclntab corpus directory> <elf corpus directory>\n", argv[0]);
    return 2;
  }
  using ember::go::PclntabVersion;
  namespace t = ember::go::testing;
  const char* names[] = {"go116", "go118", "go120"};
  PclntabVersion versions[] = {PclntabVersion::go116, PclntabVersion::go118,
                               PclntabVersion::go120};
  for (int i = 0; i < 3; ++i) {
    t::BuiltTable built = t::build_table(t::sample_spec(versions[i]));
    if (!write(std::string(argv[1]) + "/" + names[i], built.table, built.gofunc)) return 1;
    if (!write(std::string(argv[2]) + "/" + names[i],
               t::elf_image(built, versions[i], "go1.20.14"))) {
      return 1;
    }
  }
  return 0;
}
