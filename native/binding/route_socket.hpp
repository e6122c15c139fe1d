// RouteSocket for JavaScript: the steering controller's netlink route changes (route_socket.cpp).
#pragma once
#include <napi.h>

namespace snf {
Napi::Function InitRouteSocket(Napi::Env env);
}
