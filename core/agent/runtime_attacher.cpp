#include "runtime_attacher.hpp"

#include <sys/stat.h>

#include <utility>

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
  options.symbols = false;  // the key is all this read is for
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
  // The interpreters first: their BPF walk starts with their config, while
  // the native plugin may take longer (unwind tables of a binary seen first).
  std::vector<const Mapping*> code;
  for (const Mapping& mapping : process.mappings) {
    if (mapping.executable && mapping.is_file()) code.push_back(&mapping);
  }
  attach_claimers(process, ref, code);
  if (!probing_.empty()) learn_executable(process);
  for (auto& runtime : plugins_.runtimes) {
    if (!runtime.plugin->handles_every_process()) continue;
    if (auto handler = runtime.plugin->attach(ref, nullptr)) {
      process.native = handler.get();
      process.handlers.push_back(std::move(handler));
      break;
    }
  }
  process.code_claims.collect(process.handlers);
  note_setting_up(process);
}

void RuntimeAttacher::note_setting_up(ProcessState& process) {
  process.setting_up = false;
  for (const AttachedRuntime& runtime : process.runtimes) {
    if (runtime.abi_minor >= kSettingUpMinor && runtime.handler->setting_up()) {
      process.setting_up = true;
    }
  }
}

void RuntimeAttacher::retry_setting_up(ProcessState& process) {
  ProcessRef ref = ref_of(process);
  for (const AttachedRuntime& runtime : process.runtimes) {
    if (runtime.abi_minor >= kSettingUpMinor && runtime.handler->setting_up()) {
      runtime.handler->on_mappings_changed(ref);
    }
  }
  process.code_claims.collect(process.handlers);
  note_setting_up(process);
}

bool RuntimeAttacher::refresh(ProcessState& process) {
  std::vector<Mapping> mappings;
  const bool alive = read_proc_maps(process.info.pid, mappings) && !mappings.empty();
  if (!alive) {
    // Gone: what it mapped since it was read, if the kernel's records say.
    if (!exec_images_ || !mappings_after_exit(exec_images_(process.info.pid), process.mappings,
                                              mappings)) {
      return false;
    }
  }
  if (mappings == process.mappings) {
    if (process.setting_up) retry_setting_up(process);
    return true;
  }
  if (alive) {
    // A child known as a copy of its parent may have exec'd since: plugins
    // attach to the new image under its own names, not the parent's.
    ProcessInfo now;
    read_process_names(process.info.pid, now);
    if (!now.exe.empty() && now.exe != process.info.exe) {
      process.info.comm = now.comm;
      process.info.exe = now.exe;
      process.info.cmdline = now.cmdline;
    }
  }
  std::vector<Mapping> before = std::exchange(process.mappings, std::move(mappings));
  process.unmapped_pcs.clear();
  ProcessRef ref = ref_of(process);
  for (auto& handler : process.handlers) handler->on_mappings_changed(ref);

  // Every executable file is asked about (probes are cached: a lookup each
  // for the known ones), so a plugin whose attach failed before, when what it
  // needs was not mapped yet, gets another chance.
  std::vector<const Mapping*> code;
  std::vector<const Mapping*> added;
  for (const Mapping& mapping : process.mappings) {
    if (!mapping.executable || !mapping.is_file()) continue;
    code.push_back(&mapping);
    const Mapping* old = find_mapping(before, mapping.start);
    if (!old || !(*old == mapping)) added.push_back(&mapping);
  }
  std::vector<std::string> attached = attach_claimers(process, ref, code);
  process.code_claims.collect(process.handlers);
  note_setting_up(process);
  process.code_names.forget_changed(process.mappings);

  auto logger = component_logger("agent");
  if (logger->should_log(spdlog::level::debug) && !added.empty()) {
    std::string paths;
    for (const Mapping* mapping : added) paths += (paths.empty() ? "" : ", ") + mapping->path;
    std::string plugins;
    for (const std::string& name : attached) plugins += " runtime." + name;
    logger->debug("pid {}: re-read maps, {} new executable mapping(s) probed: {}; attached:{}",
                  process.info.pid, added.size(), paths, plugins.empty() ? " none" : plugins);
  }
  return true;
}

bool RuntimeAttacher::refresh_for_unknown_code(ProcessState& process, std::int64_t now_ns) {
  if (process.unknown_code_read_ns != 0 &&
      now_ns - process.unknown_code_read_ns < kUnknownCodeInterval) {
    return false;
  }
  process.unknown_code_read_ns = now_ns;
  return refresh(process);
}

std::vector<std::string> RuntimeAttacher::attach_claimers(
    ProcessState& process, const ProcessRef& ref, const std::vector<const Mapping*>& mappings) {
  std::vector<std::string> attached;
  if (probing_.empty()) return attached;
  for (const Mapping* mapping : mappings) {
    for (const Claim& claim : probe(process, *mapping)) {
      if (process.runtime(claim.runtime->name)) continue;  // one handler per plugin
      auto handler = claim.runtime->plugin->attach(ref, claim.data);
      if (!handler) continue;
      process.runtimes.push_back(AttachedRuntime{claim.runtime->name, handler.get(),
                                                 claim.runtime->host->program_slot(),
                                                 claim.runtime->abi_minor});
      process.handlers.push_back(std::move(handler));
      attached.push_back(claim.runtime->name);
    }
  }
  return attached;
}

}  // namespace ember
