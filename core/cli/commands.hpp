#pragma once

#include "arguments.hpp"

namespace ember::cli {

// Each returns the process exit code.
int record_command(Arguments& args);
int report_command(Arguments& args);
// `ember ui`, `ember server` (http_commands.hpp) through the HTTP module
// (http_module.hpp): `name` is the command, argv[2] its first option.
int http_command(const char* name, int argc, char** argv);
int agent_command(Arguments& args, const char* program);
// `ember plugin check FILE.so ...`: reads its own positional arguments.
int plugin_command(int argc, char** argv);

}  // namespace ember::cli
