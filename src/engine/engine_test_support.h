// For tests only (header-only, GoogleTest): what the tests of the rooms that feed or follow the
// engine (the AVL lane, the CoT listener, the dispatch service, the plan watcher) start from —
// a folder of their own per test and process (ctest runs tests in parallel processes) and a
// real engine on a fresh SQLite log there, without snapshots.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "store/sqlite/sqlite_event_log.h"

namespace ncc::test_support {

// "<tmp>/<prefix>-<pid>-<test name>", created empty.
inline std::string FreshTestDir(const std::string& prefix) {
  namespace fs = std::filesystem;
  std::string dir = (fs::temp_directory_path() /
                     (prefix + "-" + std::to_string(::getpid()) + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                        .string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// The engine on `dir`/events.db (opened again after a stop: recovered from the log); null,
// with the test failed, when it does not open.
inline std::unique_ptr<Engine> OpenTestEngine(const std::string& dir, Clock& clock,
                                              EngineOptions options = {}) {
  auto log = SqliteEventLog::Open(dir + "/events.db");
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  if (!log.ok()) return nullptr;
  auto engine = Engine::Open(std::move(*log), nullptr, clock, std::move(options));
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  return engine.ok() ? std::move(*engine) : nullptr;
}

}  // namespace ncc::test_support
