// ExitWatch: process exit notification through pidfds (exit_watch.cpp).
#pragma once
#include <napi.h>

namespace snf {
Napi::Function InitExitWatch(Napi::Env env);
}
