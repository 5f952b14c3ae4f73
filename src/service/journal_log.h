// ncc's log lines for journald (docs/operations.md, "Logs"). Under systemd the journal stamps
// every line itself and reads a leading "<N>" as the line's syslog priority (sd-daemon(3)), so
// there each line is "<6>ncc listening on ..." (no timestamp, no colour) and `journalctl -u ncc
// -p warning` shows warnings and worse. The journal is recognised as systemd.exec(5) says: the
// "DEVICE:INODE" in $JOURNAL_STREAM is the stream's, so `ncc serve 2>file` started under a unit
// still writes ordinary lines to the file.
// Owner: src/service. Thread: the main thread, before other threads log. Errors: none; without
// the journal the default logger is left as it is.
#pragma once

#include <spdlog/common.h>
#include <spdlog/formatter.h>

#include <memory>
#include <string_view>

namespace ncc::service {

// Whether `fd` is the stream that `journal_stream` ($JOURNAL_STREAM, "DEVICE:INODE") names.
bool IsJournalStream(const char* journal_stream, int fd);

// The sd-daemon priority prefix of a level: "<3>" for errors, "<4>" warnings, "<6>" info ...
std::string_view PriorityPrefix(spdlog::level::level_enum level);

// The pattern of journald lines: the priority, then the message.
inline constexpr const char* kJournalPattern = "%*%v";

// A formatter for `pattern` that knows the %* flag (the priority prefix).
std::unique_ptr<spdlog::formatter> JournalFormatter(const char* pattern = kJournalPattern);

// When stderr (or else stdout) is the journal, the default logger writes journald lines to it.
// Returns whether it did.
bool LogToJournalIfThere();

}  // namespace ncc::service
