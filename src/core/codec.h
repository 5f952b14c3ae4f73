// Generic walkers over a record's Fields(): a compact binary form (for the log and snapshots)
// and a reader that refuses truncated or out-of-range input instead of crashing on it.
//
// Binary form: unsigned integers and enums as LEB128 varints, signed as zigzag varints, doubles
// as 8 little-endian bytes, strings and vectors as a varint count then the items, optionals as
// a 0/1 byte then the value. Field names are not stored: the layout is the order in Fields().
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/ids.h"
#include "core/lifecycle.h"

namespace ncc {

// Largest valid value for each stored enum (decoding refuses anything above it).
template <typename E>
constexpr uint64_t EnumMax();
template <>
constexpr uint64_t EnumMax<IncidentStatus>() {
  return kIncidentStatusCount - 1;
}
template <>
constexpr uint64_t EnumMax<UnitStatus>() {
  return kUnitStatusCount - 1;
}
template <>
constexpr uint64_t EnumMax<Classification>() {
  return kClassificationCount - 1;
}

class BinaryWriter {
 public:
  explicit BinaryWriter(std::string& out) : out_(out) {}

  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Signed(int64_t v) {
    Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void Double(double d) {
    uint64_t bits = std::bit_cast<uint64_t>(d);
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>(bits >> (8 * i)));
  }
  void Bytes(std::string_view s) {
    Varint(s.size());
    out_.append(s);
  }

  template <typename T>
  void operator()(const char* /*name*/, const T& value) {
    Write(value);
  }

  template <typename T>
  void Write(const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      Varint(value ? 1 : 0);
    } else if constexpr (std::is_enum_v<T>) {
      Varint(static_cast<uint64_t>(value));
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      Signed(value);
    } else if constexpr (std::is_integral_v<T>) {
      Varint(value);
    } else if constexpr (std::is_same_v<T, double>) {
      Double(value);
    } else if constexpr (std::is_same_v<T, std::string>) {
      Bytes(value);
    } else if constexpr (std::is_same_v<T, Time>) {
      Signed(value.ms);
    } else if constexpr (requires {
                           value.has_value();
                           *value;
                         }) {
      Varint(value.has_value() ? 1 : 0);
      if (value) Write(*value);
    } else if constexpr (requires {
                           value.size();
                           value.begin();
                         }) {
      Varint(value.size());
      for (const auto& item : value) Write(item);
    } else {
      const_cast<T&>(value).Fields(*this);  // Fields() only reads through this visitor
    }
  }

 private:
  std::string& out_;
};

class BinaryReader {
 public:
  explicit BinaryReader(std::string_view in) : in_(in) {}

  bool ok() const { return ok_; }
  bool AtEnd() const { return pos_ == in_.size(); }
  const std::string& error() const { return error_; }
  void Fail(const std::string& why) {
    if (ok_) error_ = why + " at byte " + std::to_string(pos_);
    ok_ = false;
  }

  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) {
        Fail("truncated varint");
        return 0;
      }
      auto byte = static_cast<uint8_t>(in_[pos_++]);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    Fail("varint too long");
    return 0;
  }
  int64_t Signed() {
    uint64_t z = Varint();
    return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  double Double() {
    if (in_.size() - pos_ < 8) {
      Fail("truncated double");
      return 0;
    }
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i)
      bits |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return std::bit_cast<double>(bits);
  }
  std::string Bytes() {
    uint64_t n = Varint();
    if (!ok_ || n > in_.size() - pos_) {
      Fail("string length past the end");
      return {};
    }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }

  template <typename T>
  void operator()(const char* /*name*/, T& value) {
    Read(value);
  }

  template <typename T>
  void Read(T& value) {
    if (!ok_) return;
    if constexpr (std::is_same_v<T, bool>) {
      value = Varint() != 0;
    } else if constexpr (std::is_enum_v<T>) {
      uint64_t raw = Varint();
      if (raw > EnumMax<T>()) return Fail("enum value out of range");
      value = static_cast<T>(raw);
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      value = static_cast<T>(Signed());
    } else if constexpr (std::is_integral_v<T>) {
      value = static_cast<T>(Varint());
    } else if constexpr (std::is_same_v<T, double>) {
      value = Double();
    } else if constexpr (std::is_same_v<T, std::string>) {
      value = Bytes();
    } else if constexpr (std::is_same_v<T, Time>) {
      value.ms = Signed();
    } else if constexpr (requires {
                           value.has_value();
                           value.emplace();
                         }) {
      if (Varint())
        Read(value.emplace());
      else
        value.reset();
    } else if constexpr (requires {
                           value.size();
                           value.emplace_back();
                         }) {
      uint64_t n = Varint();
      // Every item takes at least one byte: a count beyond the input is corruption, and
      // refusing it here keeps a hostile count from allocating gigabytes.
      if (n > in_.size() - pos_) return Fail("item count past the end");
      value.clear();
      if constexpr (requires { value.reserve(n); }) value.reserve(n);
      for (uint64_t i = 0; i < n && ok_; ++i) Read(value.emplace_back());
    } else {
      value.Fields(*this);
    }
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
  std::string error_;
};

template <typename T>
std::string EncodeBinary(const T& value) {
  std::string out;
  BinaryWriter(out).Write(value);
  return out;
}

}  // namespace ncc
