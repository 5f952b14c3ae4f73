// ncc-bench-picture: the picture at a past moment (GET /api/v1/picture) over a 1M-event SQLite
// log with the engine's snapshots (every 100k events, the two newest kept, as `ncc serve`
// keeps them), against the same-run baseline of a full replay from seq 0 to each point.
// Each figure is PastWorlds::At (the World then) plus RenderPicture for a supervisor (the first
// page of 1,000 incidents and every unit) plus the JSON text: what the route does but HTTP.
// Prints a Markdown report; --out writes it to a file too.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "app/huge_pages.h"
#include "bench_events.h"
#include "picture/past_worlds.h"
#include "picture/picture_json.h"
#include "store/recovery.h"
#include "store/sqlite/sqlite_event_log.h"

namespace ncc {
namespace {

using Steady = std::chrono::steady_clock;

double Ms(Steady::time_point a, Steady::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(k), v.end());
  return v[k];
}

// Writes the log and the snapshots `ncc serve` would have kept (every 100k, the two newest).
void WriteLog(const std::vector<Event>& events, const std::string& dir) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto log = SqliteEventLog::Open(dir + "/events.db");
  SnapshotStore snaps(dir + "/snapshots");
  World world;
  Hash head{};
  std::vector<StoredEvent> batch;
  for (const Event& e : events) {
    batch.push_back(Encode(e, head));
    head = batch.back().hash;
    world.Apply(e);
    if (batch.size() == 10000) {
      (void)(*log)->Append(batch);
      batch.clear();
    }
    if (e.meta.seq.value % 100'000 == 0) (void)snaps.Write({e.meta.seq, head, world.Serialize()});
  }
  (void)(*log)->Append(batch);
}

auth::Principal Supervisor() {
  auth::Principal p;
  p.user = "bench";
  p.agency = "fire";
  p.roles = {{"fire", auth::Role::kSupervisor}};
  p.clearance = Classification::kSecret;
  return p;
}

struct Sample {
  double ms = 0;
  picture::BuildReport report;
  size_t bytes = 0;
};

// One picture as the route builds it: the World then, the reader's view of it, the JSON text.
Sample Picture(picture::PastWorlds& past, Seq seq, const World& now) {
  static const auth::Principal who = Supervisor();
  Sample s;
  auto t0 = Steady::now();
  auto then = past.At(seq, &s.report);
  if (!then.ok()) {
    std::cerr << then.status().ToString() << "\n";
    std::exit(1);
  }
  picture::PictureView view{then->world.get(), then->seq, then->time, then->time, now.last_seq()};
  s.bytes = picture::RenderPicture(who, view, now, {}).body.dump().size();
  s.ms = Ms(t0, Steady::now());
  return s;
}

struct Run {
  std::vector<double> ms;
  std::map<std::string, int> bases;
  double max_ms() const { return ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end()); }
};

// `pause` runs before each point and is not timed (the console's pause between two asks).
Run Points(picture::PastWorlds& past, const std::vector<uint64_t>& seqs, const World& now,
           const std::function<void()>& pause = {}) {
  Run r;
  for (uint64_t seq : seqs) {
    if (pause) pause();
    Sample s = Picture(past, Seq(seq), now);
    r.ms.push_back(s.ms);
    ++r.bases[picture::Name(s.report.base)];
  }
  return r;
}

std::string Bases(const Run& r) {
  std::string out;
  for (const auto& [name, n] : r.bases)
    out += (out.empty() ? "" : ", ") + name + " " + std::to_string(n);
  return out;
}

long MaxRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

}  // namespace
}  // namespace ncc

int main(int argc, char** argv) {
  using namespace ncc;
  EnsureHugePageMalloc(argv);
  CLI::App app{"ncc picture-at-a-past-moment benchmark"};
  std::string out_path, dir = "build/bench-picture";
  size_t events_n = 1'000'000;
  int scrubs = 200, baseline_points = 5;
  app.add_option("--dir", dir, "Where the log is written");
  app.add_option("--events", events_n, "Events in the log");
  app.add_option("--scrubs", scrubs, "Slider positions asked after the warm-up");
  app.add_option("--baseline-points", baseline_points, "Points replayed from seq 0 (baseline)");
  app.add_option("--out", out_path, "Also write the report here");
  bool reuse = false;
  app.add_flag("--reuse", reuse, "Use the log already in --dir (written by an earlier run)");
  CLI11_PARSE(app, argc, argv);

  World now;
  if (!reuse || !std::filesystem::exists(dir + "/events.db")) {
    std::cerr << "building " << events_n << " events\n";
    auto events = MakeEvents(events_n);
    WriteLog(events, dir);
    for (const Event& e : events) now.Apply(e);
  }
  auto log = SqliteEventLog::Open(dir + "/events.db");
  SnapshotStore snapshots(dir + "/snapshots");
  if (now.last_seq() != (*log)->LastSeq()) now = std::move(Recover(**log, &snapshots)->world);
  // What a base costs at the head: a copy of the World, its serialized form and back.
  auto c0 = Steady::now();
  auto copy = std::make_unique<World>(now);
  double copy_ms = Ms(c0, Steady::now());
  c0 = Steady::now();
  std::string bytes = now.Serialize();
  double serialize_ms = Ms(c0, Steady::now());
  c0 = Steady::now();
  auto back = World::Deserialize(bytes);
  double deserialize_ms = Ms(c0, Steady::now());
  copy.reset();
  std::cerr << "head World: copy " << copy_ms << " ms, serialize " << serialize_ms
            << " ms, deserialize " << deserialize_ms << " ms, " << bytes.size() / 1e6 << " MB\n";
  const uint64_t head = (*log)->LastSeq().value;
  std::mt19937_64 rng(42);
  auto uniform = [&](int n) {
    std::vector<uint64_t> v;
    for (int k = 0; k < n; ++k) v.push_back(1 + rng() % head);
    return v;
  };

  // Baseline: no cache, no snapshot: every point is a replay from seq 0.
  std::cerr << "baseline: full replay from seq 0\n";
  picture::PastWorlds bare(**log, nullptr, {UINT64_MAX / 2, 0, 0});
  Run baseline = Points(bare, uniform(baseline_points), now);

  // The cache as `ncc serve` runs it: the first scrubs build checkpoints as they replay.
  std::cerr << "picture cache: cold\n";
  picture::PastWorlds past(**log, &snapshots);
  auto t0 = Steady::now();
  Run cold = Points(past, {head / 2, head, head / 10}, now);
  double warm_ms = Ms(t0, Steady::now());
  // What `ncc serve` does at start: the warm-up lays down every checkpoint in the background.
  t0 = Steady::now();
  past.StartWarmUp();
  while (!past.warm()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  double warmup_ms = Ms(t0, Steady::now());
  // A whole sweep (oldest to newest, 20 stops).
  std::vector<uint64_t> sweep;
  for (int k = 1; k <= 20; ++k) sweep.push_back(head * static_cast<uint64_t>(k) / 20);
  Run swept = Points(past, sweep, now);
  std::cerr << "picture cache: " << scrubs << " random positions, then a drag\n";
  Run random = Points(past, uniform(scrubs), now);
  std::vector<uint64_t> drag;
  uint64_t at = head / 3;
  for (int k = 0; k < 100; ++k) drag.push_back(at += 2'000);  // dragged forward
  for (int k = 0; k < 100; ++k) drag.push_back(at -= 2'000);  // and back
  Run dragged = Points(past, drag, now, [] {});
  for (uint64_t& seq : drag) seq += head / 3;  // elsewhere, so nothing is recent yet
  Run paced =
      Points(past, drag, now, [] { std::this_thread::sleep_for(std::chrono::milliseconds(150)); });
  auto stats = past.stats();
  Sample one = Picture(past, Seq(head / 2), now);

  char line[1024];
  std::ostringstream md;
  std::snprintf(line, sizeof line,
                "## The picture at a past moment (%llu events; snapshots every 100k, two kept)\n\n"
                "| what | p50 ms | p95 ms | max ms | bases |\n|---|---:|---:|---:|---|\n",
                static_cast<unsigned long long>(head));
  md << line;
  auto row = [&](const char* what, const Run& r) {
    std::snprintf(line, sizeof line, "| %s | %.1f | %.1f | %.1f | %s |\n", what,
                  Percentile(r.ms, 0.5), Percentile(r.ms, 0.95), r.max_ms(), Bases(r).c_str());
    md << line;
  };
  row("baseline: full replay from seq 0 to a random point", baseline);
  row("cold cache: the first three points (middle, head, 10 %)", cold);
  row("a sweep of 20 stops, oldest to newest", swept);
  row("random slider positions after the sweep", random);
  row("dragging: 100 steps of 2,000 events forward, 100 back", dragged);
  row("the same drag elsewhere, one step every 150 ms (the console's pause)", paced);
  std::snprintf(line, sizeof line,
                "\nCheckpoints: %zu, %.1f MB estimated (shared records counted once), spacing %llu "
                "events; recent Worlds %zu. Cold start to the first three pictures %.0f ms; the "
                "warm-up (every checkpoint, in the background) %.0f ms. One picture: %zu bytes of "
                "JSON. Peak RSS %ld MB (the live World and the log writer included).\n",
                stats.checkpoints, static_cast<double>(stats.checkpoint_bytes) / 1e6,
                static_cast<unsigned long long>(stats.spacing), stats.recent, warm_ms, warmup_ms,
                one.bytes, MaxRssMb());
  md << line;
  std::snprintf(
      line, sizeof line,
      "\nWhat a base costs at the head (%.1f MB serialized): a copy of the World %.0f ms, "
      "Serialize %.0f ms, Deserialize %.0f ms.\n",
      static_cast<double>(bytes.size()) / 1e6, copy_ms, serialize_ms, deserialize_ms);
  md << line;
  std::cout << md.str();
  if (!out_path.empty()) std::ofstream(out_path) << md.str();
  return 0;
}
