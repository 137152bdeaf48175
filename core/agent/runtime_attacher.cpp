#include "runtime_attacher.hpp"

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

}  // namespace

void RuntimeAttacher::attach(ProcessState& process) {
  ProcessRef ref = ref_of(process);
  // The interpreter first: its BPF walk starts with its config, while the
  // native plugin may take longer (unwind tables of a binary seen first).
  attach_interpreter(process, ref);
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
