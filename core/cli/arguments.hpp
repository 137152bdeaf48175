// A small command-line reader: --name VALUE and --name=VALUE, short aliases
// (-p VALUE), repeated flags, numbers and durations checked, errors that say
// which flag and why; everything after `--` is a command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ember::cli {

class Arguments {
 public:
  Arguments(int argc, char** argv, int first);

  // Short flags and the long ones they stand for ({"-p", "--pid"}).
  void alias(std::string short_flag, std::string long_flag);

  // The next flag's name ("--pid"), or nullopt at the end. Positional
  // arguments are an error.
  std::optional<std::string> next_flag();
  // The value of the current flag.
  std::string value();
  std::uint64_t number(std::uint64_t min, std::uint64_t max);
  // A duration: seconds, or a number with a unit (500ms, 30s, 2m, 1h).
  double seconds();
  // Accepts `--` and a command line after it (other commands refuse it).
  void allow_command() { command_allowed_ = true; }
  // What followed `--` (empty when there was none).
  const std::vector<std::string>& command() const { return command_; }

  const std::string& error() const { return error_; }
  bool failed() const { return !error_.empty(); }

 private:
  std::vector<std::string> args_;
  std::size_t next_ = 0;
  std::string flag_;
  std::optional<std::string> inline_value_;
  std::string error_;
  std::vector<std::pair<std::string, std::string>> aliases_;
  std::vector<std::string> command_;
  bool double_dash_ = false;
  bool command_allowed_ = false;
};

// Says "ember <command>: <message>" on stderr; returns `code`, the exit status.
int command_failed(const char* command, const std::string& message, int code = 1);

}  // namespace ember::cli
