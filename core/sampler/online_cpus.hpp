#pragma once

#include <string_view>
#include <vector>

namespace ember {

// Parses a kernel CPU list such as "0-3,5,7-8". Empty on malformed input.
std::vector<int> parse_cpu_list(std::string_view text);

// The CPUs online now (/sys/devices/system/cpu/online).
std::vector<int> online_cpus();

}  // namespace ember
