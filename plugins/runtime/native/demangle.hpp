// Mangled names made readable: C++ (Itanium ABI) and Rust, both the legacy
// scheme (_ZN...17h<hash>E, shown without its ::h<hash>) and v0 (_R...).
// Anything else is returned as is.
#pragma once

#include <string>
#include <string_view>

namespace ember::native {

std::string demangle(std::string_view symbol);

}  // namespace ember::native
