// One spdlog logger per component ("sampler", "agent", "plugin.native", ...),
// all writing to stderr with the same pattern and level.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

#include "ember/status.hpp"

namespace ember {

// Sets the level of every logger (trace, debug, info, warn, error, off), the
// format ("text": time level [component] message; "json": one object per
// line) and routes libbpf's own messages to the "libbpf" logger (debug when
// verbose). Called again on a config reload.
Status setup_logging(const std::string& level, const std::string& format = "text");

std::shared_ptr<spdlog::logger> component_logger(const std::string& name);

// A line kept at the bottom of a terminal (a run's progress): drawn now and
// again after each log record; an empty text takes it down. Only for a
// terminal: the caller checks isatty.
void set_status_line(std::string text);

}  // namespace ember
