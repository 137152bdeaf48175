#include "install_layout.hpp"

#include <boost/dll/runtime_symbol_info.hpp>

namespace ember {

std::string ember_lib_path(const std::string& name) {
  auto binary_dir = boost::dll::program_location().parent_path();
  return (binary_dir.parent_path() / "lib" / "ember" / name).string();
}

}  // namespace ember
