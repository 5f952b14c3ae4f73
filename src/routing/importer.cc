#include "routing/importer.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "routing/graph_builder.h"
#include "routing/osm_reader.h"
#include "routing/turn_expansion.h"

namespace ncc::routing {
namespace {

using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

void Draw(bool on, const char* phase, uint64_t done, uint64_t total) {
  if (!on || total == 0) return;
  std::fprintf(stderr, "\r%-12s %3d%%", phase, static_cast<int>(100.0 * done / total));
  if (done >= total) std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace

uint64_t PeakRssKb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<uint64_t>(ru.ru_maxrss);  // Linux reports KiB
}

std::string ImportSummary::ToString() const {
  std::ostringstream s;
  s << "read " << osm_ways << " drivable ways, " << osm_points << " road nodes, " << segments
    << " segments in " << read_seconds << " s\n"
    << "turn restrictions: " << restrictions << " applied (" << split_nodes << " junctions split), "
    << restrictions_skipped << " skipped (via-way or outside)\n"
    << "dropped " << components_dropped << " components not strongly connected to the main "
    << "network (" << nodes_dropped << " nodes)\n"
    << "graph: " << nodes << " nodes, " << edges << " edges; hierarchy " << up_edges << " up + "
    << down_edges << " down edges, contracted in " << contract_seconds << " s ("
    << contract_cpu_seconds << " s CPU)\n"
    << "total " << total_seconds << " s, peak RSS " << peak_rss_kb / 1024 << " MiB";
  if (file_bytes) s << ", file " << file_bytes << " bytes";
  return s.str();
}

StatusOr<ImportedGraph> BuildFromOsm(const std::string& input, const ImportOptions& options) {
  const bool tty = options.show_progress && isatty(STDERR_FILENO);
  auto t0 = Clock::now();
  auto net = ReadOsm(input, [&](uint64_t d, uint64_t t) { Draw(tty, "reading", d, t); });
  if (!net.ok()) return net.status();
  ImportedGraph out;
  ImportSummary& sum = out.summary;
  sum.read_seconds = Since(t0);
  sum.osm_ways = static_cast<uint32_t>(net->osm_way.size());
  sum.osm_points = static_cast<uint32_t>(net->lat_e7.size());
  sum.segments = static_cast<uint32_t>(net->segments.size());
  sum.restrictions = static_cast<uint32_t>(net->restrictions.size());
  sum.restrictions_skipped = net->restrictions_skipped;
  ExpandedNetwork expanded = ExpandTurns(*net);
  sum.split_nodes = expanded.split_nodes;
  ComponentReport report;
  std::vector<uint32_t> kept = KeepLargestComponent(expanded.graph, &report);
  sum.components_dropped = report.components_dropped;
  sum.nodes_dropped = report.nodes_dropped;
  ContractionOptions copt;
  copt.witness_settle_limit = options.witness_settle_limit;
  copt.progress = [&](uint32_t d, uint32_t t) { Draw(tty, "contracting", d, t); };
  BuiltGraph built = BuildGraph(expanded.graph, copt);
  sum.contract_seconds = built.contraction_seconds;
  sum.contract_cpu_seconds = built.contraction_cpu_seconds;
  out.osm_node.assign(built.arrays.lat_e7.size(), 0);
  for (uint32_t v = 0; v < kept.size(); ++v)
    if (kept[v] != kNoNode) out.osm_node[built.new_id[kept[v]]] = expanded.osm_node[v];
  out.arrays = std::move(built.arrays);
  sum.nodes = static_cast<uint32_t>(out.arrays.lat_e7.size());
  sum.edges = static_cast<uint32_t>(out.arrays.head.size());
  sum.up_edges = static_cast<uint32_t>(out.arrays.up_head.size());
  sum.down_edges = static_cast<uint32_t>(out.arrays.dn_tail.size());
  sum.total_seconds = Since(t0);
  sum.peak_rss_kb = PeakRssKb();
  return out;
}

StatusOr<ImportSummary> ImportOsmToFile(const std::string& input, const std::string& output,
                                        const ImportOptions& options) {
  auto t0 = Clock::now();
  auto built = BuildFromOsm(input, options);
  if (!built.ok()) return built.status();
  NCC_RETURN_IF_ERROR(RoadGraph::Write(built->arrays, output));
  ImportSummary sum = built->summary;
  sum.total_seconds = Since(t0);
  sum.peak_rss_kb = PeakRssKb();
  std::error_code ec;
  sum.file_bytes = std::filesystem::file_size(output, ec);
  return sum;
}

}  // namespace ncc::routing
