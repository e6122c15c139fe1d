// StoreSweeper: deletes the expired flow state of a plugin store (RAMCloud keeps objects until
// someone removes them). One PluginStore of its own, swept off the JavaScript thread, one pass
// at a time: `sweep(maxObjects)` resolves to { scanned, deleted, done, ok, error }.
#include "store_sweeper.hpp"

#include <memory>
#include <mutex>
#include <string>

#include "../store/plugin_store.hpp"

namespace snf {
namespace {

struct SweeperState {
  std::mutex mu;
  std::unique_ptr<PluginStore> store;
  bool busy = false;
};

class SweepWorker : public Napi::AsyncWorker {
 public:
  SweepWorker(Napi::Env env, std::shared_ptr<SweeperState> st, size_t max)
      : Napi::AsyncWorker(env), st_(std::move(st)), max_(max), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    std::lock_guard<std::mutex> lk(st_->mu);
    if (!st_->store) {
      SetError("sweeper is closed");
      return;
    }
    res_ = st_->store->sweep(now_ms(), max_);
    error_ = st_->store->stats().last_error;
  }
  void OnOK() override {
    st_->busy = false;
    Napi::Object o = Napi::Object::New(Env());
    o.Set("scanned", static_cast<double>(res_.scanned));
    o.Set("deleted", static_cast<double>(res_.deleted));
    o.Set("done", res_.done);
    o.Set("ok", res_.ok);
    if (!res_.ok) o.Set("error", error_);
    deferred_.Resolve(o);
  }
  void OnError(const Napi::Error& e) override {
    st_->busy = false;
    deferred_.Reject(e.Value());
  }

 private:
  std::shared_ptr<SweeperState> st_;
  size_t max_;
  PluginStore::SweepResult res_;
  std::string error_;
  Napi::Promise::Deferred deferred_;
};

class SweeperWrap : public Napi::ObjectWrap<SweeperWrap> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "StoreSweeper",
                       {InstanceMethod("sweep", &SweeperWrap::Sweep), InstanceMethod("close", &SweeperWrap::Close)});
  }
  // new StoreSweeper({ path, config }): the same plugin store form the engine takes.
  explicit SweeperWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SweeperWrap>(info) {
    Napi::Env env = info.Env();
    st_ = std::make_shared<SweeperState>();
    if (info.Length() < 1 || !info[0].IsObject()) {
      Napi::TypeError::New(env, "StoreSweeper({ path, config })").ThrowAsJavaScriptException();
      return;
    }
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Value p = o.Get("path"), c = o.Get("config");
    if (!p.IsString() || !c.IsString()) {
      Napi::TypeError::New(env, "store.path and store.config: must be strings").ThrowAsJavaScriptException();
      return;
    }
    PluginOptions po;
    po.path = p.As<Napi::String>().Utf8Value();
    po.config = c.As<Napi::String>().Utf8Value();
    std::string err;
    st_->store = PluginStore::create(po, err);
    if (!st_->store) Napi::Error::New(env, "store." + err).ThrowAsJavaScriptException();
  }

 private:
  Napi::Value Sweep(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber() || info[0].As<Napi::Number>().DoubleValue() < 1) {
      Napi::TypeError::New(env, "maxObjects: must be a number >= 1").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (st_->busy) {
      Napi::Error::New(env, "a sweep is already running").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    st_->busy = true;
    auto* w = new SweepWorker(env, st_, static_cast<size_t>(info[0].As<Napi::Number>().DoubleValue()));
    Napi::Promise pr = w->promise();
    w->Queue();
    return pr;
  }
  Napi::Value Close(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lk(st_->mu);
    st_->store.reset();
    return info.Env().Undefined();
  }
  std::shared_ptr<SweeperState> st_;
};

}  // namespace

Napi::Function InitStoreSweeper(Napi::Env env) { return SweeperWrap::Init(env); }

}  // namespace snf
