// JSON string escaping for the writers: no JSON library is a dependency, and
// frame names come from binaries and scripts, so they may hold anything.
#pragma once

#include <string>
#include <string_view>

namespace ember::formats {

// Appends `text` as a quoted JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD (one per bad byte).
void append_json_string(std::string& out, std::string_view text);

}  // namespace ember::formats
