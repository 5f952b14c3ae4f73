// Real AVL-like input: the Berlin GPS traces (OSRM's map-matching test set, 132 vehicles, 75k
// points) through LiveIndex and into the track store, then read back after a reopen. The file
// has no timestamps; fixes are spaced 5 s apart, a common AVL reporting interval. Skipped when
// NCC_DATA_DIR does not hold the file.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>

#include "geo/live_index.h"
#include "track/track_store.h"

namespace ncc::track {
namespace {

namespace fs = std::filesystem;

TEST(BerlinTraces, LiveIndexAndTrackStoreRoundTrip) {
  const char* dir = std::getenv("NCC_DATA_DIR");
  std::string path = std::string(dir ? dir : "") + "/osm/berlin_gps_traces.csv.gz";
  if (!dir || !fs::exists(path)) GTEST_SKIP() << "no Berlin traces in NCC_DATA_DIR";
  gzFile gz = gzopen(path.c_str(), "rb");
  ASSERT_NE(gz, nullptr);
  std::string text;
  char buf[1 << 16];
  for (int n; (n = gzread(gz, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  gzclose(gz);

  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // TrackID,Latitude,Longitude,Time
  std::vector<PositionFix> fixes;
  std::map<uint64_t, int64_t> next_time;
  while (std::getline(in, line)) {
    uint64_t track = 0;
    double lat = 0, lon = 0;
    if (std::sscanf(line.c_str(), "%lu,%lf,%lf", &track, &lat, &lon) != 3) continue;
    int64_t& t = next_time.try_emplace(track, 1'700'000'000'000).first->second;
    fixes.push_back({UnitId{track + 1}, {lat, lon}, Time{t}, 0, 0});
    t += 5000;
  }
  ASSERT_GT(fixes.size(), 70000u);

  geo::LiveIndex index({.cell_meters = 500, .reference_lat = 52.5, .max_speed_mps = 70});
  std::map<geo::FixOutcome, size_t> outcomes;
  std::vector<PositionFix> accepted;
  for (const PositionFix& f : fixes) {
    geo::FixOutcome o = index.Update(f.unit, f.position, f.time);
    ++outcomes[o];
    if (o == geo::FixOutcome::kAccepted) accepted.push_back(f);
  }
  std::printf("%zu fixes: %zu accepted, %zu impossible jumps held back\n", fixes.size(),
              outcomes[geo::FixOutcome::kAccepted], outcomes[geo::FixOutcome::kImpossibleJump]);
  EXPECT_EQ(index.size(), next_time.size());
  EXPECT_GT(accepted.size(), fixes.size() * 99 / 100);  // real traces are nearly all plausible

  fs::path tmp = fs::temp_directory_path() / ("ncc-berlin-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  std::string file = (tmp / "tracks.ncct").string();
  {
    auto store = TrackStore::Open(file);
    ASSERT_TRUE(store.ok());
    // Interleave vehicles in batches of 1,000 as the AVL lane would see them.
    for (size_t i = 0; i < accepted.size(); i += 1000) {
      std::span<const PositionFix> batch(accepted.data() + i,
                                         std::min<size_t>(1000, accepted.size() - i));
      auto r = (*store)->Append(batch);
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r->out_of_order, 0u);
    }
    ASSERT_TRUE((*store)->Sync().ok());
  }
  auto store = TrackStore::Open(file);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->open_report().fixes, accepted.size());
  std::map<uint64_t, std::vector<const PositionFix*>> by_unit;
  for (const PositionFix& f : accepted) by_unit[f.unit.value].push_back(&f);
  for (const auto& [unit, want] : by_unit) {
    auto got = (*store)->Query(UnitId{unit}, Time{0}, Time{INT64_MAX});
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->size(), want.size()) << "unit " << unit;
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ((*got)[i].time, want[i]->time);
      ASSERT_NEAR((*got)[i].position.lat, want[i]->position.lat, 0.6e-7);
      ASSERT_NEAR((*got)[i].position.lon, want[i]->position.lon, 0.6e-7);
    }
  }
  std::printf("track file: %ju bytes, %.1f bytes per fix\n",
              static_cast<uintmax_t>(fs::file_size(file)),
              static_cast<double>(fs::file_size(file)) / static_cast<double>(accepted.size()));
  fs::remove_all(tmp);
}

}  // namespace
}  // namespace ncc::track
