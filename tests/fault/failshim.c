/* failshim: an LD_PRELOAD library that makes write/pwrite/fsync/fdatasync fail on chosen files,
 * so a real `ncc serve` can be tested against a disk that fails (issue 17, tests/fault/).
 *
 *   LD_PRELOAD=.../libfailshim.so
 *   NCC_FAIL_PATH_SUBSTR=tracks.ncctrk  only files whose path contains this (required; unset:
 *                                       the shim does nothing)
 *   NCC_FAIL_OPS=fsync,fdatasync        which calls to fail: any of write, pwrite, fsync,
 *                                       fdatasync (default fsync,fdatasync)
 *   NCC_FAIL_AFTER=N                    the first N matching calls succeed (default 0)
 *   NCC_FAIL_TIMES=M                    then M calls fail and later ones succeed again
 *                                       (default 0: every later call fails)
 *   NCC_FAIL_ERRNO=EIO                  the error: EIO, ENOSPC, EROFS, EDQUOT (default EIO)
 *   NCC_FAIL_WHEN_EXISTS=/path          count and fail only while this file exists (a switch a
 *                                       test can flip without restarting the process)
 *
 * Every injected failure is reported on stderr ("failshim: fdatasync(/data/tracks.ncctrk)
 * fails with Input/output error"), so a test can tell its fault from a real one. A failing
 * write writes nothing. The path of a descriptor is read from /proc/self/fd at each call, so a
 * reused descriptor is never mistaken for an earlier file. Thread-safe: one atomic counter. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

enum { kWrite = 1, kPwrite = 2, kFsync = 4, kFdatasync = 8 };

static const char* g_substr;
static const char* g_when_exists;
static unsigned g_ops = kFsync | kFdatasync;
static long g_after, g_times;
static int g_errno = EIO;
static atomic_long g_calls;
static _Thread_local int t_inside; /* our own stderr report must not recurse */

static ssize_t (*real_write)(int, const void*, size_t);
static ssize_t (*real_pwrite)(int, const void*, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void*, size_t, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);

static int ErrnoByName(const char* name) {
  if (!name || !*name || !strcmp(name, "EIO")) return EIO;
  if (!strcmp(name, "ENOSPC")) return ENOSPC;
  if (!strcmp(name, "EROFS")) return EROFS;
  if (!strcmp(name, "EDQUOT")) return EDQUOT;
  return atoi(name) > 0 ? atoi(name) : EIO;
}

static unsigned OpsByName(const char* list) {
  if (!list || !*list) return kFsync | kFdatasync;
  unsigned ops = 0;
  if (strstr(list, "pwrite")) ops |= kPwrite;
  /* "write" alone, not as part of "pwrite" */
  for (const char* p = strstr(list, "write"); p; p = strstr(p + 1, "write"))
    if (p == list || p[-1] == ',') ops |= kWrite;
  if (strstr(list, "fdatasync")) ops |= kFdatasync;
  for (const char* p = strstr(list, "fsync"); p; p = strstr(p + 1, "fsync"))
    if (p == list || p[-1] == ',') ops |= kFsync;
  return ops;
}

__attribute__((constructor)) static void Init(void) {
  real_write = (ssize_t(*)(int, const void*, size_t))dlsym(RTLD_NEXT, "write");
  real_pwrite = (ssize_t(*)(int, const void*, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
  real_pwrite64 = (ssize_t(*)(int, const void*, size_t, off_t))dlsym(RTLD_NEXT, "pwrite64");
  real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  g_substr = getenv("NCC_FAIL_PATH_SUBSTR");
  if (g_substr && !*g_substr) g_substr = NULL;
  g_when_exists = getenv("NCC_FAIL_WHEN_EXISTS");
  g_ops = OpsByName(getenv("NCC_FAIL_OPS"));
  g_after = getenv("NCC_FAIL_AFTER") ? atol(getenv("NCC_FAIL_AFTER")) : 0;
  g_times = getenv("NCC_FAIL_TIMES") ? atol(getenv("NCC_FAIL_TIMES")) : 0;
  g_errno = ErrnoByName(getenv("NCC_FAIL_ERRNO"));
}

/* True when this call is to fail; then errno is set. */
static int ShouldFail(unsigned op, const char* name, int fd) {
  if (!g_substr || !(g_ops & op) || t_inside) return 0;
  char link[64], path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n < 0) return 0;
  path[n] = '\0';
  if (!strstr(path, g_substr)) return 0;
  if (g_when_exists && access(g_when_exists, F_OK) != 0) return 0;
  long k = atomic_fetch_add(&g_calls, 1);
  if (k < g_after || (g_times > 0 && k >= g_after + g_times)) return 0;
  t_inside = 1;
  fprintf(stderr, "failshim: %s(%s) fails with %s\n", name, path, strerror(g_errno));
  t_inside = 0;
  errno = g_errno;
  return 1;
}

ssize_t write(int fd, const void* buf, size_t n) {
  if (ShouldFail(kWrite, "write", fd)) return -1;
  return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  if (ShouldFail(kPwrite, "pwrite", fd)) return -1;
  return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off_t off) {
  if (ShouldFail(kPwrite, "pwrite", fd)) return -1;
  return (real_pwrite64 ? real_pwrite64 : real_pwrite)(fd, buf, n, off);
}

int fsync(int fd) {
  if (ShouldFail(kFsync, "fsync", fd)) return -1;
  return real_fsync(fd);
}

int fdatasync(int fd) {
  if (ShouldFail(kFdatasync, "fdatasync", fd)) return -1;
  return real_fdatasync(fd);
}
