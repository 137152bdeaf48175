// Writing profile files so that a reader never sees half of one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ember/status.hpp"

namespace ember::formats {

// Writes `contents` to a temporary file next to `path`, syncs it and renames
// it over `path`. Errors name the path and the system's reason.
Status write_file_atomically(const std::string& path, std::string_view contents);

// Creates `directory` and its parents when missing, and checks that a file
// can be created in it.
Status ensure_directory(const std::string& directory);

// `stem`, or `stem`-2, -3, ... when some `directory`/<stem><extension> is
// taken, so two windows starting in the same second never overwrite each
// other and one window's files share one name.
std::string unused_stem(const std::string& directory, const std::string& stem,
                        const std::vector<std::string>& extensions);

}  // namespace ember::formats
