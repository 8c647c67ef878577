#pragma once

// The DNS wire format as the loopback servers write and read it. It is written by hand on
// purpose: the servers must send exactly the answers, faults and truncations a test asks for,
// and must share no code with the client under test (a bug common to both would pass unnoticed).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cutover::loopback::dns {

constexpr std::uint16_t kTypeA = 1;
constexpr std::uint16_t kTypeNs = 2;
constexpr std::uint16_t kTypeCname = 5;
constexpr std::uint16_t kTypeSoa = 6;
constexpr std::uint16_t kTypePtr = 12;
constexpr std::uint16_t kTypeMx = 15;
constexpr std::uint16_t kTypeTxt = 16;
constexpr std::uint16_t kTypeAaaa = 28;
constexpr std::uint16_t kTypeSrv = 33;
constexpr std::uint16_t kTypeOpt = 41;
constexpr std::uint16_t kTypeAny = 255;
constexpr std::uint16_t kTypeCaa = 257;
constexpr std::uint16_t kClassIn = 1;

constexpr std::uint16_t kRcodeNoError = 0;
constexpr std::uint16_t kRcodeFormErr = 1;
constexpr std::uint16_t kRcodeServFail = 2;
constexpr std::uint16_t kRcodeNxDomain = 3;
constexpr std::uint16_t kRcodeNotImp = 4;
constexpr std::uint16_t kRcodeRefused = 5;

constexpr std::uint16_t kFlagQr = 0x8000;
constexpr std::uint16_t kFlagAa = 0x0400;
constexpr std::uint16_t kFlagTc = 0x0200;
constexpr std::uint16_t kFlagRd = 0x0100;
constexpr std::uint16_t kFlagRa = 0x0080;

constexpr std::size_t kMaxNameLength = 255;
constexpr std::size_t kMaxLabelLength = 63;
constexpr std::size_t kMaxStringLength = 255;
constexpr int kMaxPointerJumps = 64;

using Name = std::vector<std::string>;  // labels, in the case they were given

// ASCII lower case.
std::string lower(std::string_view text);

// Lower case presentation with '.' and '\' inside labels escaped: a map key per name.
std::string name_key(const Name& name);

bool same_name(const Name& a, const Name& b);

// Zone file presentation: labels split on dots, "\." and "\DDD" escapes; every name is taken
// as absolute, with or without its trailing dot. Throws std::invalid_argument.
Name parse_name(std::string_view text);

class Writer {
 public:
  void u8(unsigned value) { bytes_ += static_cast<char>(value & 0xFF); }
  void u16(unsigned value) {
    u8(value >> 8);
    u8(value);
  }
  void u32(std::uint32_t value) {
    u16(value >> 16);
    u16(value & 0xFFFF);
  }
  void raw(std::string_view data) { bytes_ += data; }
  // Uncompressed: simpler, and every answer stays well-formed whatever its order.
  void name(const Name& name) {
    for (const std::string& label : name) {
      u8(static_cast<unsigned>(label.size()));
      raw(label);
    }
    u8(0);
  }

  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

// Reads a message; any read past the end clears ok() and returns zeros.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool ok() const { return ok_; }

  unsigned u8() {
    if (position_ >= data_.size()) {
      ok_ = false;
      return 0;
    }
    return static_cast<unsigned char>(data_[position_++]);
  }
  unsigned u16() {
    const unsigned high = u8();
    return (high << 8) | u8();
  }
  std::uint32_t u32() {
    const std::uint32_t high = u16();
    return (high << 16) | u16();
  }
  void skip(std::size_t count) {
    if (count > data_.size() - std::min(position_, data_.size())) ok_ = false;
    position_ = std::min(position_ + count, data_.size());
  }

  // Follows compression pointers (RFC 1035 4.1.4), with a bound on jumps against loops.
  Name name();

 private:
  std::string_view data_;
  std::size_t position_ = 0;
  bool ok_ = true;
};

}  // namespace cutover::loopback::dns
