// Where the binaries find what is installed beside them: <dir of the running
// binary>/../lib/ember/, in an installed tree (bin/, lib/ember/) and in the
// build tree alike (build/bin/, build/lib/ember/).
#pragma once

#include <string>

namespace ember {

// <dir of the running binary>/../lib/ember/<name>.
std::string ember_lib_path(const std::string& name);

}  // namespace ember
