// The routable road graph as stored on disk (docs/formats/graph.md) and queried in memory.
// Node ids equal contraction-hierarchy ranks: a higher id is a more important node. This makes
// the RPHAST sweep a walk over ids and keeps hot top-level nodes together in memory.
//
// A RoadGraph is immutable once loaded; any number of threads may read it at once.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/geo_point.h"
#include "core/status.h"

namespace ncc::routing {

inline constexpr uint32_t kNoNode = 0xFFFFFFFFu;
inline constexpr uint32_t kUnreachable = 0xFFFFFFFFu;  // a travel time in ms that means "none"
inline constexpr uint32_t kGraphFormatVersion = 2;
inline constexpr uint32_t kSnapBlock = 8;        // grid cells per side of a snapping block
inline constexpr double kFixedPointScale = 1e7;  // degrees * 1e7 fit in int32 (~1 cm)

// Every array of the file, in file order: X(element type, name, count kind).
#define NCC_ROUTING_GRAPH_ARRAYS(X)   \
  X(int32_t, lat_e7, kNodes)          \
  X(int32_t, lon_e7, kNodes)          \
  X(uint32_t, first_out, kNodes1)     \
  X(uint32_t, head, kEdges)           \
  X(uint32_t, tail, kEdges)           \
  X(uint32_t, weight_ms, kEdges)      \
  X(uint32_t, length_dm, kEdges)      \
  X(uint32_t, up_first, kNodes1)      \
  X(uint32_t, up_head, kUp)           \
  X(uint32_t, up_weight, kUp)         \
  X(uint32_t, up_length, kUp)         \
  X(uint32_t, up_mid, kUp)            \
  X(uint32_t, dn_first, kNodes1)      \
  X(uint32_t, dn_tail, kDown)         \
  X(uint32_t, dn_weight, kDown)       \
  X(uint32_t, dn_length, kDown)       \
  X(uint32_t, dn_mid, kDown)          \
  X(uint32_t, cell_first, kCells1)    \
  X(uint32_t, cell_edges, kCellEdges) \
  X(uint8_t, block_used, kBlocks)

// The uniform grid over base edges used for snapping: cell (x, y) covers longitudes
// [lon0 + x*cell, lon0 + (x+1)*cell) and the same for latitudes.
struct SnapGrid {
  int32_t lat0_e7 = 0, lon0_e7 = 0, cell_e7 = 1;
  uint32_t nx = 0, ny = 0;
};

// Owning form, produced by the importer and by the synthetic generator.
struct GraphArrays {
#define NCC_X(T, name, count) std::vector<T> name;
  NCC_ROUTING_GRAPH_ARRAYS(NCC_X)
#undef NCC_X
  SnapGrid grid;
};

class RoadGraph {
 public:
  // Maps a graph file read-only and checks what costs no page of the payload: magic, version,
  // the header checksum (over header and section table), every section's place and size, the
  // file size. Milliseconds for any size. The payload (section checksums and structure) is
  // checked by Verify(): run it before trusting a file from elsewhere (`ncc graph verify`);
  // RoutingService::Open runs it in the background (docs/formats/graph.md, "Validation").
  // Errors: NotFound (no file), DataLoss (truncated, corrupt header, trailing bytes),
  // FailedPrecondition (a format version this build does not read).
  static StatusOr<std::unique_ptr<RoadGraph>> Load(const std::string& path);
  // Load's checks plus Verify() over bytes held in memory (tests, fuzzing). Bytes are copied.
  static StatusOr<std::unique_ptr<RoadGraph>> FromBytes(std::string_view bytes);
  // Every section's checksum, then the structure (CSR offsets, indexes in range, ranks,
  // coordinates), so that no query can read out of bounds. Touches every page: ~0.1-0.3 s per
  // million nodes. Errors: DataLoss naming the section or the structural fault.
  Status Verify() const;
  // Recomputes the section and header checksums of a file image in place (fuzzing and tests
  // of the structural checks); leaves bytes it cannot parse alone.
  static void Reseal(std::string& bytes);
  // The file image of `arrays` (header + payload).
  static std::string Serialize(const GraphArrays& arrays);
  static Status Write(const GraphArrays& arrays, const std::string& path);

  ~RoadGraph();
  RoadGraph(const RoadGraph&) = delete;
  RoadGraph& operator=(const RoadGraph&) = delete;

  uint32_t node_count() const { return static_cast<uint32_t>(lat_e7.size()); }
  uint32_t edge_count() const { return static_cast<uint32_t>(head.size()); }
  LatLon Position(uint32_t node) const {
    return {lat_e7[node] / kFixedPointScale, lon_e7[node] / kFixedPointScale};
  }
  uint64_t file_bytes() const { return size_; }

#define NCC_X(T, name, count) std::span<const T> name;
  NCC_ROUTING_GRAPH_ARRAYS(NCC_X)
#undef NCC_X
  SnapGrid grid;

 private:
  RoadGraph() = default;
  static StatusOr<std::unique_ptr<RoadGraph>> Parse(std::unique_ptr<RoadGraph> g);
  Status Validate() const;

  const char* data_ = nullptr;
  uint64_t size_ = 0;
  bool mapped_ = false;
  std::vector<uint64_t> owned_;  // 8-byte aligned copy when built from bytes
};

// 1 for every kSnapBlock x kSnapBlock block of grid cells that holds an edge (the snapper skips
// empty blocks whole); stored in the file so that loading computes nothing.
std::vector<uint8_t> SnapBlocks(const SnapGrid& grid, std::span<const uint32_t> cell_first);

// Fast 64-bit checksum over a byte range (word-wise multiply/rotate mix); detects corruption,
// not tampering.
uint64_t GraphChecksum(const char* data, uint64_t size);

}  // namespace ncc::routing
