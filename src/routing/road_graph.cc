#include "routing/road_graph.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fstream>

namespace ncc::routing {
namespace {

constexpr char kMagic[8] = {'N', 'C', 'C', 'G', 'R', 'A', 'P', 'H'};
constexpr uint32_t kFixedHeaderBytes = 128;
// Guards the grid against absurd dimensions in a hostile file before we multiply.
constexpr uint32_t kMaxGridSide = 1u << 16;

// On-disk header, little-endian, exactly kFixedHeaderBytes long; the section table follows.
struct FileHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_bytes;  // fixed header + section table
  uint64_t payload_bytes;
  uint64_t header_checksum;  // over the fixed header (this field zero) and the section table
  uint32_t nodes, edges, up, down;
  uint32_t grid_nx, grid_ny;
  int32_t grid_lat0_e7, grid_lon0_e7, grid_cell_e7;
  uint32_t cell_edges;
  uint32_t sections;
  uint32_t reserved[13];
};
static_assert(sizeof(FileHeader) == kFixedHeaderBytes);

struct SectionEntry {
  uint64_t offset;  // from the start of the file, a multiple of 8
  uint64_t bytes;   // the array's own bytes (zero padding to 8 follows, not counted)
  uint64_t checksum;
};
static_assert(sizeof(SectionEntry) == 24);

enum CountKind { kNodes, kNodes1, kEdges, kUp, kDown, kCells1, kCellEdges, kBlocks };

struct Counts {
  uint64_t v[8];
};

#define NCC_X(T, name, count) +1
constexpr uint32_t kSections = 0 NCC_ROUTING_GRAPH_ARRAYS(NCC_X);
#undef NCC_X
constexpr uint32_t kHeaderBytes = kFixedHeaderBytes + kSections * sizeof(SectionEntry);

uint64_t BlocksOf(uint64_t nx, uint64_t ny) {
  return ((nx + kSnapBlock - 1) / kSnapBlock) * ((ny + kSnapBlock - 1) / kSnapBlock);
}

Counts CountsOf(const FileHeader& h) {
  uint64_t cells = uint64_t{h.grid_nx} * h.grid_ny;
  return {{h.nodes, uint64_t{h.nodes} + 1, h.edges, h.up, h.down, cells + 1, h.cell_edges,
           BlocksOf(h.grid_nx, h.grid_ny)}};
}

uint64_t Align8(uint64_t n) {
  return (n + 7) & ~uint64_t{7};
}

// Where each section must be and how long, from the counts alone.
std::vector<SectionEntry> Layout(const Counts& c) {
  std::vector<SectionEntry> out;
  uint64_t off = kHeaderBytes;
#define NCC_X(T, name, count)                      \
  out.push_back({off, c.v[count] * sizeof(T), 0}); \
  off += Align8(c.v[count] * sizeof(T));
  NCC_ROUTING_GRAPH_ARRAYS(NCC_X)
#undef NCC_X
  return out;
}

uint64_t Rotl(uint64_t x, int r) {
  return (x << r) | (x >> (64 - r));
}

const char* const kSectionNames[] = {
#define NCC_X(T, name, count) #name,
    NCC_ROUTING_GRAPH_ARRAYS(NCC_X)
#undef NCC_X
};

uint64_t HeaderChecksum(const char* data) {
  std::string image(data, kHeaderBytes);
  std::memset(image.data() + offsetof(FileHeader, header_checksum), 0, 8);
  return GraphChecksum(image.data(), image.size());
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
  // Four independent lanes so the multiplies overlap (~4x the speed of one chain).
  uint64_t h[4] = {0x9E3779B97F4A7C15ull ^ size, 0xC2B2AE3D27D4EB4Full, 0x165667B19E3779F9ull,
                   0x27D4EB2F165667C5ull};
  uint64_t i = 0;
  for (; i + 32 <= size; i += 32)
    for (int l = 0; l < 4; ++l) {
      uint64_t w;
      std::memcpy(&w, data + i + 8 * l, 8);
      h[l] = Rotl(h[l] ^ (w * 0xC2B2AE3D27D4EB4Full), 31) * 0x9E3779B97F4A7C15ull;
    }
  uint64_t x = h[0] ^ Rotl(h[1], 17) ^ Rotl(h[2], 31) ^ Rotl(h[3], 47);
  for (; i < size; ++i) x = (x ^ static_cast<unsigned char>(data[i])) * 0x100000001B3ull;
  return x ^ (x >> 29);
}

std::vector<uint8_t> SnapBlocks(const SnapGrid& grid, std::span<const uint32_t> cell_first) {
  const uint32_t bx = (grid.nx + kSnapBlock - 1) / kSnapBlock;
  std::vector<uint8_t> used(BlocksOf(grid.nx, grid.ny), 0);
  if (cell_first.size() != uint64_t{grid.nx} * grid.ny + 1) return used;
  for (uint32_t y = 0; y < grid.ny; ++y)
    for (uint32_t x = 0; x < grid.nx; ++x) {
      uint32_t c = y * grid.nx + x;
      if (cell_first[c + 1] > cell_first[c]) used[(y / kSnapBlock) * bx + x / kSnapBlock] = 1;
    }
  return used;
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
  h.sections = kSections;
  std::vector<SectionEntry> table = Layout(CountsOf(h));
  std::string out(kHeaderBytes, '\0');
  size_t k = 0;
#define NCC_X(T, name, count)                                                          \
  out.append(reinterpret_cast<const char*>(a.name.data()), a.name.size() * sizeof(T)); \
  table[k].checksum = GraphChecksum(out.data() + table[k].offset, table[k].bytes);     \
  out.resize(Align8(out.size()), '\0');                                                \
  ++k;
  NCC_ROUTING_GRAPH_ARRAYS(NCC_X)
#undef NCC_X
  h.payload_bytes = out.size() - kHeaderBytes;
  std::memcpy(out.data(), &h, sizeof h);
  std::memcpy(out.data() + kFixedHeaderBytes, table.data(), table.size() * sizeof(SectionEntry));
  h.header_checksum = HeaderChecksum(out.data());
  std::memcpy(out.data(), &h, sizeof h);
  return out;
}

void RoadGraph::Reseal(std::string& bytes) {
  if (bytes.size() < kHeaderBytes) return;
  FileHeader h;
  std::memcpy(&h, bytes.data(), sizeof h);
  if (h.sections != kSections) return;
  for (uint32_t k = 0; k < kSections; ++k) {
    SectionEntry e;
    char* at = bytes.data() + kFixedHeaderBytes + k * sizeof(SectionEntry);
    std::memcpy(&e, at, sizeof e);
    if (e.offset > bytes.size() || e.bytes > bytes.size() - e.offset) continue;
    e.checksum = GraphChecksum(bytes.data() + e.offset, e.bytes);
    std::memcpy(at, &e, sizeof e);
  }
  h.header_checksum = HeaderChecksum(bytes.data());
  std::memcpy(bytes.data(), &h, sizeof h);
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
  auto parsed = Parse(std::move(g));
  if (!parsed.ok()) return parsed.status();
  NCC_RETURN_IF_ERROR((*parsed)->Verify());
  return parsed;
}

// Header and section table only: no page of the payload is touched.
StatusOr<std::unique_ptr<RoadGraph>> RoadGraph::Parse(std::unique_ptr<RoadGraph> g) {
  if (g->size_ < kFixedHeaderBytes) return DataLoss("graph file truncated: no complete header");
  FileHeader h;
  std::memcpy(&h, g->data_, sizeof h);
  if (std::memcmp(h.magic, kMagic, 8) != 0) return DataLoss("not an ncc graph file (bad magic)");
  if (h.version != kGraphFormatVersion)
    return FailedPrecondition("graph file format version " + std::to_string(h.version) +
                              ", this build reads version " + std::to_string(kGraphFormatVersion) +
                              "; re-run import-osm");
  if (h.sections != kSections || h.header_bytes != kHeaderBytes)
    return DataLoss("graph file: bad header or section table size");
  if (g->size_ < kHeaderBytes) return DataLoss("graph file truncated: no complete section table");
  if (HeaderChecksum(g->data_) != h.header_checksum)
    return DataLoss("graph file header checksum mismatch: the file is corrupt");
  if (h.grid_nx > kMaxGridSide || h.grid_ny > kMaxGridSide || h.grid_cell_e7 <= 0)
    return DataLoss("graph file: bad snapping grid");
  std::vector<SectionEntry> expect = Layout(CountsOf(h));
  uint64_t end = kHeaderBytes;
  for (uint32_t k = 0; k < kSections; ++k) {
    SectionEntry e;
    std::memcpy(&e, g->data_ + kFixedHeaderBytes + k * sizeof e, sizeof e);
    if (e.offset != expect[k].offset || e.bytes != expect[k].bytes)
      return DataLoss(std::string("graph file: section ") + kSectionNames[k] +
                      " disagrees with the counts");
    end = e.offset + Align8(e.bytes);
  }
  if (h.payload_bytes != end - kHeaderBytes)
    return DataLoss("graph file: payload size disagrees with counts");
  if (g->size_ < end)
    return DataLoss("graph file truncated: " + std::to_string(g->size_) + " bytes, expected " +
                    std::to_string(end));
  if (g->size_ > end) return DataLoss("graph file has trailing bytes");
  size_t k = 0;
#define NCC_X(T, name, count)                                                           \
  g->name = std::span<const T>(reinterpret_cast<const T*>(g->data_ + expect[k].offset), \
                               expect[k].bytes / sizeof(T));                            \
  ++k;
  NCC_ROUTING_GRAPH_ARRAYS(NCC_X)
#undef NCC_X
  g->grid = {h.grid_lat0_e7, h.grid_lon0_e7, h.grid_cell_e7, h.grid_nx, h.grid_ny};
  return g;
}

Status RoadGraph::Verify() const {
  FileHeader h;
  std::memcpy(&h, data_, sizeof h);
  for (uint32_t k = 0; k < kSections; ++k) {
    SectionEntry e;
    std::memcpy(&e, data_ + kFixedHeaderBytes + k * sizeof e, sizeof e);
    if (GraphChecksum(data_ + e.offset, e.bytes) != e.checksum)
      return DataLoss(std::string("graph file checksum mismatch in section ") + kSectionNames[k] +
                      ": the file is corrupt");
  }
  return Validate();
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
      if (head[e] >= n || tail[e] != v || weight_ms[e] == 0)
        return DataLoss("graph file: bad edge");
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
  std::vector<uint8_t> blocks = SnapBlocks(grid, cell_first);
  if (!std::equal(blocks.begin(), blocks.end(), block_used.begin(), block_used.end()))
    return DataLoss("graph file: snapping blocks disagree with the grid");
  return Status::Ok();
}

}  // namespace ncc::routing
