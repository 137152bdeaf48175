#include "window_bytes.hpp"

#include <string>

namespace ember {
namespace {

// A string's own heap: none while it fits the small-string buffer.
std::size_t heap_of(const std::string& text) {
  return text.capacity() > std::string().capacity() ? text.capacity() + 1 : 0;
}

template <typename T>
std::size_t elements_of(const std::vector<T>& items) {
  return items.capacity() * sizeof(T);
}

}  // namespace

std::size_t window_bytes(const Window& window) {
  std::size_t bytes = sizeof(Window) + heap_of(window.host);
  bytes += elements_of(window.frames);
  for (const Frame& frame : window.frames) {
    bytes +=
        heap_of(frame.name) + heap_of(frame.module) + heap_of(frame.file) + heap_of(frame.kind);
  }
  bytes += elements_of(window.stacks);
  for (const auto& stack : window.stacks) bytes += elements_of(stack);
  bytes += elements_of(window.samples);
  bytes += elements_of(window.processes);
  for (const ProcessInfo& process : window.processes) {
    bytes += heap_of(process.comm) + heap_of(process.exe) + heap_of(process.cmdline) +
             heap_of(process.container_id) + heap_of(process.container_name) +
             heap_of(process.pod_uid) + heap_of(process.service) + heap_of(process.pod_name);
  }
  bytes += elements_of(window.threads);
  for (const ThreadInfo& thread : window.threads) bytes += heap_of(thread.name);
  bytes += elements_of(window.host_metrics) + elements_of(window.process_metrics);
  bytes += elements_of(window.frame_kinds);
  bytes += elements_of(window.label_sets);
  for (const auto& set : window.label_sets) {
    bytes += elements_of(set);
    for (const Label& label : set) bytes += heap_of(label.key) + heap_of(label.value);
  }
  return bytes;
}

}  // namespace ember
