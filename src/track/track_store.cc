#include "track/track_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ncc::track {
namespace {

std::string FileHeader() {
  std::string h(kFileMagic, sizeof kFileMagic);
  for (uint32_t v : {kFormatVersion, 0u})
    for (int i = 0; i < 4; ++i) h.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return h;
}

Status Errno(const std::string& what) {
  return Unavailable(what + ": " + std::strerror(errno));
}

Status WriteAll(int fd, const char* p, size_t n, uint64_t off) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(off));
    if (w < 0) {
      if (errno == EINTR) continue;
      return Errno("track write");
    }
    p += w;
    n -= static_cast<size_t>(w);
    off += static_cast<uint64_t>(w);
  }
  return Status::Ok();
}

void SyncDir(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

constexpr uint32_t kCheckpointEvery = 64;

}  // namespace

TrackStore::TrackStore(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

TrackStore::~TrackStore() {
  if (fd_ >= 0) ::close(fd_);
}

StatusOr<std::unique_ptr<TrackStore>> TrackStore::Open(const std::string& path,
                                                       TrackStoreOptions options) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return Errno("open " + path);
  std::unique_ptr<TrackStore> store(new TrackStore(fd, path));
  NCC_RETURN_IF_ERROR(store->Load(options));
  return store;
}

size_t TrackStore::ReadAt(uint64_t offset, size_t n, char* dst) const {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd_, dst + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

void TrackStore::Index(uint64_t offset, const BlockHeader& h) {
  UnitTrack& u = units_[h.unit.value];
  if (u.blocks % kCheckpointEvery == 0) u.checkpoints.emplace_back(h.t_first, offset);
  ++u.blocks;
  u.last_offset = offset;
  u.last_time = h.t_last;
}

Status TrackStore::Load(TrackStoreOptions options) {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return Errno("stat " + path_);
  auto size = static_cast<uint64_t>(st.st_size);
  const std::string header = FileHeader();
  if (size < kFileHeaderSize) {
    // Empty, or a crash while the header was being written: start afresh. Anything else with
    // this little content is not ours to overwrite.
    std::string bytes(size, '\0');
    if (ReadAt(0, size, bytes.data()) != size || header.compare(0, size, bytes) != 0)
      return DataLoss("not a track file: " + path_);
    if (::ftruncate(fd_, 0) != 0) return Errno("truncate " + path_);
    NCC_RETURN_IF_ERROR(WriteAll(fd_, header.data(), header.size(), 0));
    if (::fdatasync(fd_) != 0) return Errno("sync " + path_);
    SyncDir(path_);
    end_ = report_.valid_bytes = kFileHeaderSize;
    return Status::Ok();
  }
  ScanResult r =
      ScanTrack([this](uint64_t off, size_t n, char* dst) { return ReadAt(off, n, dst); }, size,
                [this](uint64_t off, const BlockHeader& h) -> Status {
                  auto it = units_.find(h.unit.value);
                  uint64_t expected = it == units_.end() ? 0 : off - it->second.last_offset;
                  if (h.back != expected)
                    return DataLoss("block back pointer does not match its unit");
                  if (it != units_.end() && h.t_first <= it->second.last_time)
                    return DataLoss("block older than the unit's previous block");
                  Index(off, h);
                  return Status::Ok();
                });
  if (r.valid_bytes < kFileHeaderSize) return r.problem;  // bad magic or version: not ours
  report_.blocks = r.blocks;
  report_.fixes = r.fixes;
  report_.valid_bytes = r.valid_bytes;
  end_ = r.valid_bytes;
  if (r.problem.ok()) return Status::Ok();
  report_.problem = r.problem.message();
  report_.dropped_bytes = size - r.valid_bytes;
  if (!options.repair_tail) return DataLoss("corrupt track file " + path_ + ": " + report_.problem);
  // Keep the evidence, then cut the tail so new blocks follow valid data.
  std::string tail(static_cast<size_t>(std::min<uint64_t>(report_.dropped_bytes, 64u << 20)), '\0');
  tail.resize(ReadAt(r.valid_bytes, tail.size(), tail.data()));
  report_.saved_tail = path_ + ".corrupt-" + std::to_string(r.valid_bytes);
  int tfd = ::open(report_.saved_tail.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (tfd < 0) return Errno("save corrupt tail " + report_.saved_tail);
  Status s = WriteAll(tfd, tail.data(), tail.size(), 0);
  if (s.ok() && ::fsync(tfd) != 0) s = Errno("sync " + report_.saved_tail);
  ::close(tfd);
  NCC_RETURN_IF_ERROR(s);
  if (::ftruncate(fd_, static_cast<off_t>(r.valid_bytes)) != 0) return Errno("truncate " + path_);
  if (::fdatasync(fd_) != 0) return Errno("sync " + path_);
  SyncDir(path_);
  return Status::Ok();
}

StatusOr<AppendStats> TrackStore::Append(std::span<const PositionFix> fixes) {
  std::lock_guard lock(mu_);
  AppendStats stats;
  std::vector<uint32_t> order(fixes.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const PositionFix &x = fixes[a], &y = fixes[b];
    return x.unit != y.unit ? x.unit < y.unit : x.time < y.time;
  });
  struct Written {
    uint64_t offset;
    BlockHeader header;
  };
  std::vector<Written> written;
  std::string buf;
  std::vector<TrackFix> run;
  // Local view of each unit's newest offset/time, so several blocks per unit chain correctly.
  std::unordered_map<uint64_t, std::pair<uint64_t, int64_t>> pending;
  auto flush = [&](UnitId unit) {
    if (run.empty()) return;
    auto it = units_.find(unit.value);
    auto pit = pending.find(unit.value);
    uint64_t offset = end_ + buf.size();
    uint64_t prev = pit != pending.end() ? pit->second.first
                    : it != units_.end() ? it->second.last_offset
                                         : 0;
    bool has_prev = pit != pending.end() || it != units_.end();
    EncodeBlock(unit, has_prev ? offset - prev : 0, run.data(), run.size(), buf);
    BlockHeader h;
    h.unit = unit;
    h.t_first = run.front().time.ms;
    h.t_last = run.back().time.ms;
    written.push_back({offset, h});
    pending[unit.value] = {offset, h.t_last};
    stats.written += run.size();
    run.clear();
  };
  for (size_t i = 0; i < order.size();) {
    UnitId unit = fixes[order[i]].unit;
    auto it = units_.find(unit.value);
    int64_t last = it == units_.end() ? INT64_MIN : it->second.last_time;
    for (; i < order.size() && fixes[order[i]].unit == unit; ++i) {
      const PositionFix& f = fixes[order[i]];
      if (f.time.ms <= last || !unit) {
        ++stats.out_of_order;
        continue;
      }
      last = f.time.ms;
      run.push_back(
          TrackFix{f.time, f.position, static_cast<float>(f.speed), static_cast<float>(f.heading)});
      if (run.size() == kMaxFixesPerBlock) flush(unit);
    }
    flush(unit);
  }
  if (buf.empty()) return stats;
  Status s = WriteAll(fd_, buf.data(), buf.size(), end_);
  if (!s.ok()) {
    // Leave no half block behind: the next Append must follow valid data.
    if (::ftruncate(fd_, static_cast<off_t>(end_)) != 0)
      return Errno("truncate after failed write");
    return s;
  }
  for (const Written& w : written) Index(w.offset, w.header);
  end_ += buf.size();
  return stats;
}

Status TrackStore::Sync() {
  std::lock_guard lock(mu_);
  if (::fdatasync(fd_) != 0) return Errno("sync " + path_);
  return Status::Ok();
}

StatusOr<std::vector<TrackFix>> TrackStore::Query(UnitId unit, Time from, Time to) const {
  std::lock_guard lock(mu_);
  std::vector<TrackFix> out;
  auto it = units_.find(unit.value);
  if (it == units_.end() || from > to) return out;
  const UnitTrack& u = it->second;
  // Start at the oldest checkpoint wholly after `to`, or at the newest block.
  uint64_t off = u.last_offset;
  auto cp = std::upper_bound(u.checkpoints.begin(), u.checkpoints.end(), to.ms,
                             [](int64_t t, const auto& c) { return t < c.first; });
  if (cp != u.checkpoints.end()) off = cp->second;
  std::vector<std::vector<TrackFix>> blocks;  // newest first
  std::string buf;
  for (;;) {
    buf.resize(kMaxBlockHeader);
    buf.resize(ReadAt(off, buf.size(), buf.data()));
    BlockHeader h;
    Status s = DecodeBlockHeader(buf, h);
    if (!s.ok()) return DataLoss("track block at " + std::to_string(off) + ": " + s.message());
    if (h.t_first <= to.ms) {
      buf.resize(uint64_t{h.header_len} + h.payload_len);
      if (ReadAt(off, buf.size(), buf.data()) != buf.size())
        return DataLoss("track block at " + std::to_string(off) + " is short");
      std::vector<TrackFix> fixes;
      s = DecodeBlock(buf, h, fixes);
      if (!s.ok()) return DataLoss("track block at " + std::to_string(off) + ": " + s.message());
      std::erase_if(fixes, [&](const TrackFix& f) { return f.time < from || f.time > to; });
      blocks.push_back(std::move(fixes));
    }
    if (h.t_first < from.ms || h.back == 0 || h.back > off) break;
    off -= h.back;
  }
  for (auto b = blocks.rbegin(); b != blocks.rend(); ++b)
    out.insert(out.end(), b->begin(), b->end());
  return out;
}

StatusOr<TrackFix> TrackStore::Last(UnitId unit) const {
  int64_t t;
  {
    std::lock_guard lock(mu_);
    auto it = units_.find(unit.value);
    if (it == units_.end()) return NotFound("no track for unit", "unit");
    t = it->second.last_time;
  }
  auto fixes = Query(unit, Time{t}, Time{t});
  if (!fixes.ok()) return fixes.status();
  if (fixes->empty()) return DataLoss("newest block of the unit has no fix at its last time");
  return fixes->back();
}

std::vector<UnitId> TrackStore::Units() const {
  std::lock_guard lock(mu_);
  std::vector<UnitId> out;
  for (const auto& [id, u] : units_) out.push_back(UnitId{id});
  std::sort(out.begin(), out.end());
  return out;
}

uint64_t TrackStore::size_bytes() const {
  std::lock_guard lock(mu_);
  return end_;
}

}  // namespace ncc::track
