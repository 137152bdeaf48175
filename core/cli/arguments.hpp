// A small command-line reader: --name VALUE and --name=VALUE, repeated flags,
// numbers checked, errors that say which flag and why.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ember::cli {

class Arguments {
 public:
  Arguments(int argc, char** argv, int first);

  // The next flag's name ("--pid"), or nullopt at the end. Positional
  // arguments are an error.
  std::optional<std::string> next_flag();
  // The value of the current flag.
  std::string value();
  std::uint64_t number(std::uint64_t min, std::uint64_t max);
  double seconds();

  const std::string& error() const { return error_; }
  bool failed() const { return !error_.empty(); }

 private:
  std::vector<std::string> args_;
  std::size_t next_ = 0;
  std::string flag_;
  std::optional<std::string> inline_value_;
  std::string error_;
};

}  // namespace ember::cli
