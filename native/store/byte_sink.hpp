// Where a connection's received bytes go: the reply parser (RespReader), or a test's own
// reader. The transport asks for room, reads into it, and says how much it wrote, so the
// bytes land in the parser's buffer without a copy.
#pragma once
#include <cstddef>

namespace snf {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Room for at least `n` more bytes; commit() how many were written there.
  virtual char* space(size_t n) = 0;
  virtual void commit(size_t n) = 0;
};

}  // namespace snf
