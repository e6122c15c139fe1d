// The store's RESP2 writer and reader (store/resp.*) against hiredis, an independent
// implementation of the same protocol: the bytes a command becomes, and the replies a stream
// holds, whole or split anywhere. Then what the reader refuses.
#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "store/resp.hpp"
#include "test/check.hpp"

using snf::Reply;
using snf::RespReader;

namespace {

// A stream with one reply of every shape the store meets: status, error, integers, bulk
// strings (empty, binary, with CRLF inside), nil bulk, arrays (empty, nil, nested as EXEC and
// CLUSTER SLOTS answer, and a pub/sub invalidation message).
const char kRaw[] =
    "+OK\r\n"
    "-NOSCRIPT No matching script. Please use EVAL.\r\n"
    ":0\r\n:-42\r\n:9223372036854775807\r\n"
    "$0\r\n\r\n"
    "$-1\r\n"
    "$20\r\n198.51.100.1|40000|E\r\n"
    "$6\r\na\r\nb\0c\r\n"
    "*0\r\n"
    "*-1\r\n"
    "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*2\r\n$5\r\nnat:1\r\n$5\r\nnat:2\r\n"
    "*6\r\n+OK\r\n:1\r\n:1\r\n:1\r\n$3\r\nv|1\r\n*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n"
    "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*-1\r\n"
    "-ERR after the arrays\r\n";
const std::string kStream(kRaw, sizeof kRaw - 1);  // it holds a NUL

// hiredis's reply in the store's shape, for comparison.
void from_hiredis(const redisReply* r, Reply& out) {
  out = Reply{};
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      out.type = Reply::Str;
      out.s.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Err;
      out.s.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Int;
      out.i = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Arr;
      out.a.resize(r->elements);
      for (size_t k = 0; k < r->elements; k++) from_hiredis(r->element[k], out.a[k]);
      break;
    default:
      out.type = Reply::Nil;
  }
}

bool same(const Reply& a, const Reply& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case Reply::Str:
    case Reply::Err:
      return a.s == b.s;
    case Reply::Int:
      return a.i == b.i;
    case Reply::Arr:
      if (a.a.size() != b.a.size()) return false;
      for (size_t k = 0; k < a.a.size(); k++)
        if (!same(a.a[k], b.a[k])) return false;
      return true;
    default:
      return true;
  }
}

std::vector<Reply> hiredis_replies(const std::string& bytes) {
  std::unique_ptr<redisReader, void (*)(redisReader*)> rd(redisReaderCreate(), redisReaderFree);
  redisReaderFeed(rd.get(), bytes.data(), bytes.size());
  std::vector<Reply> out;
  void* r = nullptr;
  while (redisReaderGetReply(rd.get(), &r) == REDIS_OK && r != nullptr) {
    out.emplace_back();
    from_hiredis(static_cast<redisReply*>(r), out.back());
    freeReplyObject(r);
  }
  return out;
}

// Feeds `bytes` in pieces of `step` bytes, taking every reply as soon as it is whole.
std::vector<Reply> ours(const std::string& bytes, size_t step, int* status) {
  RespReader rd;
  std::vector<Reply> out;
  Reply r;
  std::string err;
  *status = 0;
  for (size_t at = 0; at < bytes.size(); at += step) {
    rd.feed(bytes.data() + at, std::min(step, bytes.size() - at));
    int got;
    while ((got = rd.next(r, &err)) == 1) out.push_back(r);
    if (got < 0) {
      *status = -1;
      return out;
    }
  }
  return out;
}

int refused(const std::string& bytes, std::string* err) {
  RespReader rd;
  rd.feed(bytes.data(), bytes.size());
  Reply r;
  return rd.next(r, err);
}

}  // namespace

TEST(resp_command_bytes_match_hiredis) {
  std::string key = "snf:v:nat:f:{203.0.113.5:7}:17:10.0.0.5:40000", bin("a\0\r\nb", 5), empty;
  const char* argv[] = {"EVALSHA", "a09ebd6a48c5d0dbc1650f71281dd3d22ef85915", "1", key.data(), bin.data(), empty.data()};
  size_t lens[] = {7, 40, 1, key.size(), bin.size(), 0};
  std::string mine = "already here|";
  snf::resp_command(mine, 6, argv, lens);
  char* theirs = nullptr;
  int n = redisFormatCommandArgv(&theirs, 6, argv, lens);
  REQUIRE(n > 0);
  CHECK_EQ(mine, "already here|" + std::string(theirs, static_cast<size_t>(n)));  // appended, not replaced
  redisFreeCommand(theirs);
}

TEST(resp_reader_agrees_with_hiredis_whole_and_split_anywhere) {
  std::vector<Reply> want = hiredis_replies(kStream);
  REQUIRE(want.size() == size_t{15});
  for (size_t step : {kStream.size(), size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{64}}) {
    int status = 0;
    std::vector<Reply> got = ours(kStream, step, &status);
    CHECK_EQ(status, 0);
    REQUIRE(got.size() == want.size());
    for (size_t k = 0; k < want.size(); k++) CHECK_MSG(same(got[k], want[k]), "reply " + std::to_string(k) + ", step " + std::to_string(step));
  }
}

TEST(resp_reader_takes_nothing_until_a_reply_is_whole) {
  RespReader rd;
  Reply r;
  std::string err;
  const std::string exec = "*2\r\n$3\r\nabc\r\n:7\r\n";
  for (size_t k = 0; k + 1 < exec.size(); k++) {
    rd.feed(exec.data() + k, 1);
    CHECK_EQ(rd.next(r, &err), 0);
    CHECK_EQ(rd.buffered(), k + 1);
  }
  rd.feed(exec.data() + exec.size() - 1, 1);
  REQUIRE(rd.next(r, &err) == 1);
  CHECK_EQ(rd.buffered(), size_t{0});
  REQUIRE(r.type == Reply::Arr && r.a.size() == 2);
  CHECK_EQ(r.a[0].s, std::string("abc"));
  CHECK_EQ(r.a[1].i, int64_t{7});
  // The same slot takes the next reply whole, whatever it held.
  rd.feed(":5\r\n", 4);
  REQUIRE(rd.next(r, &err) == 1);
  CHECK(r.type == Reply::Int && r.i == 5 && r.a.empty());
}

TEST(resp_reader_refuses_what_is_not_resp) {
  std::string err;
  CHECK_EQ(refused("?what\r\n", &err), -1);
  CHECK_MSG(err.find("unexpected type byte 0x3f") != std::string::npos, err);
  CHECK_EQ(refused(":12x\r\n", &err), -1);
  CHECK_MSG(err.find("integer") != std::string::npos, err);
  CHECK_EQ(refused(":\r\n", &err), -1);
  CHECK_EQ(refused("$-2\r\n", &err), -1);
  CHECK_MSG(err.find("out of range") != std::string::npos, err);
  CHECK_EQ(refused("$999999999999\r\n", &err), -1);
  CHECK_EQ(refused("$3\r\nabcd\r\n", &err), -1);
  CHECK_MSG(err.find("CRLF") != std::string::npos, err);
  CHECK_EQ(refused("*-5\r\n", &err), -1);
  CHECK_EQ(refused("+a\rb\r\n", &err), -1);
  std::string deep;
  for (int k = 0; k < 9; k++) deep += "*1\r\n";
  deep += ":1\r\n";
  CHECK_EQ(refused(deep, &err), -1);
  CHECK_MSG(err.find("nested") != std::string::npos, err);
  // Eight deep is what Redis may send; a huge announced array waits for its bytes.
  CHECK_EQ(refused(deep.substr(4), &err), 1);
  CHECK_EQ(refused("*16777216\r\n", &err), 0);
}
