// Damaged track files: one bad block costs that block only (issue 17, finding 4), the history of
// its unit continues across the gap, a torn tail is cut, and version-1 files are migrated.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "core/temp_dir_for_tests.h"
#include "track/track_store.h"

namespace ncc::track {
namespace {

namespace fs = std::filesystem;

constexpr int kUnits = 20, kBatches = 30, kPerBlock = 3;
constexpr int64_t kT0 = 1'700'000'000'000;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Every valid block of a file image, in file order.
std::vector<std::pair<uint64_t, BlockHeader>> Blocks(const std::string& bytes) {
  std::vector<std::pair<uint64_t, BlockHeader>> out;
  ScanTrack(
      [&](uint64_t off, size_t n, char* dst) -> size_t {
        size_t take = off >= bytes.size() ? 0 : std::min<size_t>(n, bytes.size() - off);
        std::memcpy(dst, bytes.data() + off, take);
        return take;
      },
      bytes.size(),
      [&](uint64_t off, const BlockHeader& h) {
        out.push_back({off, h});
        return Status::Ok();
      });
  return out;
}

PositionFix FixOf(int unit, int i) {
  return PositionFix{UnitId{static_cast<uint64_t>(unit)},
                     LatLon{25.0 + unit * 1e-3 + i * 1e-5, 51.5 + i * 2e-5}, Time{kT0 + i * 1000},
                     10.0, 90.0};
}

class TrackDamageTest : public ::testing::Test {
 protected:
  // kBatches batches; each holds kPerBlock fixes of every unit, so one block per unit per batch.
  void WriteStore() {
    auto store = TrackStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (int b = 0; b < kBatches; ++b) {
      std::vector<PositionFix> batch;
      for (int u = 1; u <= kUnits; ++u)
        for (int k = 0; k < kPerBlock; ++k) batch.push_back(FixOf(u, b * kPerBlock + k));
      ASSERT_TRUE((*store)->Append(batch).ok());
    }
    ASSERT_TRUE((*store)->Sync().ok());
  }

  // Opens the file and checks that exactly the fixes of `lost` blocks are gone: every other fix
  // of every unit reads back, in order, across the gaps.
  void ExpectOnlyLost(const std::vector<BlockHeader>& lost) {
    auto store = TrackStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    const OpenReport& rep = (*store)->open_report();
    uint64_t lost_fixes = 0;
    std::map<uint64_t, std::set<int64_t>> gone;  // unit -> times of lost fixes
    for (const BlockHeader& h : lost) {
      lost_fixes += h.count;
      for (int64_t t = h.t_first; t <= h.t_last; t += 1000) gone[h.unit.value].insert(t);
    }
    constexpr uint64_t kTotal = kUnits * kBatches * kPerBlock;
    EXPECT_EQ(rep.fixes, kTotal - lost_fixes) << rep.problem;
    EXPECT_EQ(rep.lost_fixes, lost_fixes) << rep.problem;
    EXPECT_EQ(rep.blocks, kUnits * kBatches - lost.size());
    EXPECT_EQ(rep.dropped_bytes, 0u);
    EXPECT_FALSE(rep.problem.empty());
    for (int u = 1; u <= kUnits; ++u) {
      auto all = (*store)->Query(UnitId{static_cast<uint64_t>(u)}, Time{0}, Time{INT64_MAX});
      ASSERT_TRUE(all.ok()) << "unit " << u << ": " << all.status().ToString();
      std::vector<int64_t> want;
      for (int i = 0; i < kBatches * kPerBlock; ++i)
        if (!gone[u].count(kT0 + i * 1000)) want.push_back(kT0 + i * 1000);
      std::vector<int64_t> got;
      for (const TrackFix& f : *all) got.push_back(f.time.ms);
      EXPECT_EQ(got, want) << "unit " << u;
      // A window that ends after the gap and starts before it.
      auto window =
          (*store)->Query(UnitId{static_cast<uint64_t>(u)}, Time{kT0 + 10'000}, Time{kT0 + 80'000});
      ASSERT_TRUE(window.ok());
      size_t in_window = std::count_if(want.begin(), want.end(), [](int64_t t) {
        return t >= kT0 + 10'000 && t <= kT0 + 80'000;
      });
      EXPECT_EQ(window->size(), in_window) << "unit " << u;
    }
  }

  ncc::testing::TempDir dir_;
  const std::string path_ = dir_.File("tracks.ncctrk");
};

// Where in the middle block the byte is flipped.
enum class Site { kMagic, kLength, kUnit, kFirstFix, kHeaderCrc, kPayload, kLastByte };

class OneBadBlock : public TrackDamageTest, public ::testing::WithParamInterface<Site> {};

TEST_P(OneBadBlock, CostsThatBlockOnly) {
  WriteStore();
  std::string bytes = ReadFile(path_);
  auto blocks = Blocks(bytes);
  ASSERT_EQ(blocks.size(), size_t{kUnits * kBatches});
  const auto& [off, h] = blocks[blocks.size() / 2];
  uint64_t at = off;
  switch (GetParam()) {
    case Site::kMagic:
      at = off;
      break;
    case Site::kLength:
      at = off + 1;
      break;  // payload_len, the first varint
    case Site::kUnit:
      at = off + 2;
      break;  // unit
    case Site::kFirstFix:
      at = off + 4;
      break;  // first_fix
    case Site::kHeaderCrc:
      at = off + h.header_len - 1;
      break;
    case Site::kPayload:
      at = off + h.header_len + 3;
      break;
    case Site::kLastByte:
      at = off + h.size() - 1;
      break;
  }
  bytes[at] = static_cast<char>(bytes[at] ^ 0x04);
  WriteFile(path_, bytes);
  ExpectOnlyLost({h});
  auto store = TrackStore::Open(path_);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->open_report().lost_blocks, 1u);
  EXPECT_EQ((*store)->open_report().lost_bytes, h.size());
  EXPECT_EQ((*store)->open_report().valid_bytes, bytes.size());  // nothing cut
}

INSTANTIATE_TEST_SUITE_P(Sites, OneBadBlock,
                         ::testing::Values(Site::kMagic, Site::kLength, Site::kUnit,
                                           Site::kFirstFix, Site::kHeaderCrc, Site::kPayload,
                                           Site::kLastByte));

TEST_F(TrackDamageTest, ALengthThatPointsFarAwayCostsOneBlock) {
  // The length field rewritten to a plausible but wrong value (as if by a stray write): the
  // header checksum catches it before the length is used.
  WriteStore();
  std::string bytes = ReadFile(path_);
  auto blocks = Blocks(bytes);
  const auto& [off, h] = blocks[blocks.size() / 2];
  bytes[off + 1] = static_cast<char>(0xFF);  // payload_len becomes a long varint
  WriteFile(path_, bytes);
  ExpectOnlyLost({h});
}

TEST_F(TrackDamageTest, DamageAcrossSeveralBlocksCostsExactlyThoseBlocks) {
  WriteStore();
  std::string bytes = ReadFile(path_);
  auto blocks = Blocks(bytes);
  const size_t first = blocks.size() / 3;
  // Zero from inside one block to inside the second next: three blocks touched.
  uint64_t from = blocks[first].first + 5, to = blocks[first + 2].first + 3;
  std::fill(bytes.begin() + static_cast<long>(from), bytes.begin() + static_cast<long>(to), '\0');
  WriteFile(path_, bytes);
  ExpectOnlyLost({blocks[first].second, blocks[first + 1].second, blocks[first + 2].second});
}

TEST_F(TrackDamageTest, EverySingleByteFlipCostsOneBlock) {
  // Property: whichever byte of whichever block (but the last) is flipped, and however, the
  // scan loses that block and only it (CRC-32 catches every error of up to 32 bits).
  WriteStore();
  const std::string good = ReadFile(path_);
  auto blocks = Blocks(good);
  std::mt19937 rng(17);
  for (int trial = 0; trial < 60; ++trial) {
    const auto& [off, h] = blocks[rng() % (blocks.size() - 1)];
    uint64_t at = off + rng() % h.size();
    std::string bytes = good;
    bytes[at] = static_cast<char>(bytes[at] ^ (1 + rng() % 255));
    WriteFile(path_, bytes);
    auto store = TrackStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    const OpenReport& rep = (*store)->open_report();
    EXPECT_EQ(rep.lost_blocks, 1u) << "byte " << at << ": " << rep.problem;
    EXPECT_EQ(rep.lost_fixes, h.count) << "byte " << at << ": " << rep.problem;
    EXPECT_EQ(rep.blocks, blocks.size() - 1) << "byte " << at;
    EXPECT_EQ(rep.dropped_bytes, 0u) << "byte " << at;
  }
}

TEST_F(TrackDamageTest, AppendsAfterADamagedBlockKeepTheCountAcrossReopens) {
  WriteStore();
  std::string bytes = ReadFile(path_);
  auto blocks = Blocks(bytes);
  const auto& [off, h] = blocks[blocks.size() / 2];
  bytes[off + h.header_len] = static_cast<char>(bytes[off + h.header_len] ^ 1);
  WriteFile(path_, bytes);
  {
    auto store = TrackStore::Open(path_);
    ASSERT_TRUE(store.ok());
    PositionFix f = FixOf(static_cast<int>(h.unit.value), 1000);
    ASSERT_TRUE((*store)->Append(std::span(&f, 1)).ok());
    ASSERT_TRUE((*store)->Sync().ok());
  }
  auto store = TrackStore::Open(path_);
  ASSERT_TRUE(store.ok());
  const OpenReport& rep = (*store)->open_report();
  EXPECT_EQ(rep.lost_blocks, 1u);  // the bad block stays where it is, and is still counted once
  EXPECT_EQ(rep.lost_fixes, h.count);
  EXPECT_EQ(rep.fixes, uint64_t{kUnits * kBatches * kPerBlock} - h.count + 1);
  auto all = (*store)->Query(h.unit, Time{0}, Time{INT64_MAX});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->size(), size_t{kBatches * kPerBlock} - h.count + 1);
  EXPECT_EQ((*store)->Last(h.unit)->time.ms, kT0 + 1000 * 1000);
}

TEST_F(TrackDamageTest, ACorruptLastBlockIsCutAndSavedAside) {
  WriteStore();
  std::string bytes = ReadFile(path_);
  auto blocks = Blocks(bytes);
  const auto& [off, h] = blocks.back();
  bytes[off + h.header_len + 1] = static_cast<char>(bytes[off + h.header_len + 1] ^ 0x40);
  WriteFile(path_, bytes);
  auto store = TrackStore::Open(path_);
  ASSERT_TRUE(store.ok());
  const OpenReport& rep = (*store)->open_report();
  EXPECT_NE(rep.problem.find("corrupt tail"), std::string::npos) << rep.problem;
  EXPECT_EQ(rep.dropped_bytes, h.size());
  // The block had been synced: its fixes were acknowledged, and are counted lost.
  EXPECT_EQ(rep.synced_lost_fixes, h.count);
  EXPECT_EQ(rep.lost_fixes, h.count);
  EXPECT_EQ(rep.blocks, blocks.size() - 1);
  EXPECT_TRUE(fs::exists(rep.saved_tail));
  EXPECT_EQ(fs::file_size(path_), off);
}

TEST_F(TrackDamageTest, AVersion1FileIsMigratedAndItsOriginalKept) {
  // A version-1 file as the old writer made it, with one damaged block in the middle.
  std::string v1(kFileMagic, sizeof kFileMagic);
  v1 += std::string("\x01\0\0\0\0\0\0\0", 8);
  std::map<uint64_t, uint64_t> last_offset;
  uint64_t damaged_at = 0;
  for (int b = 0; b < kBatches; ++b)
    for (int u = 1; u <= kUnits; ++u) {
      std::vector<TrackFix> fixes;
      for (int k = 0; k < kPerBlock; ++k) {
        PositionFix f = FixOf(u, b * kPerBlock + k);
        fixes.push_back({f.time, f.position, 10.0f, 90.0f});
      }
      uint64_t at = v1.size();
      uint64_t back = last_offset.count(u) ? at - last_offset[u] : 0;
      EncodeBlockV1(UnitId{static_cast<uint64_t>(u)}, back, fixes.data(), fixes.size(), v1);
      last_offset[u] = at;
      if (b == kBatches / 2 && u == 7) damaged_at = at + 20;
    }
  v1[damaged_at] = static_cast<char>(v1[damaged_at] ^ 0x08);
  WriteFile(path_, v1);
  EXPECT_EQ(TrackStore::Open(path_, {.repair = false}).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReadFile(path_), v1);  // strict open changes nothing
  {
    auto store = TrackStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    const OpenReport& rep = (*store)->open_report();
    EXPECT_EQ(rep.migrated_from, path_ + ".v1");
    EXPECT_EQ(rep.lost_blocks, 1u) << rep.problem;
    EXPECT_EQ(rep.blocks, size_t{kUnits * kBatches} - 1);
    EXPECT_EQ(ReadFile(path_ + ".v1"), v1);
    auto unit7 = (*store)->Query(UnitId{7}, Time{0}, Time{INT64_MAX});
    ASSERT_TRUE(unit7.ok());
    EXPECT_EQ(unit7->size(), size_t{kBatches * kPerBlock - kPerBlock});
    auto unit8 = (*store)->Query(UnitId{8}, Time{0}, Time{INT64_MAX});
    EXPECT_EQ(unit8->size(), size_t{kBatches * kPerBlock});
    EXPECT_EQ(unit8->back().time.ms, kT0 + (kBatches * kPerBlock - 1) * 1000);
  }
  std::string v2 = ReadFile(path_);
  EXPECT_EQ(v2[8], 2);  // now version 2, and reopening it migrates nothing again
  auto store = TrackStore::Open(path_);
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->open_report().migrated_from.empty());
  EXPECT_TRUE((*store)->open_report().problem.empty());
  EXPECT_FALSE(fs::exists(path_ + ".migrating"));
}

TEST(TrackScan, NeverReadsOutsideTheImage) {
  // Random and mangled images through the scan with a reader that fails the test on any read
  // outside [0, size): the resync must stay in bounds whatever the bytes claim.
  std::mt19937 rng(4);
  for (int trial = 0; trial < 300; ++trial) {
    std::string bytes(kFileMagic, sizeof kFileMagic);
    bytes += std::string("\x02\0\0\0\0\0\0\0", 8);
    size_t n = rng() % 2000;
    for (size_t i = 0; i < n; ++i)
      bytes.push_back(static_cast<char>(rng() % 4 == 0 ? kBlockMagic : rng() % 256));
    if (trial % 2) {  // some real blocks among the noise
      TrackFix f{Time{kT0}, {25, 51}, 1, 2};
      EncodeBlock(UnitId{3}, 0, 0, &f, 1, bytes);
      bytes.insert(bytes.size() - 5, std::string(rng() % 40, static_cast<char>(kBlockMagic)));
    }
    ScanResult r = ScanTrack(
        [&](uint64_t off, size_t len, char* dst) -> size_t {
          EXPECT_LE(off + len, bytes.size());
          size_t take = off >= bytes.size() ? 0 : std::min<size_t>(len, bytes.size() - off);
          std::memcpy(dst, bytes.data() + off, take);
          return take;
        },
        bytes.size(), [](uint64_t, const BlockHeader&) { return Status::Ok(); });
    EXPECT_TRUE(r.problem.ok());
    EXPECT_LE(r.end, bytes.size());
    EXPECT_LE(r.lost_bytes, bytes.size());
  }
}

}  // namespace
}  // namespace ncc::track
