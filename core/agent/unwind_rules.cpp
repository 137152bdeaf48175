#include "unwind_rules.hpp"

#include "logging.hpp"
#include "plugin_host/guarded_call.hpp"

namespace ember {

bool unwind_rule_of(ProcessTable& processes, std::uint32_t pid, std::uint64_t pc,
                    UnwindRule& rule) {
  ProcessState* process = processes.find(pid);
  if (!process) return false;
  const CodeClaims::Segment* claimed = process->code_claims.find(pc);
  if (!claimed) return false;
  ProcessHandler* owner = process->code_claims.owners()[claimed->owner];
  bool known = false;
  Status called = guarded_call("unwind_rule", [&] { known = owner->unwind_rule(pc, rule); });
  if (!called) {
    component_logger("agent")->warn("pid {}: {}", pid, called.message());
    return false;
  }
  return known;
}

void share_unwind_rules(PluginSet& plugins, ProcessTable& processes) {
  for (auto& runtime : plugins.runtimes) {
    runtime.host->set_unwind_rule_source(
        [&processes](std::uint32_t pid, std::uint64_t pc, UnwindRule& rule) {
          return unwind_rule_of(processes, pid, pc, rule);
        });
  }
}

}  // namespace ember
