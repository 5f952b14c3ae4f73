#include "server/pdf_printer.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

extern char** environ;

namespace ncc {
namespace {

namespace fs = std::filesystem;

bool Executable(const std::string& path) {
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

// A private folder for one print (page, profile, PDF), removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "ncc-pdf-XXXXXX").string();
    if (::mkdtemp(pattern.data())) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Starts chromium in a process group of its own (so a timeout kills its helpers too), with the
// default signal mask and dispositions (the server blocks SIGTERM in every thread) and
// /dev/null for its standard streams. Returns the pid, or -1.
pid_t Spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t files;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&files);
  posix_spawnattr_init(&attr);
  for (int fd : {0, 1, 2})
    posix_spawn_file_actions_addopen(&files, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &files, &attr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  return pid;
}

}  // namespace

std::string PdfPrinter::Locate(const std::string& value) {
  if (value == "none") return "";
  if (!value.empty()) return Executable(value) ? value : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::vector<std::string> folders;
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty()) folders.push_back(dir);
  for (const char* name : {"chromium", "chromium-browser"})
    for (const std::string& dir : folders)
      if (std::string candidate = dir + "/" + name; Executable(candidate)) return candidate;
  return "";
}

PdfPrinter::PdfPrinter(Options options) : options_(std::move(options)) {}

PdfPrinter::~PdfPrinter() {
  stopping_ = true;
  std::lock_guard lock(mu_);
  for (auto& job : jobs_)
    if (pid_t pid = job->pid.load(); pid > 0) ::kill(-pid, SIGKILL);
  for (auto& job : jobs_)
    if (job->thread.joinable()) job->thread.join();
}

void PdfPrinter::ReapFinished() {
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (!(*it)->finished.load()) {
      ++it;
      continue;
    }
    if ((*it)->thread.joinable()) (*it)->thread.join();
    it = jobs_.erase(it);
  }
}

void PdfPrinter::Print(std::string html, Done done) {
  if (!available())
    return done(Unavailable(
        "no chromium on this server to print PDFs with (install Debian's chromium, or start with "
        "--chromium PATH); the .html page prints from a browser"));
  if (stopping_) return done(Unavailable("the server is stopping"));
  if (running_.fetch_add(1) >= options_.max_concurrent) {
    running_.fetch_sub(1);
    ++refused_busy_;
    return done(Unavailable(std::to_string(options_.max_concurrent) +
                            " PDFs are being printed: retry in a moment"));
  }
  std::lock_guard lock(mu_);
  ReapFinished();
  auto job = std::make_unique<Job>();
  Job& j = *job;
  j.thread = std::thread([this, &j, html = std::move(html), done = std::move(done)]() {
    StatusOr<std::string> pdf = Run(html, j);
    running_.fetch_sub(1);
    done(std::move(pdf));
    j.finished = true;
  });
  jobs_.push_back(std::move(job));
}

StatusOr<std::string> PdfPrinter::Run(const std::string& html, Job& job) {
  TempDir dir;
  if (dir.path().empty()) return Internal("no temporary folder for the PDF");
  const std::string page = dir.path() + "/page.html", pdf = dir.path() + "/page.pdf";
  {
    std::ofstream out(page, std::ios::binary);
    out << html;
    if (!out.flush()) return Internal("the page for the PDF could not be written");
  }
  pid_t pid = Spawn({options_.chromium, "--headless", "--no-sandbox", "--disable-gpu",
                     "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                     "--disable-background-networking", "--disable-sync", "--no-pdf-header-footer",
                     "--print-to-pdf=" + pdf, "file://" + page});
  if (pid <= 0) return Internal("chromium (" + options_.chromium + ") could not be started");
  job.pid = pid;
  if (stopping_) ::kill(-pid, SIGKILL);  // the destructor may have looked before pid was set
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(options_.timeout_seconds);
  int status = 0;
  bool timed_out = false;
  for (;;) {
    pid_t got = ::waitpid(pid, &status, WNOHANG);
    if (got == pid || (got < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      timed_out = true;
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ::kill(-pid, SIGKILL);  // helpers chromium left behind, if any
  job.pid = 0;
  if (stopping_) return Unavailable("the server is stopping");
  if (timed_out)
    return Unavailable("chromium took longer than " + std::to_string(options_.timeout_seconds) +
                       " s to print the PDF");
  std::ifstream in(pdf, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.rfind("%PDF-", 0) != 0)
    return Internal("chromium wrote no PDF (exit status " +
                    std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  return bytes;
}

}  // namespace ncc
