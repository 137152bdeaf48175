// C++ (Itanium ABI) names made readable; anything else is returned as is.
#pragma once

#include <string>
#include <string_view>

namespace ember::native {

std::string demangle(std::string_view symbol);

}  // namespace ember::native
