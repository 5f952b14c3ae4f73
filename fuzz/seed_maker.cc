// ncc_fuzz_seeds: seeds for the fuzz targets whose inputs are binary files ncc writes itself,
// made from the real samples in the data folder (fuzz/seed_corpora.py runs it):
//   event_decode_fuzz  every event the first N San Francisco calls for service produce when
//                      replayed on an engine (type index byte + payload, as the target reads
//                      them), and the World snapshot file after them;
//   graph_loader_fuzz  graph files built from small cuts of the real OSM extract (--osm);
//   track_reader_fuzz  a track file of real Berlin vehicle traces (--traces, as CSV).
// Usage: ncc_fuzz_seeds --data DIR --out DIR [--osm CUT.osm ...] [--traces traces.csv]
// Prints "target count" per target.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/stored_event.h"
#include "engine/engine.h"
#include "event_types.h"
#include "routing/importer.h"
#include "routing/road_graph.h"
#include "sim/call_replay.h"
#include "sim/sf_calls.h"
#include "store/event_log.h"
#include "store/snapshot_store.h"
#include "track/track_store.h"

namespace fs = std::filesystem;
using namespace ncc;

namespace {

std::map<std::string, int> counts;

void Write(const fs::path& out, const std::string& target, const std::string& name,
           const std::string& bytes) {
  fs::create_directories(out / target);
  std::ofstream(out / target / ("seed-" + name), std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ++counts[target];
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

int Events(const fs::path& data, const fs::path& out, size_t max_rows) {
  auto all = ReadSfCalls((data / "calls" / "sf_fire_calls_for_service_2020-04.csv").string());
  if (!all.ok()) {
    std::fprintf(stderr, "calls: %s\n", all.status().ToString().c_str());
    return 1;
  }
  std::vector<UnitResponse> rows(all->begin(),
                                 all->begin() + static_cast<long>(std::min(max_rows, all->size())));
  ManualClock clock(Time{1'586'300'000'000});
  auto engine = Engine::Open(std::make_unique<MemoryEventLog>(), nullptr, clock, {});
  if (!engine.ok()) return 1;
  if (!SeedAgenciesAndUnits(**engine, rows).ok()) return 1;
  std::atomic<bool> stop{false};
  (void)RunReplay(**engine, rows, BuildReplay(rows), 0, clock, stop);
  auto events = (*engine)->log().ReadAfter(Seq{0}, 1'000'000);
  if (!events.ok()) return 1;
  std::map<uint16_t, int> per_type;  // at most 8 seeds per type: variety, not volume
  for (const StoredEvent& e : *events) {
    auto t = static_cast<uint16_t>(e.type);
    size_t index = 0;
    while (index < fuzz::kEventTypeCount && fuzz::kEventTypes[index] != t) ++index;
    if (index == fuzz::kEventTypeCount || per_type[t]++ >= 8) continue;
    Write(out, "event_decode_fuzz", "ev-" + std::to_string(e.seq.value),
          std::string(1, static_cast<char>(index)) + e.payload);
  }
  std::string world = (*engine)->Read([](const World& w) { return w.Serialize(); });
  Write(out, "event_decode_fuzz", "world", std::string(1, '\0') + world);
  fs::path snaps = fs::temp_directory_path() / ("ncc-seed-snap-" + std::to_string(::getpid()));
  fs::create_directories(snaps);
  Snapshot s{events->back().seq, events->back().hash, world};
  if (SnapshotStore(snaps.string()).Write(s).ok())
    for (const auto& f : fs::directory_iterator(snaps))
      Write(out, "event_decode_fuzz", "snapshot", std::string(1, '\0') + ReadFile(f.path()));
  fs::remove_all(snaps);
  (*engine)->Stop();
  return 0;
}

int Graphs(const fs::path& out, const std::vector<std::string>& cuts) {
  int n = 0;
  for (const std::string& cut : cuts) {
    routing::ImportOptions o;
    o.show_progress = false;
    auto g = routing::BuildFromOsm(cut, o);
    if (!g.ok()) {
      std::fprintf(stderr, "%s: %s\n", cut.c_str(), g.status().ToString().c_str());
      continue;
    }
    Write(out, "graph_loader_fuzz", "osm-cut-" + std::to_string(n++),
          routing::RoadGraph::Serialize(g->arrays));
  }
  return 0;
}

int Tracks(const fs::path& out, const std::string& traces) {
  std::ifstream in(traces);
  std::string line;
  std::getline(in, line);  // TrackID,Latitude,Longitude,Time
  std::vector<PositionFix> fixes;
  int64_t t = 1'795'993'758'000;
  while (std::getline(in, line) && fixes.size() < 600) {
    std::stringstream ss(line);
    std::string id, lat, lon;
    std::getline(ss, id, ',');
    std::getline(ss, lat, ',');
    std::getline(ss, lon, ',');
    PositionFix f;
    f.unit = UnitId{1 + std::stoull(id) % 4};
    f.position = {std::stod(lat), std::stod(lon)};
    f.time = Time{t += 1000};
    f.speed = 8.5;
    f.heading = 90;
    fixes.push_back(f);
  }
  fs::path dir = fs::temp_directory_path() / ("ncc-seed-track-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path file = dir / "t.ncct";
  {
    auto store = track::TrackStore::Open(file.string());
    if (!store.ok()) return 1;
    // Batches of 10, then 1: blocks of several fixes and of one.
    for (size_t at = 0; at < fixes.size();) {
      size_t n = at < 300 ? 10 : 1;
      n = std::min(n, fixes.size() - at);
      if (!(*store)->Append(std::span<const PositionFix>(fixes.data() + at, n)).ok()) return 1;
      at += n;
    }
    if (!(*store)->Sync().ok()) return 1;
  }
  std::string bytes = ReadFile(file);
  Write(out, "track_reader_fuzz", "berlin", bytes.substr(0, 60'000));
  Write(out, "track_reader_fuzz", "berlin-head", bytes.substr(0, 4'000));
  fs::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path data, out;
  std::vector<std::string> cuts;
  std::string traces;
  size_t rows = 300;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--data")
      data = argv[i + 1];
    else if (a == "--out")
      out = argv[i + 1];
    else if (a == "--osm")
      cuts.push_back(argv[i + 1]);
    else if (a == "--traces")
      traces = argv[i + 1];
    else if (a == "--rows")
      rows = std::stoul(argv[i + 1]);
  }
  if (data.empty() || out.empty()) {
    std::fprintf(stderr, "usage: ncc_fuzz_seeds --data DIR --out DIR [--osm F]... [--traces F]\n");
    return 2;
  }
  int rc = Events(data, out, rows);
  rc |= Graphs(out, cuts);
  if (!traces.empty()) rc |= Tracks(out, traces);
  for (const auto& [t, n] : counts) std::printf("%s %d\n", t.c_str(), n);
  return rc;
}
