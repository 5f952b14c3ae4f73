#include "report/cli.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/json_writer.h"
#include "install/shipped.h"
#include "report/html.h"
#include "report/log_reader.h"
#include "routing/road_graph.h"

namespace ncc::report {
namespace {

struct Options {
  std::string data_dir, out = "report.html", from, to, graph, plans;
  std::string run_a, run_b, compare_out = "compare.html";
  uint64_t seed = 1;
  int resamples = 1000;
};

// Everything a report needs besides the log, loaded once.
struct Inputs {
  ReportOptions options;
  std::unique_ptr<dispatch::PlanSet> plans;
  std::unique_ptr<routing::RoadGraph> graph;
};

Status ParseWindowEnd(const std::string& text, const char* option, Time& out) {
  if (text.empty()) return Status::Ok();
  if (!ParseTime(text, out))
    return InvalidArgument(std::string(option) +
                               ": expected an ISO-8601 time with a zone, e.g. "
                               "2020-04-07T00:00:00Z, got '" +
                               text + "'",
                           option);
  return Status::Ok();
}

StatusOr<Inputs> LoadInputs(const Options& o) {
  Inputs in;
  ReportOptions& r = in.options;
  NCC_RETURN_IF_ERROR(ParseWindowEnd(o.from, "--from", r.window.from));
  NCC_RETURN_IF_ERROR(ParseWindowEnd(o.to, "--to", r.window.to));
  if (r.window.from.ms && r.window.to.ms && r.window.to <= r.window.from)
    return InvalidArgument("--to must be later than --from", "--to");
  if (o.resamples < 0 || o.resamples > 100'000)
    return InvalidArgument("--bootstrap must be 0..100000", "--bootstrap");
  r.bootstrap = {o.seed, o.resamples};
  std::string plans = o.plans.empty() ? install::FindShipped("config/plans") : o.plans;
  if (!plans.empty()) {
    auto set = dispatch::PlanSet::Load(plans);
    if (!set.ok())
      return Status(set.status().code(), "--plans " + set.status().message(), "--plans");
    in.plans = std::make_unique<dispatch::PlanSet>(std::move(*set));
    r.plans = in.plans.get();
    r.plans_source = plans;
  }
  if (!o.graph.empty()) {
    auto g = routing::RoadGraph::Load(o.graph);
    if (!g.ok())
      return Status(g.status().code(), "--graph " + o.graph + ": " + g.status().message(),
                    "--graph");
    in.graph = std::move(*g);
    r.graph = in.graph.get();
    r.graph_source = o.graph;
  }
  return in;
}

void ShowProgress(Seq reached, Seq last) {
  std::cerr << "\rncc report: read " << reached.value << " / " << last.value << " events"
            << std::flush;
}

StatusOr<Report> Load(const std::string& dir, const ReportOptions& options) {
  const bool tty = ::isatty(2);
  auto started = std::chrono::steady_clock::now();
  auto content = ReadDataFolder(dir, tty ? ShowProgress : nullptr);
  if (tty) std::cerr << "\r";
  if (!content.ok()) return content.status();
  auto run = LoadRunInfo(dir);
  if (!run.ok()) return run.status();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cerr << "ncc report: read " << content->events << " events (seq "
            << content->seqs.first.value << "-" << content->seqs.last.value << ") of " << dir
            << " in " << s << " s; computing figures (" << options.bootstrap.resamples
            << " bootstrap resamples)\n";
  auto shared = std::make_shared<const LogContent>(std::move(*content));
  return BuildReport(dir, std::move(shared), std::move(*run), options);
}

Status WriteFile(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return NotFound("cannot write " + tmp, "--out");
    out << text;
    if (!out.flush()) return Internal("writing " + tmp + " failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Internal("cannot rename " + tmp + " to " + path + ": " + ec.message());
  return Status::Ok();
}

int Fail(const char* command, const Status& s) {
  std::cerr << "ncc " << command << ": " << s.message() << "\n";
  return 2;
}

int RunReport(const Options& o) {
  auto inputs = LoadInputs(o);
  if (!inputs.ok()) return Fail("report", inputs.status());
  auto report = Load(o.data_dir, inputs->options);
  if (!report.ok()) return Fail("report", report.status());
  if (Status s = WriteFile(o.out, RenderReport(*report)); !s.ok()) return Fail("report", s);
  std::cout << SummaryJson(*report) << "\n";
  std::cerr << "ncc report: " << report->selection.incidents.size() << " incidents, wrote " << o.out
            << "\n";
  return 0;
}

int RunCompare(const Options& o) {
  auto inputs = LoadInputs(o);
  if (!inputs.ok()) return Fail("compare", inputs.status());
  auto a = Load(o.run_a, inputs->options);
  if (!a.ok()) return Fail("compare", a.status());
  auto b = Load(o.run_b, inputs->options);
  if (!b.ok()) return Fail("compare", b.status());
  auto diffs = CompareRuns(*a, *b, inputs->options.bootstrap);
  std::cout << CompareText(*a, *b, diffs);
  if (Status s = WriteFile(o.compare_out, RenderCompare(*a, *b, diffs)); !s.ok())
    return Fail("compare", s);
  std::cerr << "ncc compare: wrote " << o.compare_out << "\n";
  return 0;
}

void AddCommonOptions(CLI::App* cmd, Options& o) {
  cmd->add_option("--from", o.from, "Only incidents created at or after this time (ISO 8601)");
  cmd->add_option("--to", o.to, "Only incidents created before this time (ISO 8601)");
  cmd->add_option("--graph", o.graph, "Road graph (ncc import-osm) drawn under the heat map");
  cmd->add_option("--plans", o.plans,
                  "Response plans whose time targets the SLA section checks (default: the "
                  "repository's config/plans)");
  cmd->add_option("--seed", o.seed, "Seed of the bootstrap resampling")->capture_default_str();
  cmd->add_option("--bootstrap", o.resamples, "Bootstrap resamples per interval (0: none)")
      ->capture_default_str();
}

}  // namespace

void AddReportCommands(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  auto* report = app.add_subcommand(
      "report", "After-action and performance report of a data folder or simulator run (HTML)");
  report->add_option("--data", opts->data_dir, "Data folder or simulator run (RUN) to read")
      ->required();
  report->add_option("--out", opts->out, "HTML file to write")->capture_default_str();
  AddCommonOptions(report, *opts);
  report->callback([opts] {
    if (int rc = RunReport(*opts)) throw CLI::RuntimeError(rc);
  });

  auto* compare = app.add_subcommand(
      "compare", "Two runs side by side: their figures, differences and intervals (HTML + text)");
  compare->add_option("RUN_A", opts->run_a, "First data folder or run")->required();
  compare->add_option("RUN_B", opts->run_b, "Second data folder or run")->required();
  compare->add_option("--out", opts->compare_out, "HTML file to write")->capture_default_str();
  AddCommonOptions(compare, *opts);
  compare->callback([opts] {
    if (int rc = RunCompare(*opts)) throw CLI::RuntimeError(rc);
  });
}

}  // namespace ncc::report
