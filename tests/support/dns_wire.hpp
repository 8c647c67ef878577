#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

// DNS wire-format pieces for tests that build messages byte by byte, so each test shows exactly
// what a parser or client is given.
namespace cutover::test::wire {

using Bytes = std::vector<unsigned char>;

inline Bytes u16(unsigned value) {
  return {static_cast<unsigned char>(value >> 8 & 0xFF), static_cast<unsigned char>(value & 0xFF)};
}

inline Bytes u32(std::uint32_t value) {
  Bytes out = u16(value >> 16);
  const Bytes low = u16(value & 0xFFFF);
  out.insert(out.end(), low.begin(), low.end());
  return out;
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts)
    out.insert(out.end(), part.begin(), part.end());
  return out;
}

// "app.example.test" as labels, ending in the root label.
inline Bytes wire_name(std::string_view dotted) {
  Bytes out;
  std::size_t start = 0;
  while (start < dotted.size()) {
    const std::size_t dot = std::min(dotted.find('.', start), dotted.size());
    out.push_back(static_cast<unsigned char>(dot - start));
    out.insert(out.end(), dotted.begin() + static_cast<std::ptrdiff_t>(start),
               dotted.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  out.push_back(0);
  return out;
}

}  // namespace cutover::test::wire
