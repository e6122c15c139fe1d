// RouteSocket: the steering controller's route changes over one netlink socket per namespace
// (native/steer/rtnl.hpp says why).
//
//   new RouteSocket(netns)               netns: a name under /run/netns (`ip netns add`)
//   sock.replace(prefix, [{via, dev}])   one multipath route; [] makes it a blackhole
//   sock.close()                         idempotent; also done when collected
//
// Failures are thrown as JS errors naming the route and the kernel's reason; nothing changes then.
#include "route_socket.hpp"

#include <memory>
#include <string>
#include <vector>

#include "steer/rtnl.hpp"

namespace snf {
namespace {

bool valid_netns_name(const std::string& s) {
  if (s.empty() || s.size() > 64 || s == "." || s == "..") return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

class RouteSocketWrap : public Napi::ObjectWrap<RouteSocketWrap> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "RouteSocket", {InstanceMethod("replace", &RouteSocketWrap::Replace), InstanceMethod("close", &RouteSocketWrap::Close)});
  }

  explicit RouteSocketWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RouteSocketWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) {
      Napi::TypeError::New(env, "RouteSocket(netns): netns must be a string").ThrowAsJavaScriptException();
      return;
    }
    std::string ns = info[0].As<Napi::String>().Utf8Value();
    if (!valid_netns_name(ns)) {
      Napi::TypeError::New(env, "RouteSocket: netns must be 1-64 of [A-Za-z0-9._-], got '" + ns.substr(0, 80) + "'").ThrowAsJavaScriptException();
      return;
    }
    std::string err;
    auto s = std::make_unique<steer::RouteSocket>("/run/netns/" + ns, err);
    if (!s->open()) {
      Napi::Error::New(env, "RouteSocket(" + ns + "): " + err).ThrowAsJavaScriptException();
      return;
    }
    sock_ = std::move(s);
  }

 private:
  Napi::Value Replace(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!sock_) {
      Napi::Error::New(env, "RouteSocket.replace: closed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsArray()) {
      Napi::TypeError::New(env, "RouteSocket.replace(prefix, hops): prefix a string, hops an array of {via, dev}").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    std::vector<steer::NextHop> hops;
    auto arr = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++) {
      Napi::Value v = arr.Get(i);
      if (!v.IsObject()) {
        Napi::TypeError::New(env, "RouteSocket.replace: hops[" + std::to_string(i) + "] must be an object").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      auto o = v.As<Napi::Object>();
      Napi::Value via = o.Get("via"), dev = o.Get("dev");
      if (!via.IsString() || !dev.IsString()) {
        Napi::TypeError::New(env, "RouteSocket.replace: hops[" + std::to_string(i) + "].via and .dev must be strings").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      hops.push_back({via.As<Napi::String>().Utf8Value(), dev.As<Napi::String>().Utf8Value()});
    }
    std::string err;
    if (!sock_->replace(info[0].As<Napi::String>().Utf8Value(), hops, err)) {
      Napi::Error::New(env, err).ThrowAsJavaScriptException();
    }
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    sock_.reset();
    return info.Env().Undefined();
  }

  std::unique_ptr<steer::RouteSocket> sock_;
};

}  // namespace

Napi::Function InitRouteSocket(Napi::Env env) { return RouteSocketWrap::Init(env); }

}  // namespace snf
