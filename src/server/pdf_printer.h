// PDF pages printed by the server (docs/plans.md "Views"): the same self-contained HTML the
// .html routes serve, printed by Debian's headless chromium (`--print-to-pdf` of a temporary
// file), so a partner gets the synchronization matrix, the ICS forms and a situation report as
// a PDF without a browser of its own.
//
// Bounded: at most `max_concurrent` prints at once (more are refused, Unavailable, at once),
// each killed with its whole process group after `timeout_seconds`. Chromium runs with a
// throwaway profile, no sandbox (the page is ours: no script, nothing fetched, every text
// escaped), and its output discarded.
//
// Owned by the Api (one per server). Print may be called from any thread; `done` is called
// exactly once, from a thread of the printer's own. The destructor kills running prints (their
// `done` gets Unavailable) and waits for their threads.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.h"

namespace ncc {

class PdfPrinter {
 public:
  struct Options {
    std::string chromium;  // the binary; empty: none (every print is Unavailable)
    int max_concurrent = 2;
    int timeout_seconds = 30;
  };
  using Done = std::function<void(StatusOr<std::string> pdf)>;

  // The chromium to use for `--chromium VALUE`: "none" turns printing off (""), a path is
  // taken as given when it is an executable file, "" looks for chromium, then
  // chromium-browser, on $PATH. "" when nothing is found.
  static std::string Locate(const std::string& value);

  explicit PdfPrinter(Options options);
  ~PdfPrinter();
  PdfPrinter(const PdfPrinter&) = delete;
  PdfPrinter& operator=(const PdfPrinter&) = delete;

  bool available() const { return !options_.chromium.empty(); }
  const std::string& chromium() const { return options_.chromium; }

  // Prints `html` (a whole page, UTF-8) and calls `done` with the PDF's bytes, or:
  // Unavailable when there is no chromium, when max_concurrent prints are running, when the
  // print took longer than the timeout or the printer is stopping; Internal when chromium
  // failed or wrote no PDF (its exit status named), or a temporary file could not be made.
  void Print(std::string html, Done done);

  // Prints under way, and prints refused as busy since start (for /metrics).
  int running() const { return running_.load(); }
  uint64_t refused_busy() const { return refused_busy_.load(); }

 private:
  struct Job {
    std::thread thread;
    std::atomic<pid_t> pid{0};  // the chromium of this job (its process group), 0 when none
    std::atomic<bool> finished{false};
  };
  StatusOr<std::string> Run(const std::string& html, Job& job);
  void ReapFinished();  // joins the threads of finished jobs (mu_ held)

  const Options options_;
  std::atomic<int> running_{0};
  std::atomic<uint64_t> refused_busy_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::list<std::unique_ptr<Job>> jobs_;  // guarded by mu_
};

}  // namespace ncc
