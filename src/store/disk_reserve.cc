#include "store/disk_reserve.h"

#include <sys/statvfs.h>

namespace ncc {
namespace {

std::string Mib(uint64_t bytes) {
  return std::to_string(bytes / (1024 * 1024)) + " MiB";
}

}  // namespace

Status DiskReserve::Check() const {
  if (reserve_ == 0) return Status::Ok();
  struct statvfs fs {};
  if (statvfs(path_.c_str(), &fs) != 0) return Status::Ok();
  // f_bavail: what an unprivileged writer may still use (root's reserved blocks are not ours).
  uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  last_free_.store(free_bytes, std::memory_order_relaxed);
  if (free_bytes >= reserve_) return Status::Ok();
  return InsufficientStorage("the disk under " + path_ + " is full (" + Mib(free_bytes) +
                             " free, " + Mib(reserve_) +
                             " kept for a clean stop): nothing was stored; retry when space "
                             "returns");
}

Status DiskFull(const std::string& what, const std::string& path) {
  return InsufficientStorage("the disk under " + path + " is full (" + what +
                             "): nothing was stored; retry when space returns");
}

}  // namespace ncc
