// Tests' way to the NATS server a ctest fixture started (store.jetstream.server.start runs
// `scripts/nats start build/<preset>/nats-single auto --fresh`): its URL is $NCC_NATS_URL, or
// the first line of the file $NCC_NATS_URL_FILE names. Test-only, header-only.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "store/jetstream/jetstream_event_log.h"

namespace ncc::jetstream::testing {

inline std::string FixtureUrl() {
  if (const char* url = std::getenv("NCC_NATS_URL"); url && *url) return url;
  std::string line;
  if (const char* file = std::getenv("NCC_NATS_URL_FILE"); file && *file) {
    std::ifstream in(file);
    std::getline(in, line);
  }
  if (line.empty()) {
    std::fprintf(stderr,
                 "no NATS server: run through ctest (fixture store.jetstream.server.start), or "
                 "set NCC_NATS_URL after `scripts/nats start DIR auto`\n");
    std::abort();
  }
  return line;
}

// A stream name of its own for every test (tests run in parallel against one server, and a
// name is never reused across runs).
inline std::string UniqueShard(const std::string& hint) {
  static std::atomic<int> counter{0};
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  std::string shard =
      "t" + std::to_string(::getpid()) + "_" +
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count() %
                     100'000'000) +
      "_" + std::to_string(++counter) + "_";
  for (char c : hint) {
    if (shard.size() >= 60) break;
    shard += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  return shard;
}

// The conformance suite's backend: a writer on a fresh shard named after the test's folder.
inline std::unique_ptr<EventLog> OpenForConformance(const std::string& dir) {
  auto log = JetStreamEventLog::Open(FixtureUrl(), UniqueShard(dir.substr(dir.rfind('/') + 1)),
                                     "conformance");
  if (!log.ok()) {
    std::fprintf(stderr, "open JetStream event log: %s\n", log.status().ToString().c_str());
    std::abort();
  }
  return std::move(*log);
}

}  // namespace ncc::jetstream::testing
