// Untrusted-ish input: configuration files (`ncc serve --config FILE`, src/service). Whatever
// is accepted must set only options the command has, each from exactly one line that the line
// finder agrees CLI11's reader read; nothing may throw out of ApplyConfigText.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "service/config_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CLI::App app{"fuzz", "serve"};
  std::string listen, data_dir, sender;
  int threads = 2;
  double drain = 10;
  bool insecure = false;
  std::vector<std::string> hosts;
  app.add_option("--listen", listen);
  app.add_option("--data", data_dir);
  app.add_option("--threads", threads)->check(CLI::Range(1, 64));
  app.add_option("--drain-timeout", drain)->check(CLI::Range(0.0, 600.0));
  app.add_option("--cap-signatures", sender)->check(CLI::IsMember({"record", "require"}));
  app.add_flag("--insecure", insecure);
  app.add_option("--allowed-host", hosts);
  app.add_option("--config", "config")->configurable(false);
  app.parse(std::vector<std::string>{});
  if (!ncc::service::ApplyConfigText(app, "fuzz.conf", text).ok()) return 0;
  std::istringstream in{std::string(text)};
  for (const CLI::ConfigItem& item : CLI::ConfigTOML().from_config(in)) {
    if (item.name == "++" || item.name == "--") continue;
    if (!item.parents.empty() || app.get_option_no_throw("--" + item.name) == nullptr) std::abort();
    if (item.name == "help" || item.name == "config") std::abort();
    if (ncc::service::LinesOfKey(text, item.fullname()).size() != 1) std::abort();
  }
  if (threads < 1 || threads > 64) std::abort();
  return 0;
}
