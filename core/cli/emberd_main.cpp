// `emberd`: the agent daemon, `ember agent` under the name service managers expect.
#include "commands.hpp"

int main(int argc, char** argv) {
  ember::cli::Arguments args(argc, argv, 1);
  return ember::cli::agent_command(args, "emberd");
}
