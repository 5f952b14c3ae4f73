#include "exchange/cap_gateway/cli.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>

#include "exchange/cap_gateway/gateway.h"

namespace ncc::cap_gateway {
namespace {

struct Flags {
  std::string server = "http://127.0.0.1:8080";
  std::string key_file;
  std::vector<std::string> feeds;
  std::string folder;
  std::string state = "var/cap-gateway";
  int every_s = 60;
  std::string ca_file;
  bool once = false;
};

std::atomic<bool> g_stop{false};

StatusOr<GatewayOptions> Options(const Flags& f) {
  GatewayOptions o;
  auto server = ParseUrl(f.server, "server");
  if (!server.ok()) return server.status();
  o.server = *server;
  std::ifstream key(f.key_file);
  if (!key || !std::getline(key, o.api_key) || o.api_key.empty())
    return InvalidArgument("cannot read an API key from " + f.key_file, "key-file");
  while (!o.api_key.empty() && (o.api_key.back() == '\r' || o.api_key.back() == ' '))
    o.api_key.pop_back();
  for (const std::string& text : f.feeds) {
    auto url = ParseUrl(text, "feed");
    if (!url.ok()) return url.status();
    o.feeds.push_back(*url);
  }
  if (o.feeds.empty() && f.folder.empty())
    return InvalidArgument("nothing to watch: give --feed URL or --folder DIR", "feed");
  if (f.every_s < 1) return InvalidArgument("must be at least 1 s", "every");
  o.folder = f.folder;
  o.state_dir = f.state;
  o.every = std::chrono::seconds(f.every_s);
  o.ca_file = f.ca_file;
  return o;
}

int Run(const Flags& f) {
  auto options = Options(f);
  if (!options.ok()) {
    std::cerr << "ncc cap-gateway: --" << options.status().field() << ": "
              << options.status().message() << "\n";
    return 2;
  }
  auto gateway = Gateway::Open(std::move(*options));
  if (!gateway.ok()) {
    std::cerr << "ncc cap-gateway: " << gateway.status().message() << "\n";
    return 2;
  }
  if (f.once) {
    std::cout << gateway->PollOnce(0).ToJson() << std::endl;
    return 0;
  }
  std::signal(SIGINT, [](int) { g_stop = true; });
  std::signal(SIGTERM, [](int) { g_stop = true; });
  gateway->Run(g_stop);
  return 0;
}

}  // namespace

void AddCapGatewayCommand(CLI::App& app) {
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "cap-gateway",
      "Poll CAP feeds (Atom, RSS, EDXL-DE) and a folder; hand every alert to ncc's POST "
      "/api/v1/cap with a gateway key");
  cmd->add_option("--server", flags->server, "The ncc server")->capture_default_str();
  cmd->add_option("--key-file", flags->key_file,
                  "File holding the gateway API key (ncc apikey add --lane alarms NAME)")
      ->required();
  cmd->add_option("--feed", flags->feeds, "A feed URL, http:// or https:// (repeat for more)");
  cmd->add_option("--folder", flags->folder,
                  "A folder whose *.xml files are handed in, then moved to done/ or failed/");
  cmd->add_option("--state", flags->state, "Where what was seen is kept")->capture_default_str();
  cmd->add_option("--every", flags->every_s, "Seconds between polls")->capture_default_str();
  cmd->add_option("--ca-file", flags->ca_file, "https: trust these CAs instead of the system's");
  cmd->add_flag("--once", flags->once, "One round, its figures as JSON on stdout, then exit");
  cmd->callback([flags] {
    if (int rc = Run(*flags)) throw CLI::RuntimeError(rc);
  });
}

}  // namespace ncc::cap_gateway
