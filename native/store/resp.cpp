#include "store/resp.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace snf {

namespace {

constexpr int64_t kMaxBulk = 512LL << 20;     // Redis's proto-max-bulk-len default
constexpr int64_t kMaxElements = 1LL << 24;   // far beyond any reply the store asks for
constexpr int kMaxDepth = 8;

void append_count(std::string& out, char type, size_t n) {
  char buf[24];
  buf[0] = type;
  auto r = std::to_chars(buf + 1, buf + sizeof buf - 2, n);
  char* p = r.ptr;
  *p++ = '\r';
  *p++ = '\n';
  out.append(buf, static_cast<size_t>(p - buf));
}

}  // namespace

void resp_command(std::string& out, int argc, const char* const* argv, const size_t* lens) {
  append_count(out, '*', static_cast<size_t>(argc));
  for (int i = 0; i < argc; i++) {
    append_count(out, '$', lens[i]);
    out.append(argv[i], lens[i]);
    out.append("\r\n", 2);
  }
}

char* RespReader::space(size_t n) {
  if (pos_ == len_) pos_ = len_ = 0;
  if (buf_.size() - len_ < n) {
    if (pos_ > 0) {  // keep only what is not taken yet, at the front
      std::memmove(buf_.data(), buf_.data() + pos_, len_ - pos_);
      len_ -= pos_;
      pos_ = 0;
    }
    if (buf_.size() - len_ < n) buf_.resize(std::max(len_ + n, 2 * buf_.size()));
  }
  return buf_.data() + len_;
}

void RespReader::feed(const char* p, size_t n) {
  std::memcpy(space(n), p, n);
  commit(n);
}

int RespReader::next(Reply& out, std::string* err) {
  size_t at = pos_;
  switch (parse(at, out, 0, err)) {
    case kDone:
      pos_ = at;
      if (pos_ == len_) pos_ = len_ = 0;
      return 1;
    case kMore:
      return 0;
    case kBad:
      break;
  }
  return -1;
}

// The end of the line starting at `at` (the index of its "\r\n").
RespReader::Status RespReader::line(size_t at, size_t& end) const {
  const char* p = buf_.data();
  const void* cr = at < len_ ? std::memchr(p + at, '\r', len_ - at) : nullptr;
  if (cr == nullptr) return kMore;
  end = static_cast<size_t>(static_cast<const char*>(cr) - p);
  if (end + 1 >= len_) return kMore;
  return p[end + 1] == '\n' ? kDone : kBad;
}

// The integer on the line after a type byte at `at`; `at` moves past the line.
RespReader::Status RespReader::number(size_t& at, int64_t& v, std::string* err) const {
  size_t end = 0;
  Status s = line(at + 1, end);
  if (s == kMore) return kMore;
  const char* first = buf_.data() + at + 1;
  const char* last = buf_.data() + end;
  auto r = std::from_chars(first, last, v);
  if (s == kBad || first == last || r.ec != std::errc() || r.ptr != last) {
    if (err) *err = "reply: not a RESP integer after '" + std::string(1, buf_[at]) + "'";
    return kBad;
  }
  at = end + 2;
  return kDone;
}

// The length after a '$' or '*' at `at`, which moves past its line: -1 (a nil reply) or within
// [0, max]; anything else refuses the stream.
RespReader::Status RespReader::length(size_t& at, int64_t& n, int64_t max, const char* what, std::string* err) const {
  Status s = number(at, n, err);
  if (s != kDone || n == -1) return s;
  if (n < 0 || n > max) {
    if (err) *err = std::string("reply: ") + what + " length " + std::to_string(n) + " out of range";
    return kBad;
  }
  return kDone;
}

RespReader::Status RespReader::nil(Reply& out, size_t& at, size_t next) {
  out.type = Reply::Nil;
  out.a.clear();
  at = next;
  return kDone;
}

RespReader::Status RespReader::parse(size_t& at, Reply& out, int depth, std::string* err) const {
  if (at >= len_) return kMore;
  const char* p = buf_.data();
  char type = p[at];
  switch (type) {
    case '+':
    case '-': {
      size_t end = 0;
      Status s = line(at + 1, end);
      if (s == kMore) return kMore;
      if (s == kBad) {
        if (err) *err = "reply: a status line holds a bare CR";
        return kBad;
      }
      out.type = type == '+' ? Reply::Str : Reply::Err;
      out.s.assign(p + at + 1, end - at - 1);
      out.a.clear();
      at = end + 2;
      return kDone;
    }
    case ':': {
      int64_t v = 0;
      size_t next = at;
      Status s = number(next, v, err);
      if (s != kDone) return s;
      out.type = Reply::Int;
      out.i = v;
      out.a.clear();
      at = next;
      return kDone;
    }
    case '$': {
      size_t next = at;
      int64_t n = 0;
      Status s = length(next, n, kMaxBulk, "bulk string", err);
      if (s != kDone) return s;
      if (n == -1) return nil(out, at, next);
      size_t body = next, stop = next + static_cast<size_t>(n);
      if (stop + 2 > len_) return kMore;
      if (p[stop] != '\r' || p[stop + 1] != '\n') {
        if (err) *err = "reply: bulk string not followed by CRLF";
        return kBad;
      }
      out.type = Reply::Str;
      out.s.assign(p + body, static_cast<size_t>(n));
      out.a.clear();
      at = stop + 2;
      return kDone;
    }
    case '*': {
      size_t next = at;
      int64_t n = 0;
      Status s = length(next, n, kMaxElements, "array", err);
      if (s != kDone) return s;
      if (n == -1) return nil(out, at, next);
      if (depth >= kMaxDepth) {
        if (err) *err = "reply: arrays nested deeper than " + std::to_string(kMaxDepth);
        return kBad;
      }
      // Each element takes at least 3 bytes: an array longer than what could have arrived is
      // not complete, and is not given room for elements that are not there.
      if (static_cast<size_t>(n) * 3 > len_ - next) return kMore;
      out.type = Reply::Arr;
      out.a.resize(static_cast<size_t>(n));
      for (auto& e : out.a) {
        s = parse(next, e, depth + 1, err);
        if (s != kDone) return s;
      }
      at = next;
      return kDone;
    }
    default: {
      if (err) {
        char b[8];
        std::snprintf(b, sizeof b, "0x%02x", static_cast<unsigned>(static_cast<unsigned char>(type)));
        *err = std::string("reply: unexpected type byte ") + b;
      }
      return kBad;
    }
  }
}

}  // namespace snf
