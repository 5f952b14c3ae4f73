// Clang thread-safety annotations (clang.llvm.org/docs/ThreadSafetyAnalysis.html) and a mutex
// they can see. With clang and -Wthread-safety the compiler proves, per function, that every
// member marked GUARDED_BY(mu_) is touched only with mu_ held, and that a function marked
// REQUIRES(mu_) is only called so. The macros expand to nothing on other compilers (GCC), so
// they cost nothing there and are documentation that a clang build checks.
//
// libstdc++'s std::mutex carries no annotations, so a member the analysis should follow is an
// ncc::Mutex, locked with an ncc::MutexLock (a std::lock_guard that clang understands).
// Mutex meets BasicLockable, so std::condition_variable_any can wait on a MutexLock's mutex.
#pragma once

#include <mutex>

#if defined(__clang__)
#define NCC_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define NCC_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) NCC_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY NCC_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) NCC_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) NCC_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) NCC_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) NCC_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) NCC_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) NCC_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) NCC_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define RETURN_CAPABILITY(x) NCC_THREAD_ANNOTATION(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS NCC_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace ncc {

// std::mutex, visible to the analysis. Not recursive; no thread may lock it twice.
class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }
  bool try_lock() TRY_ACQUIRE(true) { return mu_.try_lock(); }

 private:
  std::mutex mu_;
};

// Holds a Mutex for its scope, like std::lock_guard.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

}  // namespace ncc
