#pragma once
// The text of an errno value, or of a negative one as libbpf returns them.

#include <cstring>
#include <string>

namespace ember {

inline std::string errno_text(int error) { return std::strerror(error < 0 ? -error : error); }

}  // namespace ember
