// The CAP gateway (`ncc cap-gateway`, docs/exchange.md): polls partners' CAP feeds (Atom, RSS,
// EDXL-DE or a bare alert at a URL) and watches a folder, and hands every alert to ncc's
// POST /api/v1/cap with a gateway API key — so an alert from a feed is authorized, placed,
// typed, deduplicated and audited exactly like one a partner posts. It runs beside the server,
// not in it: the server never fetches a URL a partner's document names.
//
// Feeds are polled conditionally (If-None-Match / If-Modified-Since); an entry is fetched and
// posted once per (id, updated); a failing feed backs off (doubling from the poll period up to
// 30 min, or as Retry-After says). Folder files (*.xml, unchanged for 2 s) move to done/ once
// ncc accepted them, to failed/ with NAME.error.json once it refused them (4xx); while ncc is
// unreachable or failing (5xx) they stay, and feed entries stay unseen, to be tried again.
// What was seen is kept in STATE/cap-gateway.json (a lost state file only re-posts alerts ncc
// already recognises as duplicates).
// Thread: one; PollOnce and Run from the thread that owns the Gateway.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "exchange/cap_gateway/http_client.h"

namespace ncc::cap_gateway {

struct GatewayOptions {
  Url server;           // ncc, e.g. http://127.0.0.1:8080
  std::string api_key;  // a gateway key with the alarms lane (ncc apikey add --lane alarms)
  std::vector<Url> feeds;
  std::string folder;     // watched folder; empty: none
  std::string state_dir;  // where cap-gateway.json is kept
  std::chrono::seconds every{60};
  std::string ca_file;  // https: trust these CAs instead of the system's
};

struct RoundStats {
  int feeds_fetched = 0, feeds_not_modified = 0, feeds_failed = 0, feeds_waiting = 0;
  int alerts_posted = 0, alerts_refused = 0, alerts_failed = 0, files_done = 0, files_failed = 0;
  std::string ToJson() const;
};

class Gateway {
 public:
  // Reads the state file; InvalidArgument naming it when it is damaged (start afresh by
  // deleting it: the server deduplicates).
  static StatusOr<Gateway> Open(GatewayOptions options);

  // One round at `now_s` (seconds, steady): every feed not backing off, every ready file.
  RoundStats PollOnce(int64_t now_s);
  // Rounds every `every` until `stop`.
  void Run(const std::atomic<bool>& stop);

 private:
  struct FeedState {
    std::string etag, last_modified;
    std::map<std::string, std::string> seen;  // entry id -> updated
    int failures = 0;
    int64_t next_try_s = 0;
  };
  enum class Handed { kAccepted, kRefused, kFailed };

  explicit Gateway(GatewayOptions options) : options_(std::move(options)) {}
  void PollFeed(const Url& feed, FeedState& state, int64_t now_s, RoundStats& stats);
  void WatchFolder(RoundStats& stats);
  Handed Post(const std::string& xml, const std::string& from, std::string* answer);
  void BackOff(FeedState& state, int64_t now_s, const HttpAnswer* answer);
  Status SaveState() const;

  GatewayOptions options_;
  std::map<std::string, FeedState> feeds_;  // by URL text
};

}  // namespace ncc::cap_gateway
