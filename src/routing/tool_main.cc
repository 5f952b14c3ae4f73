// ncc-routing: the routing subcommands on their own, until they are wired into `ncc`.
#include <CLI/CLI.hpp>

#include "routing/cli.h"

int main(int argc, char** argv) {
  CLI::App app{"ncc routing tools"};
  app.require_subcommand(1);
  ncc::routing::AddRoutingCommands(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
