#include "runtime_attacher.hpp"

#include <sys/stat.h>

#include "ember/elf_file.hpp"
#include "logging.hpp"

namespace ember {

RuntimeAttacher::RuntimeAttacher(PluginSet& plugins) : plugins_(plugins) {
  for (auto& runtime : plugins_.runtimes) {
    if (!runtime.plugin->handles_every_process()) probing_.push_back(&runtime);
  }
}

const RuntimeAttacher::Claims& RuntimeAttacher::probe(const ProcessState& process,
                                                      const Mapping& mapping) {
  const std::string file = std::to_string(mapping.dev_major) + ":" +
                           std::to_string(mapping.dev_minor) + ":" + std::to_string(mapping.inode);
  auto known = build_id_of_file_.find(file);
  if (known != build_id_of_file_.end()) return by_build_id_[known->second];

  BinaryRef binary;
  binary.path = mapping.path;
  binary.open_path = process.root() + mapping.path;
  ElfFile elf;
  ElfReadOptions options;
  if (ElfFile::open(binary.open_path, elf, options)) binary.build_id = elf.build_id();
  // Without a build id, the file identity is the key.
  const std::string key = binary.build_id.empty() ? "file:" + file : binary.build_id;
  build_id_of_file_.emplace(file, key);

  auto [claims, inserted] = by_build_id_.try_emplace(key);
  if (inserted) {
    for (auto* runtime : probing_) {
      if (auto data = runtime->plugin->probe(binary)) {
        component_logger("agent")->debug("runtime.{} claims {}", runtime->name, binary.path);
        claims->second.push_back(Claim{runtime, std::move(data)});
      }
    }
  }
  return claims->second;
}

namespace {

ProcessRef ref_of(ProcessState& process) {
  return ProcessRef{process.info.pid, process.root(), process.info.exe, &process.mappings};
}

// The identity of the program a process runs: device, inode and modification
// time of /proc/PID/exe's target (a file rewritten in place is a new one).
std::optional<std::string> executable_identity(std::uint32_t pid) {
  struct stat st {};
  if (stat(("/proc/" + std::to_string(pid) + "/exe").c_str(), &st) != 0) return std::nullopt;
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

RuntimeAttacher::Executable RuntimeAttacher::executable_claimed(std::uint32_t pid) const {
  if (probing_.empty()) return Executable::not_claimed;
  auto identity = executable_identity(pid);
  if (!identity) return Executable::gone;
  auto known = executable_claimed_.find(*identity);
  if (known == executable_claimed_.end()) return Executable::unknown;
  return known->second ? Executable::claimed : Executable::not_claimed;
}

void RuntimeAttacher::learn_executable(const ProcessState& process) {
  auto identity = executable_identity(process.info.pid);
  if (!identity || executable_claimed_.count(*identity)) return;
  bool claimed = false;
  bool found = false;
  for (const Mapping& mapping : process.mappings) {
    if (!mapping.executable || !mapping.is_file() || mapping.path != process.info.exe) continue;
    found = true;
    claimed = !probe(process, mapping).empty();
    break;
  }
  if (!found) return;  // exited meanwhile, or a deleted file: no verdict
  // Bounded: a host runs far fewer distinct programs; a rebuilt tree may not.
  if (executable_claimed_.size() >= 65536) executable_claimed_.clear();
  executable_claimed_.emplace(std::move(*identity), claimed);
}

void RuntimeAttacher::attach(ProcessState& process) {
  ProcessRef ref = ref_of(process);
  // The interpreter first: its BPF walk starts with its config, while the
  // native plugin may take longer (unwind tables of a binary seen first).
  attach_interpreter(process, ref);
  if (!probing_.empty()) learn_executable(process);
  for (auto& runtime : plugins_.runtimes) {
    if (!runtime.plugin->handles_every_process()) continue;
    if (auto handler = runtime.plugin->attach(ref, nullptr)) {
      process.native = handler.get();
      process.handlers.push_back(std::move(handler));
      break;
    }
  }
}

void RuntimeAttacher::refresh(ProcessState& process) {
  std::vector<Mapping> mappings;
  if (!read_proc_maps(process.info.pid, mappings) || mappings.empty()) return;  // gone
  process.mappings = std::move(mappings);
  ProcessRef ref = ref_of(process);
  for (auto& handler : process.handlers) handler->on_mappings_changed(ref);
  if (!process.interpreter) attach_interpreter(process, ref);
}

void RuntimeAttacher::attach_interpreter(ProcessState& process, const ProcessRef& ref) {
  if (probing_.empty()) return;
  for (const Mapping& mapping : process.mappings) {
    if (!mapping.executable || !mapping.is_file()) continue;
    for (const Claim& claim : probe(process, mapping)) {
      auto handler = claim.runtime->plugin->attach(ref, claim.data);
      if (!handler) continue;
      process.interpreter = handler.get();
      process.interpreter_program = claim.runtime->host->program_slot();
      process.handlers.push_back(std::move(handler));
      return;  // one interpreter per process
    }
  }
}

}  // namespace ember
