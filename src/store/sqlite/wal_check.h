// The write-ahead log of an SQLite file, checked before SQLite opens it. SQLite's WAL recovery
// stops at the first frame whose checksum fails and silently drops every frame after it, even
// committed ones: one flipped byte at 90 % of the WAL after a kill -9 would lose every
// acknowledged transaction behind it. A commit frame of the same WAL generation (same salts)
// after the bad frame proves that durable, acknowledged data would be lost: refuse instead.
// (A torn last frame after a crash has no commit after it: that is a normal end.)
//
// Threads: a pure function of the file; call before opening the database.
#pragma once

#include <string>

#include "core/status.h"

namespace ncc {

// Ok when `wal_path` is missing, empty, or ends in frames SQLite would all keep (a torn tail
// included). kDataLoss naming the file, the bad frame and the committed frames after it
// otherwise.
Status CheckWal(const std::string& wal_path);

}  // namespace ncc
