// Human-friendly values of sink options ([sink.store] max_age and max_size,
// [sink.upload] max_spool): ages like "7d", "12h", "30m", "90s" and sizes like
// "1GiB", "500MB", "64KiB", "4096". "0" turns a limit off.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ember/option_reader.hpp"

namespace ember::formats {

// Nanoseconds, or nothing when `text` is not a number followed by s, m, h or d.
std::optional<std::int64_t> parse_age(const std::string& text);

// Bytes, or nothing when `text` is not a number with an optional unit
// (B, KB, MB, GB, TB: powers of 1000; KiB, MiB, GiB, TiB: powers of 1024).
std::optional<std::int64_t> parse_size(const std::string& text);

// A sink's max_age (default "7d") and max_size (default "1GiB") read through
// `reader`, 0 for "0" (no limit); a value that is not an age or a size is the
// reader's error, which says what the limit keeps (`kept`: "windows").
struct AgeAndSize {
  std::int64_t max_age_ns = 0;
  std::int64_t max_bytes = 0;
};
AgeAndSize read_age_and_size(OptionReader& reader, const std::string& kept);

}  // namespace ember::formats
