// ncc-bench-monitor: the AVL lane's hot paths against Redis measured in the same run.
//   - fixes/s into LiveIndex (50k units, random walk), nearest-k p50/p99;
//   - the same workload against a real redis-server started here on 127.0.0.1 (GEOADD pipelined
//     64 deep, GEOSEARCH ... BYRADIUS ... ASC COUNT k), through a tiny RESP client;
//   - TrackStore append rate with one fdatasync per 10k-fix batch;
//   - the sync path of small groups (Append + Sync: fdatasync and the synced-length mark) against
//     a bare pwrite + fdatasync of the same bytes.
// Prints a Markdown table. Options: --units N --updates N --queries N --k N --redis-updates N
// --redis-queries N --track-fixes N --sync-groups N --dir PATH (track file folder) --no-redis
// --track-sync-only.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "geo/geofence.h"
#include "geo/live_index.h"
#include "track/track_store.h"

namespace {

using Clock = std::chrono::steady_clock;
using ncc::LatLon;
using ncc::Time;
using ncc::UnitId;

constexpr LatLon kCentre{25.2854, 51.5310};  // Doha
constexpr double kHalfSpanM = 20000;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

struct Rng {
  uint64_t s = 0x9E3779B97F4A7C15ull;
  uint64_t Next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  double Uniform(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(Next() >> 11) * 0x1.0p-53;
  }
};

// A fleet on a random walk: ~10 m steps, fixes from random units.
struct Fleet {
  std::vector<LatLon> pos;
  Rng rng;
  int64_t step = 0;
  explicit Fleet(size_t n) {
    for (size_t i = 0; i < n; ++i) pos.push_back(RandomPoint());
  }
  LatLon RandomPoint() {
    double n = rng.Uniform(-kHalfSpanM, kHalfSpanM), e = rng.Uniform(-kHalfSpanM, kHalfSpanM);
    return {kCentre.lat + n / 111195.0, kCentre.lon + e / (111195.0 * 0.904)};
  }
  // Advances a random unit (AVL fixes arrive in no particular unit order); returns its index.
  // Simulated time advances 1 ms per fix, so every unit's fixes are in time order.
  size_t Move() {
    size_t i = static_cast<size_t>(rng.Next() % pos.size());
    ++step;
    pos[i].lat += rng.Uniform(-1e-4, 1e-4);
    pos[i].lon += rng.Uniform(-1e-4, 1e-4);
    return i;
  }
  Time TimeOfStep() const { return Time{1'700'000'000'000 + step}; }
};

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// --- A tiny RESP client -------------------------------------------------------------------

class Resp {
 public:
  bool Connect(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_);
      fd_ = -1;
      return false;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return true;
  }
  ~Resp() {
    if (fd_ >= 0) ::close(fd_);
  }
  static void Append(std::string& out, std::initializer_list<std::string_view> args) {
    out += '*';
    out += std::to_string(args.size());
    out += "\r\n";
    for (std::string_view a : args) {
      out += '$';
      out += std::to_string(a.size());
      out += "\r\n";
      out += a;
      out += "\r\n";
    }
  }
  bool Send(const std::string& buf) {
    size_t done = 0;
    while (done < buf.size()) {
      ssize_t w = ::write(fd_, buf.data() + done, buf.size() - done);
      if (w <= 0) return false;
      done += static_cast<size_t>(w);
    }
    return true;
  }
  // Reads one reply; returns the number of array elements (or 1), -1 on error reply or EOF.
  long Read() {
    std::string line;
    if (!Line(line)) return -1;
    char t = line[0];
    if (t == '-') {
      std::fprintf(stderr, "redis error: %s\n", line.c_str());
      return -1;
    }
    if (t == '+' || t == ':') return 1;
    long n = std::strtol(line.c_str() + 1, nullptr, 10);
    if (t == '$') {
      if (n >= 0 && !Skip(static_cast<size_t>(n) + 2)) return -1;
      return 1;
    }
    if (t == '*') {
      for (long i = 0; i < n; ++i)
        if (Read() < 0) return -1;
      return n;
    }
    return -1;
  }

 private:
  bool Fill() {
    if (pos_ == len_) pos_ = len_ = 0;
    if (len_ == sizeof buf_) return false;
    ssize_t r = ::read(fd_, buf_ + len_, sizeof buf_ - len_);
    if (r <= 0) return false;
    len_ += static_cast<size_t>(r);
    return true;
  }
  bool Line(std::string& line) {
    line.clear();
    for (;;) {
      for (; pos_ < len_; ++pos_) {
        if (buf_[pos_] == '\n' && !line.empty() && line.back() == '\r') {
          ++pos_;
          line.pop_back();
          return !line.empty();
        }
        line += buf_[pos_];
      }
      if (!Fill()) return false;
    }
  }
  bool Skip(size_t n) {
    while (n > 0) {
      if (pos_ == len_ && !Fill()) return false;
      size_t take = std::min(n, len_ - pos_);
      pos_ += take;
      n -= take;
    }
    return true;
  }
  int fd_ = -1;
  char buf_[1 << 16];
  size_t pos_ = 0, len_ = 0;
};

int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return -1;
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

struct RedisServer {
  pid_t pid = -1;
  int port = -1;
  std::filesystem::path dir;
  bool Start() {
    port = FreeLoopbackPort();
    dir =
        std::filesystem::temp_directory_path() / ("ncc-bench-redis-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    pid = ::fork();
    if (pid == 0) {
      std::string p = std::to_string(port), d = dir.string();
      int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::execlp("redis-server", "redis-server", "--port", p.c_str(), "--bind", "127.0.0.1", "--dir",
               d.c_str(), "--save", "", "--appendonly", "no", "--daemonize", "no",
               static_cast<char*>(nullptr));
      std::_Exit(127);
    }
    return pid > 0;
  }
  ~RedisServer() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
};

struct Figures {
  double index_fixes_per_s = 0, index_p50_us = 0, index_p99_us = 0;
  double redis_fixes_per_s = 0, redis_p50_us = 0, redis_p99_us = 0;
  bool redis = false;
  double track_fixes_per_s = 0, track_bytes_per_fix = 0;
  double track_dense_fixes_per_s = 0, track_dense_bytes_per_fix = 0;
  double fence_checks_per_s = 0;
  size_t fence_transitions = 0;
};

// Geofences: 1,000 zones (32-gon "circles" of 100 m to 2 km, a hole in every tenth) and one
// enter/exit check per fix of the random walk.
void BenchGeofences(size_t units, size_t checks, Figures& f) {
  ncc::geo::Geofences fences;
  Rng rng;
  for (int z = 0; z < 1000; ++z) {
    LatLon c{kCentre.lat + rng.Uniform(-0.17, 0.17), kCentre.lon + rng.Uniform(-0.19, 0.19)};
    double r = rng.Uniform(100, 2000) / 111195.0;
    auto ring = [&](double radius) {
      std::vector<LatLon> pts;
      for (int i = 0; i < 32; ++i)
        pts.push_back({c.lat + radius * std::sin(i * M_PI / 16),
                       c.lon + radius * std::cos(i * M_PI / 16) / 0.904});
      return ncc::geo::Ring(pts);
    };
    ncc::geo::Zone zone;
    char id[16];
    std::snprintf(id, sizeof id, "z%d", z);
    zone.id = id;
    zone.kind = ncc::geo::ZoneKind::kSector;
    std::vector<ncc::geo::Ring> holes;
    if (z % 10 == 0) holes.push_back(ring(r / 3));
    zone.polygons.emplace_back(ring(r), std::move(holes));
    (void)fences.Add(std::move(zone));
  }
  Fleet fleet(units);
  auto t0 = Clock::now();
  for (size_t n = 0; n < checks; ++n) {
    size_t i = fleet.Move();
    LatLon before = fleet.pos[i];
    fleet.pos[i].lat += 1e-3;  // a 110 m hop, so zones are crossed often
    f.fence_transitions += fences.Transitions(before, fleet.pos[i]).size();
  }
  f.fence_checks_per_s = static_cast<double>(checks) / Seconds(Clock::now() - t0);
}

long Arg(int argc, char** argv, const char* name, long def) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::atol(argv[i + 1]);
  return def;
}
std::string ArgS(int argc, char** argv, const char* name, std::string def) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return def;
}
bool Flag(int argc, char** argv, const char* name) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return true;
  return false;
}

// Track store: `fixes` fixes in batches of 10k, one fdatasync per batch. `units_per_batch`
// controls how many fixes each unit has per batch (block length).
void BenchTrack(const std::string& dir, size_t fixes, size_t units, double& per_s,
                double& bytes_per_fix) {
  std::string path = dir + "/ncc-bench-tracks-" + std::to_string(::getpid()) + ".ncct";
  std::filesystem::remove(path);
  auto store = ncc::track::TrackStore::Open(path);
  if (!store.ok()) {
    std::fprintf(stderr, "track store: %s\n", store.status().ToString().c_str());
    return;
  }
  Fleet fleet(units);
  std::vector<ncc::PositionFix> batch;
  auto t0 = Clock::now();
  for (size_t done = 0; done < fixes;) {
    batch.clear();
    for (; batch.size() < 10000 && done < fixes; ++done) {
      size_t i = fleet.Move();
      batch.push_back({UnitId{i + 1}, fleet.pos[i], fleet.TimeOfStep(), 12.3, 90});
    }
    auto r = (*store)->Append(batch);
    if (!r.ok() || !(*store)->Sync().ok()) {
      std::fprintf(stderr, "track append failed\n");
      return;
    }
  }
  per_s = static_cast<double>(fixes) / Seconds(Clock::now() - t0);
  bytes_per_fix = static_cast<double>((*store)->size_bytes()) / static_cast<double>(fixes);
  store->reset();
  std::filesystem::remove(path);
}

// The lane's sync path under light load: `groups` groups of 5 fixes of one unit, each appended
// and synced alone (TrackStore::Append + Sync: fdatasync, then the synced-length mark's pwrite).
// Baselines in the same run and folder: the bare durable write of a group's bytes on a plain
// file (pwrite + fdatasync, what durability alone costs), and the mark's 28-byte pwrite alone.
struct SyncFigures {
  double store_p50_us = 0, store_p99_us = 0;
  double bare_p50_us = 0, bare_p99_us = 0;
  double mark_mean_us = 0;
};

SyncFigures BenchTrackSync(const std::string& dir, size_t groups) {
  SyncFigures out;
  const std::string path = dir + "/ncc-bench-sync-" + std::to_string(::getpid()) + ".ncctrk";
  std::filesystem::remove(path);
  auto store = ncc::track::TrackStore::Open(path);
  if (!store.ok()) return out;
  std::vector<double> store_us, bare_us;
  Fleet fleet(1);
  for (size_t g = 0; g < groups; ++g) {
    std::vector<ncc::PositionFix> batch;
    for (int k = 0; k < 5; ++k) {
      fleet.Move();
      batch.push_back({UnitId{1}, fleet.pos[0], fleet.TimeOfStep(), 12.3, 90});
    }
    auto t0 = Clock::now();
    if (!(*store)->Append(batch).ok() || !(*store)->Sync().ok()) return out;
    store_us.push_back(Seconds(Clock::now() - t0) * 1e6);
  }
  const double bytes_per_group =
      static_cast<double>((*store)->size_bytes()) / static_cast<double>(groups);
  store->reset();
  std::filesystem::remove(path);
  std::filesystem::remove(ncc::track::SyncedMarkPath(path));

  const std::string bare = dir + "/ncc-bench-bare-" + std::to_string(::getpid());
  int fd = ::open(bare.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  std::string bytes(static_cast<size_t>(bytes_per_group), 'x');
  off_t at = 0;
  for (size_t g = 0; fd >= 0 && g < groups; ++g) {
    auto t0 = Clock::now();
    if (::pwrite(fd, bytes.data(), bytes.size(), at) < 0 || ::fdatasync(fd) != 0) break;
    at += static_cast<off_t>(bytes.size());
    bare_us.push_back(Seconds(Clock::now() - t0) * 1e6);
  }
  constexpr int kMarks = 100000;
  char mark[28] = {};
  auto t0 = Clock::now();
  for (int i = 0; fd >= 0 && i < kMarks; ++i) (void)!::pwrite(fd, mark, sizeof mark, 0);
  out.mark_mean_us = Seconds(Clock::now() - t0) * 1e6 / kMarks;
  if (fd >= 0) ::close(fd);
  std::filesystem::remove(bare);
  out.store_p50_us = Percentile(store_us, 0.5);
  out.store_p99_us = Percentile(store_us, 0.99);
  out.bare_p50_us = Percentile(bare_us, 0.5);
  out.bare_p99_us = Percentile(bare_us, 0.99);
  return out;
}

void PrintTrackSync(const SyncFigures& s, size_t groups) {
  std::printf(
      "| track sync path, %zu groups of 5 fixes, Append + Sync each | p50 %.1f us, p99 %.1f us | "
      "bare pwrite + fdatasync of the same bytes: p50 %.1f us, p99 %.1f us | synced-length mark "
      "pwrite alone: %.2f us |\n",
      groups, s.store_p50_us, s.store_p99_us, s.bare_p50_us, s.bare_p99_us, s.mark_mean_us);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t units = static_cast<size_t>(Arg(argc, argv, "--units", 50000));
  const size_t updates = static_cast<size_t>(Arg(argc, argv, "--updates", 20'000'000));
  const size_t queries = static_cast<size_t>(Arg(argc, argv, "--queries", 100'000));
  const size_t k = static_cast<size_t>(Arg(argc, argv, "--k", 10));
  const size_t redis_updates = static_cast<size_t>(Arg(argc, argv, "--redis-updates", 2'000'000));
  const size_t redis_queries = static_cast<size_t>(Arg(argc, argv, "--redis-queries", 20'000));
  const size_t track_fixes = static_cast<size_t>(Arg(argc, argv, "--track-fixes", 1'000'000));
  const std::string dir = ArgS(argc, argv, "--dir", ".");
  const size_t sync_groups = static_cast<size_t>(Arg(argc, argv, "--sync-groups", 2000));
  if (Flag(argc, argv, "--track-sync-only")) {
    std::printf("| measure | ncc | baseline (same run) | |\n|---|---|---|---|\n");
    PrintTrackSync(BenchTrackSync(dir, sync_groups), sync_groups);
    return 0;
  }
  Figures f;

  // --- LiveIndex ---
  {
    ncc::geo::LiveIndex index({.cell_meters = 500, .reference_lat = kCentre.lat});
    Fleet fleet(units);
    for (size_t i = 0; i < units; ++i) (void)index.Update(UnitId{i + 1}, fleet.pos[i], Time{1});
    fleet.step = static_cast<int64_t>(units);
    size_t accepted = 0;
    auto t0 = Clock::now();
    for (size_t n = 0; n < updates; ++n) {
      size_t i = fleet.Move();
      accepted += index.Update(UnitId{i + 1}, fleet.pos[i], fleet.TimeOfStep(), 10) ==
                  ncc::geo::FixOutcome::kAccepted;
    }
    f.index_fixes_per_s = static_cast<double>(updates) / Seconds(Clock::now() - t0);
    if (accepted != updates)
      std::fprintf(stderr, "warning: %zu of %zu fixes accepted\n", accepted, updates);
    std::vector<double> lat_us;
    lat_us.reserve(queries);
    Rng rng;
    size_t found = 0;
    for (size_t q = 0; q < queries; ++q) {
      LatLon p{kCentre.lat + rng.Uniform(-0.17, 0.17), kCentre.lon + rng.Uniform(-0.19, 0.19)};
      auto s = Clock::now();
      found += index.Nearest(p, k).size();
      lat_us.push_back(Seconds(Clock::now() - s) * 1e6);
    }
    if (found != queries * k) std::fprintf(stderr, "warning: short nearest results\n");
    f.index_p50_us = Percentile(lat_us, 0.5);
    f.index_p99_us = Percentile(lat_us, 0.99);
  }

  // --- Redis ---
  if (!Flag(argc, argv, "--no-redis")) {
    RedisServer server;
    Resp resp;
    bool up = server.Start();
    for (int i = 0; up && i < 100 && !resp.Connect(server.port); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::string ping;
    Resp::Append(ping, {"PING"});
    if (up && resp.Send(ping) && resp.Read() == 1) {
      f.redis = true;
      Fleet fleet(units);
      char lon[32], lat[32];
      std::string buf;
      char member[32];
      // std::to_chars: the client's formatting should not be what the baseline measures.
      auto fixed7 = [](char* out, size_t n, double v) {
        *std::to_chars(out, out + n - 1, v, std::chars_format::fixed, 7).ptr = '\0';
      };
      auto geoadd = [&](size_t i) {
        fixed7(lon, sizeof lon, fleet.pos[i].lon);
        fixed7(lat, sizeof lat, fleet.pos[i].lat);
        member[0] = 'u';
        *std::to_chars(member + 1, member + sizeof member - 1, i + 1).ptr = '\0';
        Resp::Append(buf, {"GEOADD", "fleet", lon, lat, member});
      };
      auto flush = [&](size_t n) {
        bool ok = resp.Send(buf);
        for (size_t j = 0; ok && j < n; ++j) ok = resp.Read() == 1;
        buf.clear();
        return ok;
      };
      bool ok = true;
      for (size_t i = 0; ok && i < units; i += 64) {
        size_t n = std::min<size_t>(64, units - i);
        for (size_t j = 0; j < n; ++j) geoadd(i + j);
        ok = flush(n);
      }
      fleet.step = static_cast<int64_t>(units);
      auto t0 = Clock::now();
      for (size_t n = 0; ok && n < redis_updates; n += 64) {
        for (size_t j = 0; j < 64; ++j) geoadd(fleet.Move());
        ok = flush(64);
      }
      f.redis_fixes_per_s = static_cast<double>(redis_updates) / Seconds(Clock::now() - t0);
      std::vector<double> lat_us;
      Rng rng;
      std::string count = std::to_string(k);
      for (size_t q = 0; ok && q < redis_queries; ++q) {
        std::snprintf(lat, sizeof lat, "%.7f", kCentre.lat + rng.Uniform(-0.17, 0.17));
        std::snprintf(lon, sizeof lon, "%.7f", kCentre.lon + rng.Uniform(-0.19, 0.19));
        buf.clear();
        Resp::Append(buf, {"GEOSEARCH", "fleet", "FROMLONLAT", lon, lat, "BYRADIUS", "1000", "m",
                           "ASC", "COUNT", count});
        auto s = Clock::now();
        ok = resp.Send(buf) && resp.Read() >= 0;
        lat_us.push_back(Seconds(Clock::now() - s) * 1e6);
      }
      if (ok) {
        f.redis_p50_us = Percentile(lat_us, 0.5);
        f.redis_p99_us = Percentile(lat_us, 0.99);
      } else {
        f.redis = false;
        std::fprintf(stderr, "redis: protocol failure\n");
      }
    } else {
      std::fprintf(stderr, "redis-server not available: Redis rows skipped\n");
    }
  }

  BenchGeofences(units, static_cast<size_t>(Arg(argc, argv, "--fence-checks", 2'000'000)), f);

  // --- TrackStore ---
  BenchTrack(dir, track_fixes, units, f.track_fixes_per_s, f.track_bytes_per_fix);
  BenchTrack(dir, track_fixes, 1000, f.track_dense_fixes_per_s, f.track_dense_bytes_per_fix);

  std::string load;
  std::getline(std::ifstream("/proc/loadavg"), load);
  std::printf("Load average at the end (2 cores shared with other work): %s\n\n", load.c_str());
  std::printf("| measure (%zu units, k = %zu) | ncc | Redis 7 (loopback) | ncc / Redis |\n", units,
              k);
  std::printf("|---|---|---|---|\n");
  auto ratio = [&](double a, double b) { return f.redis && b > 0 ? a / b : 0.0; };
  std::printf("| fix updates/s, one core | %.2fM | %.2fM (GEOADD, pipelined 64) | %.1fx |\n",
              f.index_fixes_per_s / 1e6, f.redis_fixes_per_s / 1e6,
              ratio(f.index_fixes_per_s, f.redis_fixes_per_s));
  std::printf(
      "| nearest-%zu p50 | %.2f us | %.1f us (GEOSEARCH 1 km ASC COUNT %zu) | %.0fx faster |\n", k,
      f.index_p50_us, f.redis_p50_us, k, ratio(f.redis_p50_us, f.index_p50_us));
  std::printf("| nearest-%zu p99 | %.2f us | %.1f us | %.0fx faster |\n", k, f.index_p99_us,
              f.redis_p99_us, ratio(f.redis_p99_us, f.index_p99_us));
  std::printf(
      "| geofence enter/exit check, 1,000 zones (32-gons) | %.2fM checks/s (%zu transitions) | | "
      "|\n",
      f.fence_checks_per_s / 1e6, f.fence_transitions);
  std::printf(
      "| track append, 10k-fix batches + fdatasync each, 50k units (~1 fix per unit per batch) | "
      "%.2fM fixes/s, %.1f B/fix | "
      "| |\n",
      f.track_fixes_per_s / 1e6, f.track_bytes_per_fix);
  std::printf(
      "| track append, 10k-fix batches + fdatasync each, 1k units (~10 fixes per unit per batch) | "
      "%.2fM fixes/s, %.1f "
      "B/fix | | |\n",
      f.track_dense_fixes_per_s / 1e6, f.track_dense_bytes_per_fix);
  PrintTrackSync(BenchTrackSync(dir, sync_groups), sync_groups);
  return 0;
}
