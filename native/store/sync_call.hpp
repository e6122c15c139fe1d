// hiredis's reply tree copied into the store's own Reply, so nothing past the connection layer
// holds hiredis memory (the store, the script registry and the cache tracker read replies this
// way), and the shape of a blocking call the store lends them while it sets a node up.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "store.hpp"

struct redisReply;

namespace snf {

// Reuses out's buffers: a reply slot filled batch after batch stops allocating once warm.
void to_reply(const redisReply* r, Reply& out);

// One command on a node's data connection, waited for (connect time only, never per batch):
// false when no reply came.
using SyncCall = std::function<bool(const std::vector<std::string>& argv, Reply& out)>;

}  // namespace snf
