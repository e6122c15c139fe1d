// Small glue shared by the test files.
#pragma once
#include <string>

#include "check.hpp"
#include "frames.hpp"
#include "packet/packet.hpp"

namespace t {

using frames::Bytes;

// Parses a private copy sized exactly to the frame, so ASan flags any read past its end.
inline snf::Drop parse(Bytes& b, snf::Packet& p) {
  return snf::parse_frame(b.data(), static_cast<uint32_t>(b.size()), p);
}
inline std::string parse_reason(Bytes b) {
  snf::Packet p;
  return snf::drop_name(parse(b, p));
}

}  // namespace t

// Compares drop reasons by name so a failure prints something readable.
#define CHECK_DROP(bytes, reason) CHECK_EQ(t::parse_reason(bytes), std::string(reason))
