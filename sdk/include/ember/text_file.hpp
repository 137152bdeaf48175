// Reading procfs and sysfs text: those files report no size, so they are read
// until EOF, and large ones (/proc/kallsyms) are better parsed as they come.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "ember/status.hpp"

namespace ember {

// Reads the whole file into `out`. Errors name the path and the reason.
Status read_text_file(const std::string& path, std::string& out);

// Reads the file and hands it to `on_lines` in pieces that end at a line end
// (the last piece may lack the newline), so no multi-megabyte buffer is held.
Status read_lines_in_chunks(const std::string& path,
                            const std::function<void(std::string_view lines)>& on_lines);

}  // namespace ember
