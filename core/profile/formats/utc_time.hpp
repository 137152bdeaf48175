// Wall-clock timestamps as text, for file names and profile names.
#pragma once

#include <cstdint>
#include <string>

namespace ember::formats {

// "20261125T190512Z": sortable and safe in file names.
std::string utc_compact(std::int64_t unix_ns);

// "2026-11-25T19:05:12Z": for people.
std::string utc_iso8601(std::int64_t unix_ns);

}  // namespace ember::formats
