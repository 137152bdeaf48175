// The query parameters of POST /ingest, as Pyroscope's /ingest takes them:
//   name=APP{host=HOST,k=v,...}  the application; host and other labels
//   from, until                  the profile's span, whole epoch seconds
//                                (a pprof's time_nanos/duration_nanos win)
//   format                       pprof or folded (default: folded, as Pyroscope)
//   sampleRate                   Hz (default 100, as Pyroscope)
// Other parameters (spyName, units, aggregationType) are accepted and unused.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ember/status.hpp"
#include "ember/window.hpp"

namespace ember::server {

enum class IngestFormat { pprof, folded };

struct IngestParams {
  std::string app;
  std::string host = "unknown";        // the name's host label, if any
  std::vector<Label> labels;           // the name's other labels
  std::int64_t from_s = 0, until_s = 0;  // 0: not given
  IngestFormat format = IngestFormat::folded;
  std::uint32_t sample_rate = 100;
};

// Errors (400) say which parameter and what is accepted.
Status parse_ingest_params(const std::multimap<std::string, std::string>& query,
                           IngestParams& out);

}  // namespace ember::server
