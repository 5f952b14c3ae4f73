#include "routing/road_graph.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace ncc::routing {
namespace {

constexpr char kMagic[8] = {'N', 'C', 'C', 'G', 'R', 'A', 'P', 'H'};
constexpr uint32_t kHeaderBytes = 128;
// Guards the grid against absurd dimensions in a hostile file before we multiply.
constexpr uint32_t kMaxGridSide = 1u << 16;

// On-disk header, little-endian, exactly kHeaderBytes long.
struct FileHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_bytes;
  uint64_t payload_bytes;
  uint64_t checksum;
  uint32_t nodes, edges, up, down;
  uint32_t grid_nx, grid_ny;
  int32_t grid_lat0_e7, grid_lon0_e7, grid_cell_e7;
  uint32_t cell_edges;
  uint32_t reserved[14];
};
static_assert(sizeof(FileHeader) == kHeaderBytes);

enum CountKind { kNodes, kNodes1, kEdges, kUp, kDown, kCells1, kCellEdges };

struct Counts {
  uint64_t v[7];
};

Counts CountsOf(const FileHeader& h) {
  uint64_t cells = uint64_t{h.grid_nx} * h.grid_ny;
  return {{h.nodes, uint64_t{h.nodes} + 1, h.edges, h.up, h.down, cells + 1, h.cell_edges}};
}

uint64_t Align8(uint64_t n) {
  return (n + 7) & ~uint64_t{7};
}

uint64_t PayloadBytes(const Counts& c) {
  uint64_t total = 0;
#define NCC_X(T, name, count) total += Align8(c.v[count] * sizeof(T));
  NCC_ROUTING_GRAPH_ARRAYS(NCC_X)
#undef NCC_X
  return total;
}

uint64_t Rotl(uint64_t x, int r) {
  return (x << r) | (x >> (64 - r));
}

template <typename T>
Status CheckCsr(std::span<const T> first, uint64_t items, const char* what) {
  if (first.empty() || first[0] != 0 || first.back() != items)
    return DataLoss(std::string("graph file: bad offsets in ") + what);
  for (size_t i = 1; i < first.size(); ++i)
    if (first[i] < first[i - 1])
      return DataLoss(std::string("graph file: offsets decrease in ") + what);
  return Status::Ok();
}

}  // namespace

uint64_t GraphChecksum(const char* data, uint64_t size) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ size;
  uint64_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    h = Rotl(h ^ (w * 0xC2B2AE3D27D4EB4Full), 31) * 0x9E3779B97F4A7C15ull;
  }
  for (; i < size; ++i) h = (h ^ static_cast<unsigned char>(data[i])) * 0x100000001B3ull;
  return h ^ (h >> 29);
}

RoadGraph::~RoadGraph() {
  if (mapped_ && data_) munmap(const_cast<char*>(data_), size_);
}

std::string RoadGraph::Serialize(const GraphArrays& a) {
  FileHeader h{};
  std::memcpy(h.magic, kMagic, 8);
  h.version = kGraphFormatVersion;
  h.header_bytes = kHeaderBytes;
  h.nodes = static_cast<uint32_t>(a.lat_e7.size());
  h.edges = static_cast<uint32_t>(a.head.size());
  h.up = static_cast<uint32_t>(a.up_head.size());
  h.down = static_cast<uint32_t>(a.dn_tail.size());
  h.grid_nx = a.grid.nx;
  h.grid_ny = a.grid.ny;
  h.grid_lat0_e7 = a.grid.lat0_e7;
  h.grid_lon0_e7 = a.grid.lon0_e7;
  h.grid_cell_e7 = a.grid.cell_e7;
  h.cell_edges = static_cast<uint32_t>(a.cell_edges.size());
  std::string payload;
  payload.reserve(PayloadBytes(CountsOf(h)));
#define NCC_X(T, name, count)                                                              \
  payload.append(reinterpret_cast<const char*>(a.name.data()), a.name.size() * sizeof(T)); \
  payload.resize(Align8(payload.size()), '\0');
  NCC_ROUTING_GRAPH_ARRAYS(NCC_X)
#undef NCC_X
  h.payload_bytes = payload.size();
  h.checksum = GraphChecksum(payload.data(), payload.size());
  std::string out(reinterpret_cast<const char*>(&h), sizeof h);
  return out + payload;
}

Status RoadGraph::Write(const GraphArrays& arrays, const std::string& path) {
  std::string bytes = Serialize(arrays);
  // Write beside and rename, so a reader never maps a half-written graph.
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return InvalidArgument("cannot create graph file " + tmp, "out");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) return Internal("write failed for " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return Internal("cannot rename " + tmp + ": " + std::strerror(errno));
  return Status::Ok();
}

StatusOr<std::unique_ptr<RoadGraph>> RoadGraph::Load(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NotFound("cannot open graph file " + path + ": " + std::strerror(errno), "graph");
  struct stat st {};
  if (fstat(fd, &st) != 0 || st.st_size <= 0) {
    ::close(fd);
    return DataLoss("graph file " + path + " is empty or unreadable");
  }
  void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return Internal("mmap failed for " + path + ": " + std::strerror(errno));
  std::unique_ptr<RoadGraph> g(new RoadGraph());
  g->data_ = static_cast<const char*>(p);
  g->size_ = static_cast<uint64_t>(st.st_size);
  g->mapped_ = true;
  return Parse(std::move(g));
}

StatusOr<std::unique_ptr<RoadGraph>> RoadGraph::FromBytes(std::string_view bytes) {
  std::unique_ptr<RoadGraph> g(new RoadGraph());
  g->owned_.resize((bytes.size() + 7) / 8);
  if (!bytes.empty()) std::memcpy(g->owned_.data(), bytes.data(), bytes.size());
  g->data_ = reinterpret_cast<const char*>(g->owned_.data());
  g->size_ = bytes.size();
  return Parse(std::move(g));
}

StatusOr<std::unique_ptr<RoadGraph>> RoadGraph::Parse(std::unique_ptr<RoadGraph> g) {
  if (g->size_ < kHeaderBytes) return DataLoss("graph file truncated: no complete header");
  FileHeader h;
  std::memcpy(&h, g->data_, sizeof h);
  if (std::memcmp(h.magic, kMagic, 8) != 0) return DataLoss("not an ncc graph file (bad magic)");
  if (h.version != kGraphFormatVersion)
    return FailedPrecondition("graph file format version " + std::to_string(h.version) +
                              ", this build reads version " + std::to_string(kGraphFormatVersion) +
                              "; re-run import-osm");
  if (h.header_bytes != kHeaderBytes) return DataLoss("graph file: bad header size");
  if (h.grid_nx > kMaxGridSide || h.grid_ny > kMaxGridSide || h.grid_cell_e7 <= 0)
    return DataLoss("graph file: bad snapping grid");
  Counts c = CountsOf(h);
  uint64_t expect = PayloadBytes(c);
  if (h.payload_bytes != expect) return DataLoss("graph file: payload size disagrees with counts");
  if (g->size_ - kHeaderBytes < expect)
    return DataLoss("graph file truncated: " + std::to_string(g->size_) + " bytes, expected " +
                    std::to_string(kHeaderBytes + expect));
  if (g->size_ - kHeaderBytes > expect) return DataLoss("graph file has trailing bytes");
  const char* payload = g->data_ + kHeaderBytes;
  if (GraphChecksum(payload, expect) != h.checksum)
    return DataLoss("graph file checksum mismatch: the file is corrupt");
  uint64_t off = 0;
#define NCC_X(T, name, count)                                                          \
  g->name = std::span<const T>(reinterpret_cast<const T*>(payload + off), c.v[count]); \
  off += Align8(c.v[count] * sizeof(T));
  NCC_ROUTING_GRAPH_ARRAYS(NCC_X)
#undef NCC_X
  g->grid = {h.grid_lat0_e7, h.grid_lon0_e7, h.grid_cell_e7, h.grid_nx, h.grid_ny};
  NCC_RETURN_IF_ERROR(g->Validate());
  return g;
}

// Structural checks so that no query can index out of bounds or loop on a hostile file.
Status RoadGraph::Validate() const {
  const uint32_t n = node_count();
  NCC_RETURN_IF_ERROR(CheckCsr(first_out, head.size(), "edges"));
  NCC_RETURN_IF_ERROR(CheckCsr(up_first, up_head.size(), "upward edges"));
  NCC_RETURN_IF_ERROR(CheckCsr(dn_first, dn_tail.size(), "downward edges"));
  NCC_RETURN_IF_ERROR(CheckCsr(cell_first, cell_edges.size(), "grid cells"));
  for (uint32_t v = 0; v < n; ++v) {
    if (lat_e7[v] < -900000000 || lat_e7[v] > 900000000 || lon_e7[v] < -1800000000 ||
        lon_e7[v] > 1800000000)
      return DataLoss("graph file: node coordinate out of range");
    for (uint32_t e = first_out[v]; e < first_out[v + 1]; ++e)
      if (head[e] >= n || weight_ms[e] == 0) return DataLoss("graph file: bad edge");
    // Shortcut middles rank below both ends: unpacking always terminates.
    for (uint32_t e = up_first[v]; e < up_first[v + 1]; ++e)
      if (up_head[e] >= n || up_head[e] <= v || (up_mid[e] != kNoNode && up_mid[e] >= v) ||
          up_weight[e] == 0)
        return DataLoss("graph file: bad upward edge");
    for (uint32_t e = dn_first[v]; e < dn_first[v + 1]; ++e)
      if (dn_tail[e] >= n || dn_tail[e] <= v || (dn_mid[e] != kNoNode && dn_mid[e] >= v) ||
          dn_weight[e] == 0)
        return DataLoss("graph file: bad downward edge");
  }
  for (uint32_t e : cell_edges)
    if (e >= head.size()) return DataLoss("graph file: bad grid entry");
  return Status::Ok();
}

}  // namespace ncc::routing
