#include "redis_reply.hpp"

#include <hiredis/hiredis.h>

namespace snf {

void to_reply(const redisReply* r, Reply& out) {
  out.a.clear();
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      out.type = Reply::Str;
      out.s.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Int;
      out.i = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Arr;
      out.a.resize(r->elements);
      for (size_t i = 0; i < r->elements; i++) to_reply(r->element[i], out.a[i]);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Err;
      out.s.assign(r->str, r->len);
      break;
    default:
      out.type = Reply::Nil;
  }
}

}  // namespace snf
