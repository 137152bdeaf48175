#include "arguments.hpp"

#include <charconv>
#include <cstdio>

namespace ember::cli {

Arguments::Arguments(int argc, char** argv, int first) {
  int i = first;
  for (; i < argc && std::string(argv[i]) != "--"; ++i) args_.emplace_back(argv[i]);
  double_dash_ = i < argc;
  for (++i; i < argc; ++i) command_.emplace_back(argv[i]);
}

void Arguments::alias(std::string short_flag, std::string long_flag) {
  aliases_.emplace_back(std::move(short_flag), std::move(long_flag));
}

std::optional<std::string> Arguments::next_flag() {
  if (failed()) return std::nullopt;
  if (next_ >= args_.size()) {
    if (double_dash_ && !command_allowed_) error_ = "unexpected argument '--'";
    return std::nullopt;
  }
  std::string arg = args_[next_++];
  for (const auto& [short_flag, long_flag] : aliases_) {
    if (arg == short_flag) arg = long_flag;
  }
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
    std::string unit = text.substr(used);
    double scale = unit.empty() || unit == "s" ? 1 : unit == "ms" ? 1e-3 : unit == "m" ? 60
                   : unit == "h" ? 3600 : 0;
    double seconds = parsed * scale;
    if (used > 0 && scale > 0 && seconds > 0 && seconds < 1e9) return seconds;
  } catch (const std::exception&) {
  }
  error_ = flag_ + ": expected a positive duration (seconds, or with a unit: 500ms, 30s, 2m, "
           "1h), got '" + text + "'";
  return 0;
}

int command_failed(const char* command, const std::string& message, int code) {
  std::fprintf(stderr, "ember %s: %s\n", command, message.c_str());
  return code;
}

}  // namespace ember::cli
