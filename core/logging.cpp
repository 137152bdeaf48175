#include "logging.hpp"

#include <bpf/libbpf.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace ember {
namespace {

std::mutex loggers_mutex;

int libbpf_print(enum libbpf_print_level level, const char* format, va_list args) {
  char message[1024];
  int length = std::vsnprintf(message, sizeof(message), format, args);
  if (length > 0 && message[std::min<std::size_t>(length, sizeof(message) - 1) - 1] == '\n') {
    message[std::min<std::size_t>(length, sizeof(message) - 1) - 1] = '\0';
  }
  auto logger = component_logger("libbpf");
  switch (level) {
    case LIBBPF_WARN:
      logger->warn("{}", message);
      break;
    case LIBBPF_INFO:
      logger->debug("{}", message);
      break;
    case LIBBPF_DEBUG:
      logger->trace("{}", message);
      break;
  }
  return length;
}

}  // namespace

Status setup_logging(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return Status::error("unknown log level '" + level +
                         "' (use trace, debug, info, warn, error or off)");
  }
  spdlog::set_level(parsed);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  libbpf_set_print(libbpf_print);
  return Status::ok();
}

std::shared_ptr<spdlog::logger> component_logger(const std::string& name) {
  std::lock_guard<std::mutex> lock(loggers_mutex);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = spdlog::stderr_color_mt(name);
  logger->set_level(spdlog::get_level());
  return logger;
}

}  // namespace ember
