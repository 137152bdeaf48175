#include "host_handle.hpp"

#include <sys/uio.h>

#include "frame_kind_registry.hpp"
#include "logging.hpp"
#include "sampler/sampler.hpp"

namespace ember {

bool is_shared_bpf_map(std::string_view map_name) {
  for (std::string_view shared : kSharedBpfMaps) {
    if (shared == map_name) return true;
  }
  return false;
}

HostHandle::HostHandle(const std::string& plugin_section, Sampler* sampler)
    : logger_(component_logger(plugin_section)), sampler_(sampler) {}

HostHandle::~HostHandle() {
  if (sampler_ && program_slot_) sampler_->remove_program(program_slot_);
}

void HostHandle::log(LogLevel level, std::string_view message) {
  switch (level) {
    case LogLevel::debug:
      logger_->debug("{}", message);
      break;
    case LogLevel::info:
      logger_->info("{}", message);
      break;
    case LogLevel::warn:
      logger_->warn("{}", message);
      break;
    case LogLevel::error:
      logger_->error("{}", message);
      break;
  }
}

std::string HostHandle::process_root(std::uint32_t pid) const {
  return "/proc/" + std::to_string(pid) + "/root";
}

bool HostHandle::read_memory(std::uint32_t pid, std::uint64_t address, void* buffer,
                             std::size_t size) {
  iovec local{buffer, size};
  iovec remote{reinterpret_cast<void*>(address), size};
  return process_vm_readv(static_cast<pid_t>(pid), &local, 1, &remote, 1, 0) ==
         static_cast<ssize_t>(size);
}

int HostHandle::bpf_map_fd(std::string_view map_name) const {
  if (!is_shared_bpf_map(map_name)) {
    std::string shared;
    for (std::string_view name : kSharedBpfMaps) shared += (shared.empty() ? "" : ", ") + std::string(name);
    logger_->warn("asked for the sampler's BPF map '{}', which is not shared with plugins "
                  "(shared: {}; see ember/host.hpp)",
                  map_name, shared);
    return -1;
  }
  return sampler_ ? sampler_->map_fd(map_name) : -1;
}

Status HostHandle::register_bpf_program(int program_fd, std::uint32_t& slot) {
  if (!sampler_) return Status::error("no BPF sampler is running");
  Status status = sampler_->add_program(program_fd, slot);
  if (status) program_slot_ = slot;
  return status;
}

Status HostHandle::set_process_program(std::uint32_t pid, std::uint32_t slot) {
  if (!sampler_) return Status::error("no BPF sampler is running");
  return sampler_->set_process_program(pid, slot);
}

Status HostHandle::set_process_flags(std::uint32_t pid, std::uint32_t flags, bool on) {
  if (!sampler_) return Status::error("no BPF sampler is running");
  return sampler_->set_process_flags(pid, flags, on);
}

Status HostHandle::register_frame_kind(std::string_view kind, std::string_view color) {
  Status status = frame_kind_registry().register_kind(kind, color);
  if (status) logger_->debug("frame kind {} registered with color {}", kind, color);
  return status;
}

bool HostHandle::unwind_rule(std::uint32_t pid, std::uint64_t pc, UnwindRule& rule) {
  return unwind_rules_ && unwind_rules_(pid, pc, rule);
}

}  // namespace ember
