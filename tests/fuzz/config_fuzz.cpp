// libFuzzer target for the config parser: a mistake in ember.toml must be an
// error naming the file, line and key, never a crash of the agent that
// reloads it on SIGHUP.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ember::Config config;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ember::Status status = ember::parse_config(text, "fuzz.toml", config);
  if (!status && status.message().find("fuzz.toml") == std::string::npos) __builtin_trap();
  return 0;
}
