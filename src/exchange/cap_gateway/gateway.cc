#include "exchange/cap_gateway/gateway.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "exchange/cap/feed.h"

namespace ncc::cap_gateway {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int64_t kMaxBackOffS = 30 * 60;
constexpr auto kSettle = std::chrono::seconds(2);  // a file still being written is left alone

std::string StatePath(const GatewayOptions& o) {
  return o.state_dir + "/cap-gateway.json";
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Seconds a 429/503 asks us to wait (delta-seconds form only), else 0.
int64_t RetryAfter(const HttpAnswer& a) {
  auto h = a.headers.find("retry-after");
  if (h == a.headers.end()) return 0;
  int64_t s = 0;
  for (char c : h->second) {
    if (c < '0' || c > '9') return 0;
    s = s * 10 + (c - '0');
    if (s > kMaxBackOffS) return kMaxBackOffS;
  }
  return s;
}

}  // namespace

std::string RoundStats::ToJson() const {
  return json{{"feeds_fetched", feeds_fetched}, {"feeds_not_modified", feeds_not_modified},
              {"feeds_failed", feeds_failed},   {"feeds_waiting", feeds_waiting},
              {"alerts_posted", alerts_posted}, {"alerts_refused", alerts_refused},
              {"alerts_failed", alerts_failed}, {"files_done", files_done},
              {"files_failed", files_failed}}
      .dump();
}

StatusOr<Gateway> Gateway::Open(GatewayOptions options) {
  Gateway g(std::move(options));
  std::error_code ec;
  fs::create_directories(g.options_.state_dir, ec);
  if (ec)
    return InvalidArgument("cannot create " + g.options_.state_dir + ": " + ec.message(), "state");
  std::string path = StatePath(g.options_);
  if (!fs::exists(path)) return g;
  json doc = json::parse(ReadFile(path), nullptr, false);
  if (!doc.is_object() || !doc.contains("feeds") || !doc["feeds"].is_object())
    return InvalidArgument(path + " is damaged; delete it to start afresh (ncc deduplicates)",
                           "state");
  for (const auto& [url, f] : doc["feeds"].items()) {
    FeedState& s = g.feeds_[url];
    s.etag = f.value("etag", "");
    s.last_modified = f.value("last_modified", "");
    if (f.contains("seen") && f["seen"].is_object())
      for (const auto& [id, updated] : f["seen"].items())
        if (updated.is_string()) s.seen[id] = updated;
  }
  return g;
}

Status Gateway::SaveState() const {
  json feeds = json::object();
  for (const auto& [url, s] : feeds_)
    feeds[url] = {{"etag", s.etag}, {"last_modified", s.last_modified}, {"seen", s.seen}};
  std::string path = StatePath(options_), tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << json{{"feeds", feeds}}.dump() << "\n";
    if (!out) return Unavailable("cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Unavailable("cannot replace " + path + ": " + ec.message());
  return Status::Ok();
}

Gateway::Handed Gateway::Post(const std::string& xml, const std::string& from,
                              std::string* answer) {
  Url to = options_.server;
  to.target = "/api/v1/cap";
  HttpCall call;
  call.method = "POST";
  call.headers = {{"Authorization", "ApiKey " + options_.api_key},
                  {"Content-Type", "application/cap+xml"}};
  call.body = xml;
  call.max_body = 1 << 20;
  auto a = Exchange(to, call);
  if (!a.ok()) {
    spdlog::warn("cap-gateway: {} not handed in: {}", from, a.status().message());
    return Handed::kFailed;
  }
  if (answer) *answer = a->body;
  if (a->status >= 200 && a->status < 300) {
    spdlog::info("cap-gateway: {} -> {} {}", from, a->status, a->body.substr(0, 200));
    return Handed::kAccepted;
  }
  spdlog::warn("cap-gateway: {} -> {} {}", from, a->status, a->body.substr(0, 300));
  // 429 and 5xx: ncc is busy or failing, the alert is not refused; try again later.
  return a->status == 429 || a->status >= 500 ? Handed::kFailed : Handed::kRefused;
}

void Gateway::BackOff(FeedState& s, int64_t now_s, const HttpAnswer* answer) {
  ++s.failures;
  int64_t wait = options_.every.count() << std::min(s.failures, 10);
  if (answer && RetryAfter(*answer) > 0) wait = RetryAfter(*answer);
  s.next_try_s = now_s + std::min(wait, kMaxBackOffS);
}

void Gateway::PollFeed(const Url& feed, FeedState& s, int64_t now_s, RoundStats& stats) {
  HttpCall call;
  call.ca_file = options_.ca_file;
  if (!s.etag.empty()) call.headers["If-None-Match"] = s.etag;
  if (!s.last_modified.empty()) call.headers["If-Modified-Since"] = s.last_modified;
  auto a = Exchange(feed, call);
  if (!a.ok() || (a->status != 200 && a->status != 304)) {
    ++stats.feeds_failed;
    spdlog::warn("cap-gateway: feed {}: {}", feed.text,
                 a.ok() ? "HTTP " + std::to_string(a->status) : a.status().message());
    return BackOff(s, now_s, a.ok() ? &*a : nullptr);
  }
  s.failures = 0;
  s.next_try_s = 0;
  if (a->status == 304) return void(++stats.feeds_not_modified);
  ++stats.feeds_fetched;
  auto parsed = cap::ReadFeed(a->body);
  if (!parsed.ok()) {
    ++stats.feeds_failed;
    spdlog::warn("cap-gateway: feed {} is not CAP: {} ({})", feed.text, parsed.status().message(),
                 parsed.status().field());
    return BackOff(s, now_s, nullptr);
  }
  bool all_handed = true;
  for (const cap::FeedEntry& e : parsed->entries) {
    std::string id = e.id.empty() ? e.where : e.id;
    auto seen = s.seen.find(id);
    if (parsed->kind != "alert" && seen != s.seen.end() && seen->second == e.updated) continue;
    std::string xml = e.alert;
    if (xml.empty()) {
      auto link = ParseUrl(e.link, e.where + ".link");
      HttpCall get;
      get.ca_file = options_.ca_file;
      auto fetched = link.ok() ? Exchange(*link, get) : StatusOr<HttpAnswer>(link.status());
      if (!fetched.ok() || fetched->status != 200) {
        ++stats.alerts_failed, all_handed = false;
        spdlog::warn(
            "cap-gateway: {}: cannot fetch {}: {}", feed.text, e.link,
            fetched.ok() ? "HTTP " + std::to_string(fetched->status) : fetched.status().message());
        continue;
      }
      xml = std::move(fetched->body);
    }
    Handed h = Post(xml, feed.text + " " + e.where, nullptr);
    if (h == Handed::kFailed) {
      ++stats.alerts_failed, all_handed = false;
      continue;
    }
    ++(h == Handed::kAccepted ? stats.alerts_posted : stats.alerts_refused);
    s.seen[id] = e.updated;  // a refusal is final for this version of the entry
  }
  // Validators only once everything of this version is in: otherwise a 304 would hide the
  // entries still to be handed in.
  if (all_handed) {
    s.etag = a->headers.count("etag") ? a->headers.at("etag") : "";
    s.last_modified = a->headers.count("last-modified") ? a->headers.at("last-modified") : "";
  }
  // Forget entries the feed no longer lists, so the state stays the size of the feed.
  std::map<std::string, std::string> current;
  for (const cap::FeedEntry& e : parsed->entries) {
    auto it = s.seen.find(e.id.empty() ? e.where : e.id);
    if (it != s.seen.end()) current.insert(*it);
  }
  s.seen.swap(current);
}

void Gateway::WatchFolder(RoundStats& stats) {
  std::error_code ec;
  fs::path dir(options_.folder);
  fs::create_directories(dir / "done", ec);
  fs::create_directories(dir / "failed", ec);
  std::vector<fs::path> ready;
  auto settled = fs::file_time_type::clock::now() - kSettle;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".xml") continue;
    if (entry.last_write_time(ec) > settled) continue;
    ready.push_back(entry.path());
  }
  std::sort(ready.begin(), ready.end());
  for (const fs::path& p : ready) {
    std::string answer;
    Handed h = Post(ReadFile(p), p.filename().string(), &answer);
    if (h == Handed::kFailed) {
      ++stats.alerts_failed;
      continue;
    }
    fs::path to = dir / (h == Handed::kAccepted ? "done" : "failed") / p.filename();
    fs::rename(p, to, ec);
    if (h == Handed::kAccepted) {
      ++stats.alerts_posted, ++stats.files_done;
    } else {
      ++stats.alerts_refused, ++stats.files_failed;
      std::ofstream(to.string() + ".error.json") << answer << "\n";
    }
  }
}

RoundStats Gateway::PollOnce(int64_t now_s) {
  RoundStats stats;
  for (const Url& feed : options_.feeds) {
    FeedState& s = feeds_[feed.text];
    if (s.next_try_s > now_s) {
      ++stats.feeds_waiting;
      continue;
    }
    PollFeed(feed, s, now_s, stats);
  }
  if (!options_.folder.empty()) WatchFolder(stats);
  if (Status saved = SaveState(); !saved.ok())
    spdlog::error("cap-gateway: {} (what was seen will be posted again)", saved.message());
  return stats;
}

void Gateway::Run(const std::atomic<bool>& stop) {
  using Clock = std::chrono::steady_clock;
  while (!stop) {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch());
    RoundStats stats = PollOnce(now.count());
    spdlog::info("cap-gateway round: {}", stats.ToJson());
    auto until = Clock::now() + options_.every;
    while (!stop && Clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace ncc::cap_gateway
