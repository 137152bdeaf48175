// Writes the fuzz target's seed corpus: the synthetic 1.16, 1.18 and 1.20
// tables of the unit tests (tests/unit/go/table_builder.hpp), each with its
// inline trees appended where the fuzz target reads go.func.* (the input's
// own bytes at its vaddr).
#include <cstdio>
#include <string>

#include "table_builder.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus directory>\n", argv[0]);
    return 2;
  }
  using ember::go::PclntabVersion;
  const char* names[] = {"go116", "go118", "go120"};
  PclntabVersion versions[] = {PclntabVersion::go116, PclntabVersion::go118,
                               PclntabVersion::go120};
  for (int i = 0; i < 3; ++i) {
    ember::go::testing::BuiltTable built =
        ember::go::testing::build_table(ember::go::testing::sample_spec(versions[i]));
    std::string path = std::string(argv[1]) + "/" + names[i];
    FILE* out = std::fopen(path.c_str(), "wb");
    if (!out) {
      std::perror(path.c_str());
      return 1;
    }
    std::fwrite(built.table.data(), 1, built.table.size(), out);
    std::fwrite(built.gofunc.data(), 1, built.gofunc.size(), out);
    std::fclose(out);
  }
  return 0;
}
