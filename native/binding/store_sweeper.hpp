// StoreSweeper: expiry for a plugin store that has no TTLs of its own (store_sweeper.cpp).
#pragma once
#include <napi.h>

namespace snf {
Napi::Function InitStoreSweeper(Napi::Env env);
}
