#include "service/journal_log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace ncc::service {
namespace {

class PriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view prefix = PriorityPrefix(msg.level);
    dest.append(prefix.data(), prefix.data() + prefix.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PriorityFlag>();
  }
};

}  // namespace

bool IsJournalStream(const char* journal_stream, int fd) {
  if (journal_stream == nullptr) return false;
  uintmax_t device = 0, inode = 0;
  char end = 0;
  if (std::sscanf(journal_stream, "%" SCNuMAX ":%" SCNuMAX "%c", &device, &inode, &end) != 2)
    return false;
  struct stat st {};
  if (fstat(fd, &st) != 0) return false;
  return static_cast<uintmax_t>(st.st_dev) == device && static_cast<uintmax_t>(st.st_ino) == inode;
}

std::string_view PriorityPrefix(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical:
      return "<2>";
    case spdlog::level::err:
      return "<3>";
    case spdlog::level::warn:
      return "<4>";
    case spdlog::level::info:
      return "<6>";
    default:
      return "<7>";  // debug, trace
  }
}

std::unique_ptr<spdlog::formatter> JournalFormatter(const char* pattern) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<PriorityFlag>('*').set_pattern(pattern);
  return formatter;
}

bool LogToJournalIfThere() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  spdlog::sink_ptr sink;
  if (IsJournalStream(stream, 2))
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  else if (IsJournalStream(stream, 1))
    sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  else
    return false;
  sink->set_formatter(JournalFormatter());
  auto logger = std::make_shared<spdlog::logger>("ncc", std::move(sink));
  logger->set_level(spdlog::default_logger()->level());
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
  return true;
}

}  // namespace ncc::service
