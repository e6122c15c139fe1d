// RespReader (store/resp.*) on arbitrary bytes, as a store connection might receive them:
// whole or fed in pieces (byte 0 of the input picks where to split), it must read the same
// replies and stop with the same verdict; and every reply it accepts, hiredis (an independent
// parser, which accepts more) reads the same.
#include <hiredis/hiredis.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "store/resp.hpp"

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_resp invariant broken: %s\n", what);
    std::abort();
  }
}

bool same(const snf::Reply& a, const snf::Reply& b) {
  if (a.type != b.type) return false;
  if (a.type == snf::Reply::Str || a.type == snf::Reply::Err) return a.s == b.s;
  if (a.type == snf::Reply::Int) return a.i == b.i;
  if (a.type != snf::Reply::Arr || a.a.size() != b.a.size()) return a.type != snf::Reply::Arr;
  for (size_t k = 0; k < a.a.size(); k++)
    if (!same(a.a[k], b.a[k])) return false;
  return true;
}

bool same_as_hiredis(const snf::Reply& a, const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      return a.type == snf::Reply::Str && a.s == std::string(r->str, r->len);
    case REDIS_REPLY_ERROR:
      return a.type == snf::Reply::Err && a.s == std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return a.type == snf::Reply::Int && a.i == r->integer;
    case REDIS_REPLY_NIL:
      return a.type == snf::Reply::Nil;
    case REDIS_REPLY_ARRAY:
      if (a.type != snf::Reply::Arr || a.a.size() != r->elements) return false;
      for (size_t k = 0; k < r->elements; k++)
        if (!same_as_hiredis(a.a[k], r->element[k])) return false;
      return true;
    default:
      return false;
  }
}

// Replies read off `data` fed in pieces of `step` bytes; *end: 0 (ran out) or -1 (refused).
std::vector<snf::Reply> read_all(const uint8_t* data, size_t n, size_t step, int* end) {
  snf::RespReader rd;
  std::vector<snf::Reply> out;
  snf::Reply r;
  std::string err;
  *end = 0;
  for (size_t at = 0; at < n; at += step) {
    rd.feed(reinterpret_cast<const char*>(data) + at, std::min(step, n - at));
    int got;
    while ((got = rd.next(r, &err)) == 1) out.push_back(r);
    if (got < 0) {
      require(!err.empty(), "a refusal says why");
      *end = -1;
      return out;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 4096) return 0;
  size_t step = 1 + data[0] % 16;
  data++;
  size--;
  int whole_end = 0, split_end = 0;
  std::vector<snf::Reply> whole = read_all(data, size, size ? size : 1, &whole_end);
  std::vector<snf::Reply> split = read_all(data, size, step, &split_end);
  require(whole.size() == split.size() && whole_end == split_end, "same replies whole and split");
  for (size_t k = 0; k < whole.size(); k++) require(same(whole[k], split[k]), "same reply whole and split");

  std::unique_ptr<redisReader, void (*)(redisReader*)> hr(redisReaderCreate(), redisReaderFree);
  redisReaderFeed(hr.get(), reinterpret_cast<const char*>(data), size);
  for (const snf::Reply& mine : whole) {
    void* r = nullptr;
    if (redisReaderGetReply(hr.get(), &r) != REDIS_OK || r == nullptr) break;  // hiredis is stricter here (nesting)
    bool ok = same_as_hiredis(mine, static_cast<redisReply*>(r));
    freeReplyObject(r);
    require(ok, "an accepted reply reads the same in hiredis");
  }
  return 0;
}
