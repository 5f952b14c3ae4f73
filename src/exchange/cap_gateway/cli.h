// `ncc cap-gateway`: polls CAP feeds and a folder and hands the alerts to a running ncc
// (gateway.h, docs/exchange.md).
#pragma once

#include <CLI/CLI.hpp>

namespace ncc::cap_gateway {

void AddCapGatewayCommand(CLI::App& app);

}  // namespace ncc::cap_gateway
