// RESP2, the Redis protocol, as the store's connections speak it: commands written straight
// into a connection's output bytes, and replies parsed straight into the store's Reply, whose
// buffers a reply slot reuses batch after batch. hiredis did both before: its reader built a
// tree of malloc'd redisReply objects for every reply, which were then copied into a Reply and
// freed, and its formatter grew an sds per command (~10% of the engine's CPU per packet on the
// Redis path, bench/RESULTS.md 2026-11-30).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "byte_sink.hpp"
#include "store.hpp"

namespace snf {

// Appends one command, an array of bulk strings, to `out`.
void resp_command(std::string& out, int argc, const char* const* argv, const size_t* lens);

// Replies off one connection's byte stream, in order. Bytes come in at the end (space + commit,
// or feed); next() takes one whole reply off the front. Bounds as Redis's own: a bulk string of
// at most 512 MiB, arrays nested at most 8 deep.
class RespReader : public ByteSink {
 public:
  char* space(size_t n) override;
  void commit(size_t n) override { len_ += n; }
  void feed(const char* p, size_t n);

  // 1: a reply was parsed into `out` (its buffers reused), 0: no whole reply yet (nothing
  // taken), -1: the stream is not RESP (err says where); the connection cannot be trusted
  // after that.
  int next(Reply& out, std::string* err);
  size_t buffered() const { return len_ - pos_; }

 private:
  enum Status { kDone, kMore, kBad };
  Status parse(size_t& at, Reply& out, int depth, std::string* err) const;
  Status line(size_t at, size_t& end) const;
  Status number(size_t& at, int64_t& v, std::string* err) const;
  Status length(size_t& at, int64_t& n, int64_t max, const char* what, std::string* err) const;
  static Status nil(Reply& out, size_t& at, size_t next);

  std::vector<char> buf_;
  size_t pos_ = 0;  // first byte not taken yet
  size_t len_ = 0;  // bytes in buf_
};

}  // namespace snf
