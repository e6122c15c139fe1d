// The shape of a blocking call the store lends the parts it composes (the script registry, the
// cache tracker, the cluster router) while it sets a node up: one command on the node's data
// connection, waited for at connect time only, never per batch.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "store.hpp"

namespace snf {

// false when no reply came.
using SyncCall = std::function<bool(const std::vector<std::string>& argv, Reply& out)>;

}  // namespace snf
