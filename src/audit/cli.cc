#include "audit/cli.h"

#include <unistd.h>

#include <iostream>

#include "audit/audit_trail.h"
#include "core/json_writer.h"
#include "store/sqlite/sqlite_event_log.h"

namespace ncc::audit {
namespace {

// Exit codes: 0 ok, 1 the audit failed (tampering, or what was asked for is not there),
// 2 the command could not run (no log, unreadable files, bad arguments).
// Read-only, and no file in the data folder changes: an audit must be able to look at the
// folder of a crashed server (its WAL included) exactly as it was left.
StatusOr<std::unique_ptr<SqliteEventLog>> OpenLog(const std::string& data_dir) {
  return SqliteEventLog::OpenReadOnly(data_dir + "/events.db");
}

int RunVerify(const std::string& data_dir, const std::string& public_key) {
  auto log = OpenLog(data_dir);
  if (!log.ok()) {
    std::cerr << "ncc audit verify: " << log.status().ToString() << "\n";
    return 2;
  }
  bool tty = ::isatty(2);
  auto report = Verify(**log, data_dir, public_key, tty ? +[](Seq at, Seq last) {
    std::cerr << "\rverified " << at.value << " / " << last.value << std::flush;
  } : nullptr);
  if (tty) std::cerr << "\r";
  if (!report.ok()) {
    std::cout << "FAIL " << report.status().message() << "\n";
    return 1;
  }
  std::cout << "ok " << report->last_seq.value << " events, chain whole; " << report->anchors
            << " signed anchors, last at seq " << report->last_anchored.value << "\n";
  if (!report->warning.empty()) std::cout << "warning: " << report->warning << "\n";
  return 0;
}

int RunWho(const std::string& data_dir, const std::string& record, bool as_json) {
  auto log = OpenLog(data_dir);
  if (!log.ok()) {
    std::cerr << "ncc audit who: " << log.status().ToString() << "\n";
    return 2;
  }
  auto trail = Trail(**log, record);
  if (!trail.ok()) {
    std::cerr << "ncc audit who: " << trail.status().ToString() << "\n";
    return 2;
  }
  if (as_json) {
    nlohmann::json out = nlohmann::json::array();
    for (const TrailEntry& e : *trail)
      out.push_back({{"seq", e.seq.value},
                     {"time", FormatTime(e.time)},
                     {"actor", e.actor},
                     {"action", e.action},
                     {"detail", e.detail}});
    std::cout << out.dump(2) << "\n";
  } else {
    for (const TrailEntry& e : *trail)
      std::cout << e.seq.value << '\t' << FormatTime(e.time) << '\t' << e.actor << '\t' << e.action
                << (e.detail.empty() ? "" : "\t" + e.detail) << "\n";
  }
  if (trail->empty()) {
    std::cerr << "ncc audit who: nothing in the log about " << record << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

void AddAuditCommands(CLI::App& app) {
  auto* audit = app.add_subcommand("audit", "Prove the record is whole; who saw or changed what");
  audit->require_subcommand(1);

  struct Options {
    std::string data_dir = "var/ncc";
    std::string public_key;
    std::string record;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();

  auto* verify = audit->add_subcommand(
      "verify", "Check the hash chain and every signed anchor; name the first bad seq");
  verify->add_option("--data", opts->data_dir, "Data folder")->capture_default_str();
  verify->add_option("--public-key", opts->public_key,
                     "Anchor public key (64 hex), e.g. a copy kept off this machine "
                     "(default: the data folder's anchor.pub)");
  verify->callback([opts] {
    if (int rc = RunVerify(opts->data_dir, opts->public_key)) throw CLI::RuntimeError(rc);
  });

  auto* who = audit->add_subcommand("who", "Every change and audited read of one record");
  who->add_option("--data", opts->data_dir, "Data folder")->capture_default_str();
  who->add_option("--record", opts->record, "kind:id, e.g. incident:12, unit:7, agency:police")
      ->required();
  who->add_flag("--json", opts->json, "JSON instead of tab-separated lines");
  who->callback([opts] {
    if (int rc = RunWho(opts->data_dir, opts->record, opts->json)) throw CLI::RuntimeError(rc);
  });
}

}  // namespace ncc::audit
