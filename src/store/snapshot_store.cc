#include "store/snapshot_store.h"

#include <fcntl.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

namespace ncc {
namespace {

constexpr char kMagic[8] = {'N', 'C', 'C', 'S', 'N', 'A', 'P', '1'};
constexpr size_t kHeader = 8 + 8 + 32 + 8;

void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t GetU64(std::string_view in, size_t pos) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(in[pos + i])) << (8 * i);
  return v;
}

Status WriteFileSynced(const std::string& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return Internal("cannot create " + path + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return Internal("write " + path + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Internal("fsync " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

// One allocation of the right size and one read: snapshots run to hundreds of megabytes.
Status ReadWholeFile(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Internal("cannot open " + path + ": " + std::strerror(errno));
  off_t size = ::lseek(fd, 0, SEEK_END);
  out.resize(size > 0 ? static_cast<size_t>(size) : 0);
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (done != out.size()) return DataLoss(path + ": short read");
  return Status::Ok();
}

void SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

StatusOr<Snapshot> ParseSnapshot(std::string_view bytes) {
  if (bytes.size() < kHeader + 32 || std::memcmp(bytes.data(), kMagic, 8) != 0)
    return DataLoss("not a snapshot (bad magic or too short)");
  Snapshot s;
  s.seq = Seq(GetU64(bytes, 8));
  std::memcpy(s.head.data(), bytes.data() + 16, 32);
  uint64_t len = GetU64(bytes, 48);
  if (len != bytes.size() - kHeader - 32)
    return DataLoss("snapshot length does not match the file size");
  Hash want, got;
  std::memcpy(want.data(), bytes.data() + kHeader + len, 32);
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), kHeader + len, got.data());
  if (want != got) return DataLoss("snapshot checksum mismatch");
  s.world.assign(bytes.data() + kHeader, len);
  return s;
}

Status SnapshotStore::Write(const Snapshot& snapshot, int keep) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  std::string bytes(kMagic, 8);
  PutU64(bytes, snapshot.seq.value);
  bytes.append(reinterpret_cast<const char*>(snapshot.head.data()), 32);
  PutU64(bytes, snapshot.world.size());
  bytes += snapshot.world;
  Hash sum;
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), sum.data());
  bytes.append(reinterpret_cast<const char*>(sum.data()), 32);

  char name[64];
  std::snprintf(name, sizeof name, "snapshot-%020llu.bin",
                static_cast<unsigned long long>(snapshot.seq.value));
  std::string final_path = dir_ + "/" + name;
  std::string tmp = final_path + ".tmp";
  NCC_RETURN_IF_ERROR(WriteFileSynced(tmp, bytes));
  if (::rename(tmp.c_str(), final_path.c_str()) != 0)
    return Internal("rename " + tmp + ": " + std::strerror(errno));
  SyncDir(dir_);

  auto all = List();
  for (size_t i = static_cast<size_t>(std::max(keep, 1)); i < all.size(); ++i)
    std::filesystem::remove(all[i].second, ec);
  return Status::Ok();
}

size_t SnapshotStore::RemoveLeftovers() const {
  size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("snapshot-", 0) != 0 || !name.ends_with(".tmp")) continue;
    std::error_code rm;
    if (std::filesystem::remove(entry.path(), rm)) ++removed;
  }
  return removed;
}

std::vector<std::pair<uint64_t, std::string>> SnapshotStore::List() const {
  std::vector<std::pair<uint64_t, std::string>> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    std::string name = entry.path().filename().string();
    unsigned long long seq = 0;
    char tail[8] = {};
    if (std::sscanf(name.c_str(), "snapshot-%20llu.%4s", &seq, tail) == 2 &&
        std::string(tail) == "bin")
      out.emplace_back(seq, entry.path().string());
  }
  std::sort(out.rbegin(), out.rend());
  return out;
}

StatusOr<Snapshot> SnapshotStore::LoadLatest(std::vector<std::string>* skipped) const {
  return LoadAtOrBefore(Seq(UINT64_MAX), skipped);
}

std::vector<Seq> SnapshotStore::Seqs() const {
  std::vector<Seq> out;
  for (const auto& [seq, path] : List()) out.push_back(Seq(seq));
  return out;
}

StatusOr<Snapshot> SnapshotStore::LoadAtOrBefore(Seq at, std::vector<std::string>* skipped) const {
  for (const auto& [seq, path] : List()) {
    if (seq > at.value) continue;
    std::string bytes;
    Status read = ReadWholeFile(path, bytes);
    auto parsed = read.ok() ? ParseSnapshot(bytes) : StatusOr<Snapshot>(read);
    if (parsed.ok()) return parsed;
    if (skipped) skipped->push_back(path + ": " + parsed.status().message());
  }
  return Snapshot{};
}

}  // namespace ncc
