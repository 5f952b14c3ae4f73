#include "routing/graph_builder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>

namespace ncc::routing {
namespace {

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// CSR over (key, value) pairs: first[key]..first[key+1] index into the values.
template <typename Item, typename KeyFn>
void BuildCsr(uint32_t keys, std::vector<Item>& items, KeyFn key, std::vector<uint32_t>& first) {
  std::stable_sort(items.begin(), items.end(),
                   [&](const Item& a, const Item& b) { return key(a) < key(b); });
  first.assign(keys + 1, 0);
  for (const Item& it : items) ++first[key(it) + 1];
  for (uint32_t k = 0; k < keys; ++k) first[k + 1] += first[k];
}

// A fine uniform grid keeps a snap to a handful of distance computations.
void BuildGrid(GraphArrays& a) {
  const uint32_t n = static_cast<uint32_t>(a.lat_e7.size());
  if (n == 0) {
    a.grid = {0, 0, 1, 1, 1};
    a.cell_first.assign(2, 0);
    a.block_used = SnapBlocks(a.grid, a.cell_first);
    return;
  }
  auto [lat_min, lat_max] = std::minmax_element(a.lat_e7.begin(), a.lat_e7.end());
  auto [lon_min, lon_max] = std::minmax_element(a.lon_e7.begin(), a.lon_e7.end());
  double h = double(*lat_max) - *lat_min + 1, w = double(*lon_max) - *lon_min + 1;
  // Extracts are mostly empty (sea, mountains, beyond the border), so aim for more cells than
  // edges: occupied cells then hold only a few. Capped at 4M cells (16 MB of offsets).
  double cells_wanted = std::clamp(a.head.size() * 2.0, 1.0, double(1 << 22));
  double cell = std::max(std::sqrt(h * w / cells_wanted), 1000.0);  // >= ~11 m
  cell = std::max(cell, std::max(h, w) / 4096.0);
  SnapGrid g;
  g.lat0_e7 = *lat_min;
  g.lon0_e7 = *lon_min;
  g.cell_e7 = static_cast<int32_t>(std::ceil(cell));
  g.nx = static_cast<uint32_t>(w / g.cell_e7) + 1;
  g.ny = static_cast<uint32_t>(h / g.cell_e7) + 1;
  a.grid = g;
  struct Entry {
    uint32_t cell, edge;
  };
  std::vector<Entry> entries;
  for (uint32_t v = 0; v < n; ++v)
    for (uint32_t e = a.first_out[v]; e < a.first_out[v + 1]; ++e) {
      uint32_t u = a.head[e];
      auto cx = [&](int32_t lon) { return uint32_t((int64_t(lon) - g.lon0_e7) / g.cell_e7); };
      auto cy = [&](int32_t lat) { return uint32_t((int64_t(lat) - g.lat0_e7) / g.cell_e7); };
      uint32_t x0 = cx(a.lon_e7[v]), x1 = cx(a.lon_e7[u]), y0 = cy(a.lat_e7[v]),
               y1 = cy(a.lat_e7[u]);
      if (x0 > x1) std::swap(x0, x1);
      if (y0 > y1) std::swap(y0, y1);
      // The bounding box of the segment: a few cells too many on diagonals, never too few.
      for (uint32_t y = y0; y <= y1; ++y)
        for (uint32_t x = x0; x <= x1; ++x) entries.push_back({y * g.nx + x, e});
    }
  BuildCsr(
      g.nx * g.ny, entries, [](const Entry& en) { return en.cell; }, a.cell_first);
  a.cell_edges.resize(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) a.cell_edges[i] = entries[i].edge;
  a.block_used = SnapBlocks(a.grid, a.cell_first);
}

}  // namespace

BuiltGraph BuildGraph(const DirectedGraph& graph, const ContractionOptions& options) {
  const uint32_t n = graph.node_count();
  BuiltGraph out;
  auto t0 = std::chrono::steady_clock::now();
  double cpu0 = ThreadCpuSeconds();
  Hierarchy h = Contract(n, graph.edges, options);
  out.contraction_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.contraction_cpu_seconds = ThreadCpuSeconds() - cpu0;
  out.new_id = h.rank;
  const std::vector<uint32_t>& id = out.new_id;
  auto map_mid = [&](uint32_t m) { return m == kNoNode ? kNoNode : id[m]; };
  GraphArrays& a = out.arrays;
  a.lat_e7.resize(n);
  a.lon_e7.resize(n);
  for (uint32_t v = 0; v < n; ++v) {
    a.lat_e7[id[v]] = graph.lat_e7[v];
    a.lon_e7[id[v]] = graph.lon_e7[v];
  }
  std::vector<DirectedEdge> base;
  base.reserve(graph.edges.size());
  for (const DirectedEdge& e : graph.edges)
    base.push_back({id[e.tail], id[e.head], std::max(1u, e.weight_ms), e.length_dm});
  BuildCsr(
      n, base, [](const DirectedEdge& e) { return e.tail; }, a.first_out);
  for (const DirectedEdge& e : base) {
    a.tail.push_back(e.tail);
    a.head.push_back(e.head);
    a.weight_ms.push_back(e.weight_ms);
    a.length_dm.push_back(e.length_dm);
  }
  for (ChEdge& e : h.up) e = {id[e.low], id[e.high], e.weight_ms, e.length_dm, map_mid(e.mid)};
  for (ChEdge& e : h.down) e = {id[e.low], id[e.high], e.weight_ms, e.length_dm, map_mid(e.mid)};
  auto by_low = [](const ChEdge& e) { return e.low; };
  BuildCsr(n, h.up, by_low, a.up_first);
  for (const ChEdge& e : h.up) {
    a.up_head.push_back(e.high);
    a.up_weight.push_back(e.weight_ms);
    a.up_length.push_back(e.length_dm);
    a.up_mid.push_back(e.mid);
  }
  BuildCsr(n, h.down, by_low, a.dn_first);
  for (const ChEdge& e : h.down) {
    a.dn_tail.push_back(e.high);
    a.dn_weight.push_back(e.weight_ms);
    a.dn_length.push_back(e.length_dm);
    a.dn_mid.push_back(e.mid);
  }
  BuildGrid(a);
  return out;
}

std::vector<uint32_t> KeepLargestComponent(DirectedGraph& graph, ComponentReport* report) {
  const uint32_t n = graph.node_count();
  std::vector<DirectedEdge> sorted = graph.edges;
  std::vector<uint32_t> first;
  BuildCsr(
      n, sorted, [](const DirectedEdge& e) { return e.tail; }, first);
  // Iterative Tarjan: index, lowlink, explicit call stack of (node, next edge).
  std::vector<uint32_t> index(n, kNoNode), low(n, 0), comp(n, kNoNode), stack;
  std::vector<uint8_t> on_stack(n, 0);
  std::vector<std::pair<uint32_t, uint32_t>> calls;
  uint32_t next_index = 0, comps = 0;
  std::vector<uint32_t> comp_size;
  for (uint32_t root = 0; root < n; ++root) {
    if (index[root] != kNoNode) continue;
    calls.push_back({root, first[root]});
    index[root] = low[root] = next_index++;
    stack.push_back(root);
    on_stack[root] = 1;
    while (!calls.empty()) {
      auto& [v, e] = calls.back();
      if (e < first[v + 1]) {
        uint32_t w = sorted[e++].head;
        if (index[w] == kNoNode) {
          index[w] = low[w] = next_index++;
          stack.push_back(w);
          on_stack[w] = 1;
          calls.push_back({w, first[w]});
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      uint32_t done = v;
      calls.pop_back();
      if (!calls.empty()) low[calls.back().first] = std::min(low[calls.back().first], low[done]);
      if (low[done] == index[done]) {
        uint32_t size = 0, w;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[w] = 0;
          comp[w] = comps;
          ++size;
        } while (w != done);
        comp_size.push_back(size);
        ++comps;
      }
    }
  }
  uint32_t best = 0;
  for (uint32_t c = 0; c < comps; ++c)
    if (comp_size[c] > comp_size[best]) best = c;
  std::vector<uint32_t> remap(n, kNoNode);
  DirectedGraph kept;
  for (uint32_t v = 0; v < n; ++v)
    if (comp[v] == best) {
      remap[v] = kept.node_count();
      kept.lat_e7.push_back(graph.lat_e7[v]);
      kept.lon_e7.push_back(graph.lon_e7[v]);
    }
  for (const DirectedEdge& e : graph.edges)
    if (remap[e.tail] != kNoNode && remap[e.head] != kNoNode)
      kept.edges.push_back({remap[e.tail], remap[e.head], e.weight_ms, e.length_dm});
  if (report) {
    report->components_dropped = comps == 0 ? 0 : comps - 1;
    report->nodes_dropped = n - kept.node_count();
  }
  graph = std::move(kept);
  return remap;
}

}  // namespace ncc::routing
