// Host::unwind_rule answered from a process' handlers: unwind help for code
// without CFI (a JIT's frames) from the plugin that owns the code, for the
// native unwinder. Runs on the thread that builds stacks, as the process
// table does.
#pragma once

#include <cstdint>

#include "ember/unwind_rule.hpp"
#include "plugin_host/plugin_set.hpp"
#include "process/process_table.hpp"

namespace ember {

// The rule of the handler of `pid` that claims the code at `pc`
// (ProcessHandler::code_ranges, the address symbolizer's routing); false
// when none does, it has no rule, or the process is unknown.
bool unwind_rule_of(ProcessTable& processes, std::uint32_t pid, std::uint64_t pc,
                    UnwindRule& rule);

// Every runtime plugin's Host::unwind_rule answers through unwind_rule_of.
void share_unwind_rules(PluginSet& plugins, ProcessTable& processes);

}  // namespace ember
