#include "track/track_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

namespace ncc::track {
namespace {

std::string FileHeader(uint32_t version = kFormatVersion) {
  std::string h(kFileMagic, sizeof kFileMagic);
  for (uint32_t v : {version, 0u})
    for (int i = 0; i < 4; ++i) h.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return h;
}

Status Errno(const std::string& what, int err = errno) {
  return Unavailable(what + ": " + std::strerror(err));
}

Status WriteAll(const FileOps& ops, int fd, const char* p, size_t n, uint64_t off) {
  while (n > 0) {
    ssize_t w = ops.pwrite(fd, p, n, static_cast<off_t>(off));
    if (w < 0) {
      if (errno == EINTR) continue;
      return Errno("write");
    }
    p += w;
    n -= static_cast<size_t>(w);
    off += static_cast<uint64_t>(w);
  }
  return Status::Ok();
}

size_t PreadAll(int fd, uint64_t offset, size_t n, char* dst) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, dst + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

void SyncDir(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

// Writes `bytes` to a new file at `path` and makes it durable.
Status WriteNewFile(const std::string& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return Errno("create " + path);
  Status s = WriteAll(FileOps{}, fd, bytes.data(), bytes.size(), 0);
  if (s.ok() && ::fsync(fd) != 0) s = Errno("sync " + path);
  ::close(fd);
  return s.ok() ? s : Status(s.code(), path + ": " + s.message());
}

// What a scan found wrong, in one sentence for the report and the log.
std::string Describe(const ScanResult& r, uint64_t size) {
  std::string out;
  if (r.lost_blocks > 0)
    out = std::to_string(r.lost_blocks) + " damaged block(s) skipped (" +
          std::to_string(r.lost_bytes) + " bytes, " + std::to_string(r.lost_fixes) + " fixes lost" +
          (r.version == kFormatVersion1 ? ", count unknown in version 1" : "") +
          "), first: " + r.first_loss.message();
  if (!r.tail.ok())
    out += (out.empty() ? "" : "; ") + r.tail.message() + " (" + std::to_string(size - r.end) +
           " bytes cut)";
  return out;
}

uint32_t PeekVersion(int fd) {
  char head[kFileHeaderSize];
  if (PreadAll(fd, 0, kFileHeaderSize, head) != kFileHeaderSize ||
      std::memcmp(head, kFileMagic, sizeof kFileMagic) != 0)
    return 0;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<uint8_t>(head[8 + i])) << (8 * i);
  return v;
}

// Rewrites the version-1 file open as `fd` into version 2 next to it, then swaps it in, keeping
// the original as "<path>.v1" (a hard link taken before the swap, so a crash at any point leaves
// either the old file or the new one at `path`, never neither). Damaged v1 blocks are skipped
// like v2 ones; what the scan found goes into `report`.
Status MigrateV1(int fd, const std::string& path, OpenReport& report) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Errno("stat " + path);
  const auto size = static_cast<uint64_t>(st.st_size);
  const std::string tmp = path + ".migrating", backup = path + ".v1";
  int out_fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (out_fd < 0) return Errno("create " + tmp);
  std::string out = FileHeader();
  uint64_t flushed = 0;  // bytes of `out` already written to out_fd
  auto flush = [&]() {
    Status s = WriteAll(FileOps{}, out_fd, out.data(), out.size(), flushed);
    flushed += out.size();
    out.clear();
    return s;
  };
  std::unordered_map<uint64_t, std::pair<uint64_t, int64_t>> last;  // unit: new offset, time
  std::string block;
  std::vector<TrackFix> fixes;
  Status write_error;
  auto on_block = [&](uint64_t off, const BlockHeader& h) -> Status {
    auto it = last.find(h.unit.value);
    if (it != last.end() && h.t_first <= it->second.second)
      return DataLoss("block older than the unit's previous block");
    block.resize(static_cast<size_t>(h.size()));
    if (PreadAll(fd, off, block.size(), block.data()) != block.size())
      return Unavailable("short read");
    fixes.clear();
    NCC_RETURN_IF_ERROR(DecodeBlock(block, h, fixes));
    uint64_t at = flushed + out.size();
    EncodeBlock(h.unit, it == last.end() ? 0 : at - it->second.first, h.first_fix, fixes.data(),
                fixes.size(), out);
    last[h.unit.value] = {at, h.t_last};
    if (out.size() >= (8u << 20) && write_error.ok()) write_error = flush();
    return Status::Ok();
  };
  ScanResult r =
      ScanTrack([fd](uint64_t off, size_t n, char* dst) { return PreadAll(fd, off, n, dst); }, size,
                on_block);
  Status s =
      !r.problem.ok() ? Status(r.problem.code(), path + ": " + r.problem.message()) : write_error;
  if (s.ok()) s = flush();
  if (s.ok() && ::fsync(out_fd) != 0) s = Errno("sync " + tmp);
  ::close(out_fd);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  if (struct stat b{}; ::stat(backup.c_str(), &b) == 0) {
    if (b.st_ino != st.st_ino || b.st_dev != st.st_dev)
      return FailedPrecondition("cannot migrate " + path + " to track format version 2: " + backup +
                                " exists and is another file");
    ::unlink(backup.c_str());  // our own link from a migration that crashed before the swap
  }
  if (::link(path.c_str(), backup.c_str()) != 0) return Errno("link " + backup);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("rename " + tmp);
  SyncDir(path);
  report.migrated_from = backup;
  report.lost_blocks = r.lost_blocks;
  report.lost_bytes = r.lost_bytes;
  report.dropped_bytes = r.tail.ok() ? 0 : size - r.end;
  report.problem = Describe(r, size);
  return Status::Ok();
}

constexpr uint32_t kCheckpointEvery = 64;

// The mark file: magic, u64 synced length, u64 running fix count at that length, CRC-32 of the
// 24 bytes before it (all little-endian). 28 bytes, rewritten in place.
constexpr char kMarkMagic[8] = {'N', 'C', 'C', 'T', 'S', 'Y', 'N', '1'};
constexpr size_t kMarkSize = 8 + 8 + 8 + 4;

struct SyncedMark {
  uint64_t end = 0;
  uint64_t next_fix = 0;
};

std::string EncodeMark(const SyncedMark& m) {
  std::string out(kMarkMagic, sizeof kMarkMagic);
  for (uint64_t v : {m.end, m.next_fix})
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  const uint32_t crc = Crc32(out.data(), out.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
  return out;
}

uint64_t GetLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}

// The mark as last written; nullopt when there is none, or it does not check (torn while being
// rewritten): then nothing is known, and nothing is reported lost.
std::optional<SyncedMark> ReadMark(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char b[kMarkSize];
  const size_t n = PreadAll(fd, 0, kMarkSize, b);
  ::close(fd);
  if (n != kMarkSize || std::memcmp(b, kMarkMagic, sizeof kMarkMagic) != 0 ||
      Crc32(b, kMarkSize - 4) != GetLe(b + kMarkSize - 4, 4))
    return std::nullopt;
  return SyncedMark{GetLe(b + 8, 8), GetLe(b + 16, 8)};
}

}  // namespace

std::string SyncedMarkPath(const std::string& path) {
  std::filesystem::path p(path);
  if (p.extension() == ".synced") return path + ".synced";
  return p.replace_extension(".synced").string();
}

TrackStore::TrackStore(int fd, std::string path, FileOps ops)
    : fd_(fd), path_(std::move(path)), ops_(std::move(ops)) {}

TrackStore::~TrackStore() {
  if (fd_ >= 0) ::close(fd_);
  if (mark_fd_ >= 0) ::close(mark_fd_);
}

StatusOr<std::unique_ptr<TrackStore>> TrackStore::Open(const std::string& path,
                                                       TrackStoreOptions options) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return Errno("open " + path);
  OpenReport migration;
  if (PeekVersion(fd) == kFormatVersion1) {
    Status s = options.repair ? MigrateV1(fd, path, migration)
                              : FailedPrecondition("track file " + path +
                                                   " is version 1: open it with repair on to "
                                                   "migrate it to version 2");
    ::close(fd);
    NCC_RETURN_IF_ERROR(s);
    fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return Errno("open " + path);
  }
  std::unique_ptr<TrackStore> store(new TrackStore(fd, path, std::move(options.file)));
  NCC_RETURN_IF_ERROR(store->Load(options));
  if (!migration.migrated_from.empty()) {
    // The version-1 file's damage was left behind in the migration: report it here.
    OpenReport& r = store->report_;
    r.migrated_from = migration.migrated_from;
    r.lost_blocks += migration.lost_blocks;
    r.lost_bytes += migration.lost_bytes;
    r.dropped_bytes += migration.dropped_bytes;
    if (!migration.problem.empty())
      r.problem =
          "version 1 file: " + migration.problem + (r.problem.empty() ? "" : "; ") + r.problem;
  }
  return store;
}

size_t TrackStore::ReadAt(uint64_t offset, size_t n, char* dst) const {
  return PreadAll(fd_, offset, n, dst);
}

void TrackStore::Index(uint64_t offset, const BlockHeader& h) {
  UnitTrack& u = units_[h.unit.value];
  if (u.blocks % kCheckpointEvery == 0) u.checkpoints.emplace_back(h.t_first, offset);
  ++u.blocks;
  u.last_offset = offset;
  u.last_time = h.t_last;
}

// A block the scan found valid: indexed, unless it breaks its unit's time order. When its back
// pointer does not lead to the unit's previous valid block, that block was lost: a bridge makes
// Query continue with the older blocks instead of stopping at (or reading) the damage.
Status TrackStore::IndexScanned(uint64_t off, const BlockHeader& h) {
  auto it = units_.find(h.unit.value);
  if (it != units_.end() && h.t_first <= it->second.last_time)
    return DataLoss("block older than the unit's previous block");
  const uint64_t previous = it == units_.end() ? 0 : it->second.last_offset;
  if (h.back != (previous ? off - previous : 0)) bridges_[off] = previous;
  Index(off, h);
  return Status::Ok();
}

Status TrackStore::CreateFresh(uint64_t size) {
  // Empty, or a crash while the header was being written: start afresh. Anything else with
  // this little content is not ours to overwrite.
  const std::string header = FileHeader();
  std::string bytes(size, '\0');
  if (ReadAt(0, size, bytes.data()) != size || header.compare(0, size, bytes) != 0)
    return DataLoss("not a track file: " + path_);
  if (::ftruncate(fd_, 0) != 0) return Errno("truncate " + path_);
  NCC_RETURN_IF_ERROR(WriteAll(FileOps{}, fd_, header.data(), header.size(), 0));
  if (::fdatasync(fd_) != 0) return Errno("sync " + path_);
  SyncDir(path_);
  end_ = synced_end_ = report_.valid_bytes = kFileHeaderSize;
  return Status::Ok();
}

Status TrackStore::Load(const TrackStoreOptions& options) {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return Errno("stat " + path_);
  auto size = static_cast<uint64_t>(st.st_size);
  if (size < kFileHeaderSize) {
    // Empty (new, or deleted and created again): the mark says whether fixes were stored here.
    CheckSyncedMark(kFileHeaderSize, 0);
    if (!report_.problem.empty() && !options.repair)
      return DataLoss("damaged track file " + path_ + ": " + report_.problem);
    NCC_RETURN_IF_ERROR(CreateFresh(size));
    WriteSyncedMark();
    return Status::Ok();
  }
  ScanResult r =
      ScanTrack([this](uint64_t off, size_t n, char* dst) { return ReadAt(off, n, dst); }, size,
                [this](uint64_t off, const BlockHeader& h) { return IndexScanned(off, h); });
  if (!r.problem.ok()) return Status(r.problem.code(), path_ + ": " + r.problem.message());
  if (r.version != kFormatVersion) return FailedPrecondition(path_ + ": not migrated");
  report_.blocks = r.blocks;
  report_.fixes = r.fixes;
  report_.valid_bytes = r.end;
  report_.lost_blocks = r.lost_blocks;
  report_.lost_bytes = r.lost_bytes;
  report_.lost_fixes = r.lost_fixes;
  report_.problem = Describe(r, size);
  end_ = synced_end_ = r.end;
  next_fix_ = synced_next_fix_ = r.next_fix;
  CheckSyncedMark(r.end, r.next_fix);
  if (!report_.problem.empty() && !options.repair)
    return DataLoss("damaged track file " + path_ + ": " + report_.problem);
  if (!r.tail.ok()) {  // damaged blocks in the middle stay where they are, skipped
    report_.dropped_bytes = size - r.end;
    NCC_RETURN_IF_ERROR(CutTail(r.end, size));
  }
  WriteSyncedMark();  // what is kept now is what is durable
  return Status::Ok();
}

void TrackStore::CheckSyncedMark(uint64_t end, uint64_t next_fix) {
  const std::string mark_path = SyncedMarkPath(path_);
  auto mark = ReadMark(mark_path);
  if (!mark || mark->end <= end) return;  // nothing synced is missing (a torn tail was not)
  report_.synced_lost_fixes = mark->next_fix > next_fix ? mark->next_fix - next_fix : 0;
  report_.lost_fixes += report_.synced_lost_fixes;
  std::string what = "the valid blocks end at byte " + std::to_string(end) + " but " +
                     std::to_string(mark->end) + " bytes were synced (" + mark_path +
                     "): the file was cut or replaced after a sync, " +
                     std::to_string(report_.synced_lost_fixes) + " acknowledged fixes lost";
  report_.problem += (report_.problem.empty() ? "" : "; ") + what;
}

void TrackStore::WriteSyncedMark() {
  // Opened on first use, and again after a failure (a full disk may refuse the new file): the
  // mark is evidence, not data, so it never stops the store. A mark that could not be written
  // lags behind, which can only under-report a loss, never invent one.
  if (mark_fd_ < 0)
    mark_fd_ = ::open(SyncedMarkPath(path_).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (mark_fd_ < 0) return;
  const std::string mark = EncodeMark({synced_end_, synced_next_fix_});
  if (::pwrite(mark_fd_, mark.data(), mark.size(), 0) != static_cast<ssize_t>(mark.size())) {
    ::close(mark_fd_);
    mark_fd_ = -1;
  }
}

// Keeps the evidence, then cuts the tail so new blocks follow valid data.
Status TrackStore::CutTail(uint64_t end, uint64_t size) {
  std::string tail(static_cast<size_t>(std::min<uint64_t>(size - end, 64u << 20)), '\0');
  tail.resize(ReadAt(end, tail.size(), tail.data()));
  report_.saved_tail = path_ + ".corrupt-" + std::to_string(end);
  NCC_RETURN_IF_ERROR(WriteNewFile(report_.saved_tail, tail));
  if (::ftruncate(fd_, static_cast<off_t>(end)) != 0) return Errno("truncate " + path_);
  if (::fdatasync(fd_) != 0) return Errno("sync " + path_);
  SyncDir(path_);
  return Status::Ok();
}

Status TrackStore::Fail(Status cause) {
  // Roll the index back to what the last good sync made durable, then the file.
  for (const auto& [id, before] : undo_) {
    if (!before.existed) {
      units_.erase(id);
      continue;
    }
    UnitTrack& u = units_[id];
    u.last_offset = before.last_offset;
    u.last_time = before.last_time;
    u.blocks = before.blocks;
    u.checkpoints.resize(before.checkpoints);
  }
  undo_.clear();
  std::string why = "track store " + path_ + " stopped: " + cause.message();
  // A failed write may have left part of its bytes, a failed sync all of them: neither was
  // acknowledged, and a restart must not find them.
  if (ops_.ftruncate(fd_, static_cast<off_t>(synced_end_)) != 0)
    why += "; and the unacknowledged bytes after offset " + std::to_string(synced_end_) +
           " could not be cut off (" + std::strerror(errno) + ")";
  end_ = synced_end_;
  next_fix_ = synced_next_fix_;
  failed_ = Status(cause.code(), why);
  return failed_;
}

StatusOr<AppendStats> TrackStore::Append(std::span<const PositionFix> fixes) {
  std::lock_guard lock(mu_);
  if (!failed_.ok()) return failed_;
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
    EncodeBlock(unit, has_prev ? offset - prev : 0, next_fix_ + stats.written, run.data(),
                run.size(), buf);
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
  if (Status s = WriteAll(ops_, fd_, buf.data(), buf.size(), end_); !s.ok()) return Fail(s);
  for (const Written& w : written) {
    auto it = units_.find(w.header.unit.value);
    if (it == units_.end())
      undo_.try_emplace(w.header.unit.value);
    else
      undo_.try_emplace(w.header.unit.value,
                        UnitUndo{true, it->second.last_offset, it->second.last_time,
                                 it->second.blocks, it->second.checkpoints.size()});
    Index(w.offset, w.header);
  }
  end_ += buf.size();
  next_fix_ += stats.written;
  return stats;
}

Status TrackStore::Sync() {
  std::lock_guard lock(mu_);
  if (!failed_.ok()) return failed_;
  if (ops_.fdatasync(fd_) != 0) return Fail(Errno("sync"));
  const bool grew = end_ != synced_end_;
  synced_end_ = end_;
  synced_next_fix_ = next_fix_;
  undo_.clear();
  // After the fdatasync, never before: the mark must not claim bytes that are not durable. One
  // small pwrite to the page cache, no sync of its own.
  if (grew) WriteSyncedMark();
  return Status::Ok();
}

Status TrackStore::health() const {
  std::lock_guard lock(mu_);
  return failed_;
}

uint64_t TrackStore::Older(uint64_t offset, const BlockHeader& h) const {
  if (auto b = bridges_.find(offset); b != bridges_.end()) return b->second;
  if (h.back == 0 || h.back > offset - kFileHeaderSize) return 0;
  return offset - h.back;
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
  while (off != 0) {
    buf.resize(kMaxBlockHeader);
    buf.resize(ReadAt(off, buf.size(), buf.data()));
    BlockHeader h;
    Status s = DecodeBlockHeader(buf, h);
    if (!s.ok()) return DataLoss("track block at " + std::to_string(off) + ": " + s.message());
    if (h.t_first <= to.ms) {
      buf.resize(static_cast<size_t>(h.size()));
      if (ReadAt(off, buf.size(), buf.data()) != buf.size())
        return DataLoss("track block at " + std::to_string(off) + " is short");
      std::vector<TrackFix> fixes;
      s = DecodeBlock(buf, h, fixes);
      if (!s.ok()) return DataLoss("track block at " + std::to_string(off) + ": " + s.message());
      std::erase_if(fixes, [&](const TrackFix& f) { return f.time < from || f.time > to; });
      blocks.push_back(std::move(fixes));
    }
    if (h.t_first < from.ms) break;
    off = Older(off, h);
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

StatusOr<TrackFix> TrackStore::LastAtOrBefore(UnitId unit, Time at) const {
  std::lock_guard lock(mu_);
  auto it = units_.find(unit.value);
  if (it == units_.end()) return NotFound("no track for unit", "unit");
  const UnitTrack& u = it->second;
  uint64_t off = u.last_offset;
  auto cp = std::upper_bound(u.checkpoints.begin(), u.checkpoints.end(), at.ms,
                             [](int64_t t, const auto& c) { return t < c.first; });
  if (cp != u.checkpoints.end()) off = cp->second;
  std::string buf;
  // Blocks of one unit are in time order: the newest block starting at or before `at` holds
  // the answer (its first fix at least).
  for (; off != 0;) {
    buf.resize(kMaxBlockHeader);
    buf.resize(ReadAt(off, buf.size(), buf.data()));
    BlockHeader h;
    Status s = DecodeBlockHeader(buf, h);
    if (!s.ok()) return DataLoss("track block at " + std::to_string(off) + ": " + s.message());
    if (h.t_first > at.ms) {
      off = Older(off, h);
      continue;
    }
    buf.resize(static_cast<size_t>(h.size()));
    if (ReadAt(off, buf.size(), buf.data()) != buf.size())
      return DataLoss("track block at " + std::to_string(off) + " is short");
    std::vector<TrackFix> fixes;
    s = DecodeBlock(buf, h, fixes);
    if (!s.ok()) return DataLoss("track block at " + std::to_string(off) + ": " + s.message());
    for (auto f = fixes.rbegin(); f != fixes.rend(); ++f)
      if (f->time <= at) return *f;
    off = Older(off, h);
  }
  return NotFound("no fix of the unit at or before that time", "unit");
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
