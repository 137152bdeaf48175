// Times on `ember report`'s command line, as wall-clock nanoseconds:
//   now                       the current time
//   -15m, -2h, -1d, -1h30m    that long before now (units s, m, h, d, w; at
//                             most 100 years);
//   now-15m                   the same
//   2026-11-25T19:05:12Z      ISO 8601: date, optional time (T or a space),
//   2026-11-25 19:05          optional fraction, optional zone (Z, +02:00,
//   2026-11-25                +0200); without a zone the time is UTC, as ember
//                             prints times
//   1795633512, 1795633512.5  seconds since the epoch; 19 digits or more:
//   1795633512000000000       nanoseconds (as in ember's JSON)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ember/status.hpp"

namespace ember::report {

// Errors name the text and the accepted forms.
Status parse_time(std::string_view text, std::int64_t now_ns, std::int64_t& out_ns);

struct TimeRange {
  std::int64_t from_ns = 0;
  std::int64_t to_ns = 0;
};

// "FROM..TO", each a time as above ("-2h..-1h", "2026-11-25T19:00Z..now"); a
// time alone is FROM..now ("-1m": the last minute).
Status parse_time_range(std::string_view text, std::int64_t now_ns, TimeRange& out);

}  // namespace ember::report
