#pragma once

#include "arguments.hpp"

namespace ember::cli {

// Each returns the process exit code.
int record_command(Arguments& args);
int report_command(Arguments& args);
int ui_command(Arguments& args);
int server_command(Arguments& args);
int agent_command(Arguments& args, const char* program);
// `ember plugin check FILE.so ...`: reads its own positional arguments.
int plugin_command(int argc, char** argv);

}  // namespace ember::cli
