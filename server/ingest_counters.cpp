#include "ingest_counters.hpp"

namespace ember::server {

const char* refusal_name(Refusal reason) {
  switch (reason) {
    case Refusal::no_token: return "no_token";
    case Refusal::bad_token: return "bad_token";
    case Refusal::too_large: return "too_large";
    case Refusal::malformed: return "malformed";
    case Refusal::unavailable: return "unavailable";
    case Refusal::storage_error: return "storage_error";
  }
  return "unknown";
}

int refusal_status(Refusal reason) {
  switch (reason) {
    case Refusal::no_token: return 401;
    case Refusal::bad_token: return 403;
    case Refusal::too_large: return 413;
    case Refusal::malformed: return 400;
    case Refusal::unavailable: return 503;
    case Refusal::storage_error: return 500;
  }
  return 500;
}

std::string IngestCounters::prometheus() const {
  std::string out =
      "# HELP ember_server_ingested_windows_total Windows stored in ClickHouse.\n"
      "# TYPE ember_server_ingested_windows_total counter\n"
      "ember_server_ingested_windows_total " + std::to_string(windows()) + "\n"
      "# HELP ember_server_ingested_samples_total Samples stored in ClickHouse.\n"
      "# TYPE ember_server_ingested_samples_total counter\n"
      "ember_server_ingested_samples_total " + std::to_string(samples()) + "\n"
      "# HELP ember_server_repeated_windows_total Windows sent again and not stored twice.\n"
      "# TYPE ember_server_repeated_windows_total counter\n"
      "ember_server_repeated_windows_total " + std::to_string(repeats()) + "\n"
      "# HELP ember_server_refused_total Ingest requests refused, by reason.\n"
      "# TYPE ember_server_refused_total counter\n";
  for (std::size_t i = 0; i < kRefusalKinds; ++i) {
    const auto reason = static_cast<Refusal>(i);
    out += "ember_server_refused_total{reason=\"" + std::string(refusal_name(reason)) + "\"} " +
           std::to_string(refusals(reason)) + "\n";
  }
  return out;
}

std::string IngestCounters::summary() const {
  std::string out = std::to_string(windows()) + " windows (" + std::to_string(samples()) +
                    " samples) stored, " + std::to_string(repeats()) + " repeats; refused:";
  bool any = false;
  for (std::size_t i = 0; i < kRefusalKinds; ++i) {
    const auto reason = static_cast<Refusal>(i);
    if (std::uint64_t n = refusals(reason)) {
      out += (any ? ", " : " ") + std::to_string(n) + " " + refusal_name(reason);
      any = true;
    }
  }
  if (!any) out += " none";
  return out;
}

}  // namespace ember::server
