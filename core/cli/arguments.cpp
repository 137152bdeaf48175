#include "arguments.hpp"

#include <charconv>

namespace ember::cli {

Arguments::Arguments(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) args_.emplace_back(argv[i]);
}

std::optional<std::string> Arguments::next_flag() {
  if (failed() || next_ >= args_.size()) return std::nullopt;
  std::string arg = args_[next_++];
  if (arg.rfind("--", 0) != 0 && arg != "-h") {
    error_ = "unexpected argument '" + arg + "'";
    return std::nullopt;
  }
  inline_value_.reset();
  std::size_t equals = arg.find('=');
  if (equals != std::string::npos) {
    inline_value_ = arg.substr(equals + 1);
    arg.resize(equals);
  }
  flag_ = arg;
  return arg;
}

std::string Arguments::value() {
  if (inline_value_) return *inline_value_;
  if (next_ >= args_.size()) {
    error_ = flag_ + " needs a value";
    return {};
  }
  return args_[next_++];
}

std::uint64_t Arguments::number(std::uint64_t min, std::uint64_t max) {
  std::string text = value();
  if (failed()) return 0;
  std::uint64_t parsed = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (ec != std::errc() || end != text.data() + text.size() || parsed < min || parsed > max) {
    error_ = flag_ + ": expected a whole number from " + std::to_string(min) + " to " +
             std::to_string(max) + ", got '" + text + "'";
    return 0;
  }
  return parsed;
}

double Arguments::seconds() {
  std::string text = value();
  if (failed()) return 0;
  try {
    std::size_t used = 0;
    double parsed = std::stod(text, &used);
    if (used == text.size() && parsed > 0 && parsed < 1e9) return parsed;
  } catch (const std::exception&) {
  }
  error_ = flag_ + ": expected a positive number of seconds, got '" + text + "'";
  return 0;
}

}  // namespace ember::cli
