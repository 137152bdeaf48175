// What opening an unwind object costs (UnwindObject::open: ELF headers,
// .eh_frame's frame-pointer scan, ...) and the first signal-return question
// after it, per file given. Run two builds side by side to compare them.
//   ember_bench_unwind_open [--rounds N] FILE...
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "unwind_object.hpp"

namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 9;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else {
      files.emplace_back(argv[i]);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s [--rounds N] FILE...\n", argv[0]);
    return 2;
  }
  std::printf("%-60s %12s %16s\n", "file", "open ms", "first check ms");
  for (const std::string& file : files) {
    std::vector<double> open_ms, check_ms;
    for (int round = 0; round < rounds; ++round) {
      int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        std::perror(file.c_str());
        return 1;
      }
      std::unique_ptr<ember::native::UnwindObject> object;
      auto start = std::chrono::steady_clock::now();
      ember::Status status = ember::native::UnwindObject::open(fd, file, object);
      open_ms.push_back(ms_since(start));
      ::close(fd);
      if (!status) {
        std::fprintf(stderr, "%s\n", status.message().c_str());
        return 1;
      }
      start = std::chrono::steady_clock::now();
      volatile bool found = object->signal_return_at(0);
      (void)found;
      check_ms.push_back(ms_since(start));
    }
    std::printf("%-60s %12.2f %16.2f\n", file.c_str(), median(open_ms), median(check_ms));
  }
  return 0;
}
