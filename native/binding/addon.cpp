// The N-API surface: an Engine class whose batches run off the JavaScript thread.
// Built with NAPI_DISABLE_CPP_EXCEPTIONS: errors become pending JS exceptions, never C++
// exceptions crossing the boundary.
#include <napi.h>

#include <cstdio>
#include <memory>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "../engine/engine.hpp"
#include "../io/dataplane.hpp"
#include "../store/local_store.hpp"
#include "../store/plugin_store.hpp"
#include "../store/redis_store.hpp"
#include "config_js.hpp"
#include "exit_watch.hpp"
#include "route_socket.hpp"
#include "store_sweeper.hpp"

namespace snf {
namespace {

// nullptr (reason in err) only for a plugin that cannot be loaded.
std::unique_ptr<StateStore> make_store(const StoreSpec& spec, std::string& err) {
  if (spec.redis) return std::make_unique<RedisStore>(spec.redis_opts);
  if (spec.plugin) return PluginStore::create(spec.plugin_opts, err);
  return std::make_unique<LocalStore>(spec.max_keys);
}

struct OwnedFrame {
  std::vector<uint8_t> bytes;
  Frame f;
};

// A batch submitted and not reaped yet (split phase): its bytes and the frames the engine
// writes verdicts into stay here, in place, until then.
struct Submitted {
  uint64_t seq = 0;
  std::vector<OwnedFrame> owned;
  std::vector<Frame> fs;
};

struct Shared {
  std::mutex mu;  // one batch at a time per engine; counters read under it too
  std::unique_ptr<Engine> engine;
  std::deque<std::unique_ptr<Submitted>> submitted;  // oldest first, as the engine reaps
};

bool frames_from_js(Napi::Env env, const Napi::Value& v, std::vector<OwnedFrame>& out) {
  if (!v.IsArray()) {
    Napi::TypeError::New(env, "frames: must be an array").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Array a = v.As<Napi::Array>();
  out.resize(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    std::string p = "frames[" + std::to_string(i) + "]";
    if (!e.IsObject()) {
      Napi::TypeError::New(env, p + ": must be { data, side }").ThrowAsJavaScriptException();
      return false;
    }
    Napi::Object o = e.As<Napi::Object>();
    Napi::Value d = o.Get("data"), s = o.Get("side");
    if (!d.IsBuffer()) {
      Napi::TypeError::New(env, p + ".data: must be a Buffer").ThrowAsJavaScriptException();
      return false;
    }
    std::string side = s.IsString() ? s.As<Napi::String>().Utf8Value() : "";
    if (side != "inside" && side != "outside") {
      Napi::TypeError::New(env, p + ".side: must be inside or outside").ThrowAsJavaScriptException();
      return false;
    }
    auto buf = d.As<Napi::Buffer<uint8_t>>();
    if (buf.Length() > 65535 + 64) {
      Napi::RangeError::New(env, p + ".data: longer than any frame").ThrowAsJavaScriptException();
      return false;
    }
    out[i].bytes.assign(buf.Data(), buf.Data() + buf.Length());
    out[i].f = Frame{};
    out[i].f.in = side == "inside" ? Side::Inside : Side::Outside;
  }
  for (auto& of : out) {
    of.f.data = of.bytes.data();
    of.f.len = static_cast<uint32_t>(of.bytes.size());
  }
  return true;
}

Napi::Array results_to_js(Napi::Env env, std::vector<OwnedFrame>& frames) {
  Napi::Array out = Napi::Array::New(env, frames.size());
  for (size_t i = 0; i < frames.size(); i++) {
    const Frame& f = frames[i].f;
    Napi::Object o = Napi::Object::New(env);
    o.Set("verdict", f.forward ? "forward" : "drop");
    o.Set("side", f.out == Side::Inside ? "inside" : "outside");
    o.Set("data", Napi::Buffer<uint8_t>::Copy(env, frames[i].bytes.data(), frames[i].bytes.size()));
    if (!f.forward) o.Set("reason", drop_name(f.reason));
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

class ProcessWorker : public Napi::AsyncWorker {
 public:
  ProcessWorker(Napi::Env env, std::shared_ptr<Shared> sh, std::vector<OwnedFrame> frames, bool flush_only)
      : Napi::AsyncWorker(env), sh_(std::move(sh)), frames_(std::move(frames)), flush_(flush_only),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    std::lock_guard<std::mutex> lk(sh_->mu);
    if (!sh_->engine) {
      SetError("engine is closed");
      return;
    }
    if (flush_) {
      sh_->engine->flush();
      return;
    }
    if (!sh_->submitted.empty()) {
      SetError("process: reap the batches in flight (submitSync) first");
      return;
    }
    std::vector<Frame> fs(frames_.size());
    for (size_t i = 0; i < frames_.size(); i++) fs[i] = frames_[i].f;
    sh_->engine->process(fs.data(), fs.size());
    // One batch at a time from JavaScript (tools, tests, the demos): its posted writes go out
    // before it returns, as a caller reading the store next expects. The burst loop and the
    // split-phase calls hold them for the next round trip (store.postHoldUs).
    sh_->engine->flush();
    for (size_t i = 0; i < frames_.size(); i++) frames_[i].f = fs[i];
  }
  void OnOK() override {
    if (flush_) deferred_.Resolve(Env().Undefined());
    else deferred_.Resolve(results_to_js(Env(), frames_));
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  std::shared_ptr<Shared> sh_;
  std::vector<OwnedFrame> frames_;
  bool flush_;
  Napi::Promise::Deferred deferred_;
};

Napi::Object stats_to_js(Napi::Env env, const EngineCounters& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("rx", static_cast<double>(c.rx));
  o.Set("tx", static_cast<double>(c.tx));
  o.Set("dropped", static_cast<double>(c.dropped));
  o.Set("batches", static_cast<double>(c.batches));
  Napi::Object drops = Napi::Object::New(env);
  for (int i = 1; i < static_cast<int>(Drop::Count); i++)
    if (c.drops[i]) drops.Set(drop_name(static_cast<Drop>(i)), static_cast<double>(c.drops[i]));
  o.Set("drops", drops);
  Napi::Object nf = Napi::Object::New(env);
  for (int k = 0; k < kNfKinds; k++) {
    if (!c.nf_present[k]) continue;
    Napi::Object s = Napi::Object::New(env);
    s.Set("packets", static_cast<double>(c.nf[k].packets));
    s.Set("forwarded", static_cast<double>(c.nf[k].forwarded));
    s.Set("dropped", static_cast<double>(c.nf[k].dropped));
    s.Set("newFlows", static_cast<double>(c.nf[k].new_flows));
    nf.Set(nf_name(static_cast<NfKind>(k)), s);
  }
  o.Set("nf", nf);
  Napi::Object st = Napi::Object::New(env);
  st.Set("roundTrips", static_cast<double>(c.store.round_trips));
  st.Set("commands", static_cast<double>(c.store.commands));
  st.Set("errors", static_cast<double>(c.store.errors));
  st.Set("reconnects", static_cast<double>(c.store.reconnects));
  st.Set("moduleFallbacks", static_cast<double>(c.store.module_fallbacks));
  if (!c.store.last_error.empty()) st.Set("lastError", c.store.last_error);
  Napi::Array lat = Napi::Array::New(env, StoreStats::kBuckets), bounds = Napi::Array::New(env, StoreStats::kBuckets);
  for (uint32_t i = 0; i < StoreStats::kBuckets; i++) {
    lat.Set(i, static_cast<double>(c.store.latency[i]));
    bounds.Set(i, static_cast<double>(kLatencyBucketsUs[i]));
  }
  st.Set("latencyUs", lat);
  st.Set("latencyBucketsUs", bounds);
  o.Set("store", st);
  if (c.has_cache) {
    Napi::Object ca = Napi::Object::New(env);
    ca.Set("hits", static_cast<double>(c.cache.hits));
    ca.Set("misses", static_cast<double>(c.cache.misses));
    ca.Set("invalidations", static_cast<double>(c.cache.invalidations));
    ca.Set("flushes", static_cast<double>(c.cache.flushes));
    ca.Set("evictions", static_cast<double>(c.cache.evictions));
    ca.Set("bytes", static_cast<double>(c.cache.bytes));
    ca.Set("entries", static_cast<double>(c.cache.entries));
    o.Set("cache", ca);
  }
  return o;
}

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Engine",
                       {InstanceMethod("process", &EngineWrap::Process),
                        InstanceMethod("processSync", &EngineWrap::ProcessSync),
                        InstanceMethod("setInflight", &EngineWrap::SetInflight),
                        InstanceMethod("submitSync", &EngineWrap::SubmitSync),
                        InstanceMethod("reapSync", &EngineWrap::ReapSync),
                        InstanceMethod("flush", &EngineWrap::Flush),
                        InstanceMethod("configure", &EngineWrap::Configure),
                        InstanceMethod("counters", &EngineWrap::Counters),
                        InstanceMethod("close", &EngineWrap::Close)});
  }

  explicit EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
    Napi::Env env = info.Env();
    sh_ = std::make_shared<Shared>();
    if (info.Length() < 1 || !info[0].IsObject()) {
      Napi::TypeError::New(env, "config: must be an object").ThrowAsJavaScriptException();
      return;
    }
    EngineCfg cfg;
    StoreSpec spec;
    std::string err = engine_cfg_from_js(info[0].As<Napi::Object>(), cfg, &spec);
    if (!err.empty()) {
      Napi::TypeError::New(env, err).ThrowAsJavaScriptException();
      return;
    }
    auto store = make_store(spec, err);
    if (!store) {
      Napi::Error::New(env, "store." + err).ThrowAsJavaScriptException();
      return;
    }
    sh_->engine = std::make_unique<Engine>(cfg, std::move(store));
  }

 private:
  Napi::Value Process(const Napi::CallbackInfo& info) {
    std::vector<OwnedFrame> frames;
    if (!frames_from_js(info.Env(), info[0], frames)) return info.Env().Undefined();
    auto* w = new ProcessWorker(info.Env(), sh_, std::move(frames), false);
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  }

  // Runs the batch on the calling thread: for benchmarks and tools that own their thread.
  Napi::Value ProcessSync(const Napi::CallbackInfo& info) {
    std::vector<OwnedFrame> frames;
    if (!frames_from_js(info.Env(), info[0], frames)) return info.Env().Undefined();
    {
      std::lock_guard<std::mutex> lk(sh_->mu);
      if (!sh_->engine) {
        Napi::Error::New(info.Env(), "engine is closed").ThrowAsJavaScriptException();
        return info.Env().Undefined();
      }
      if (!sh_->submitted.empty()) {
        Napi::Error::New(info.Env(), "processSync: reap the batches in flight (submitSync) first").ThrowAsJavaScriptException();
        return info.Env().Undefined();
      }
      std::vector<Frame> fs(frames.size());
      for (size_t i = 0; i < frames.size(); i++) fs[i] = frames[i].f;
      sh_->engine->process(fs.data(), fs.size());
      sh_->engine->flush();  // as process(): the batch's posted writes go out before it returns
      for (size_t i = 0; i < frames.size(); i++) frames[i].f = fs[i];
    }
    return results_to_js(info.Env(), frames);
  }

  // Split phase, on the calling thread (Engine::submit / reap): for tools that own their thread.
  Napi::Value SetInflight(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber() || info[0].As<Napi::Number>().DoubleValue() != info[0].As<Napi::Number>().Int64Value() ||
        info[0].As<Napi::Number>().Int64Value() < 1 || info[0].As<Napi::Number>().Int64Value() > static_cast<int64_t>(Engine::kMaxInflight)) {
      Napi::RangeError::New(env, "inflight: must be an integer from 1 to " + std::to_string(Engine::kMaxInflight)).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    std::lock_guard<std::mutex> lk(sh_->mu);
    if (!open(env)) return env.Undefined();
    if (!sh_->submitted.empty()) {
      Napi::Error::New(env, "inflight: reap the batches in flight first").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    sh_->engine->set_inflight(static_cast<size_t>(info[0].As<Napi::Number>().Int64Value()));
    return env.Undefined();
  }

  // Returns the batch's number; throws when every lane holds a batch (reap first).
  Napi::Value SubmitSync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto b = std::make_unique<Submitted>();
    if (!frames_from_js(env, info[0], b->owned)) return env.Undefined();
    std::lock_guard<std::mutex> lk(sh_->mu);
    if (!open(env)) return env.Undefined();
    if (sh_->engine->in_flight() >= sh_->engine->inflight()) {
      Napi::Error::New(env, "submitSync: " + std::to_string(sh_->engine->inflight()) + " batches in flight already: reap first").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    b->fs.resize(b->owned.size());
    for (size_t i = 0; i < b->owned.size(); i++) b->fs[i] = b->owned[i].f;
    b->seq = sh_->engine->submit(b->fs.data(), b->fs.size());
    uint64_t seq = b->seq;
    sh_->submitted.push_back(std::move(b));
    return Napi::Number::New(env, static_cast<double>(seq));
  }

  // The oldest batch, done: { seq, frames }; null when none is in flight or (wait false) the
  // oldest still waits for the store.
  Napi::Value ReapSync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    bool wait = info.Length() > 0 && info[0].ToBoolean().Value();
    std::unique_ptr<Submitted> b;
    {
      std::lock_guard<std::mutex> lk(sh_->mu);
      if (!open(env)) return env.Undefined();
      if (sh_->submitted.empty()) return env.Null();
      uint64_t seq = sh_->engine->reap(wait);
      if (seq == 0) return env.Null();
      b = std::move(sh_->submitted.front());
      sh_->submitted.pop_front();
      for (size_t i = 0; i < b->owned.size(); i++) b->owned[i].f = b->fs[i];
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("seq", static_cast<double>(b->seq));
    o.Set("frames", results_to_js(env, b->owned));
    return o;
  }

  bool open(Napi::Env env) {
    if (sh_->engine) return true;
    Napi::Error::New(env, "engine is closed").ThrowAsJavaScriptException();
    return false;
  }

  Napi::Value Flush(const Napi::CallbackInfo& info) {
    auto* w = new ProcessWorker(info.Env(), sh_, {}, true);
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  }

  Napi::Value Configure(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      Napi::TypeError::New(env, "tables: must be an object").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    std::lock_guard<std::mutex> lk(sh_->mu);
    if (!sh_->engine) {
      Napi::Error::New(env, "engine is closed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    EngineCfg cfg = sh_->engine->config();
    std::string err = tables_from_js(info[0].As<Napi::Object>(), cfg);
    if (!err.empty()) {
      Napi::TypeError::New(env, err).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    sh_->engine->configure(cfg);
    return env.Undefined();
  }

  Napi::Value Counters(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lk(sh_->mu);
    if (!sh_->engine) {
      Napi::Error::New(info.Env(), "engine is closed").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    return stats_to_js(info.Env(), sh_->engine->counters());
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lk(sh_->mu);
    if (sh_->engine) sh_->engine->flush();  // posted writes still held go out (without waiting)
    sh_->engine.reset();
    sh_->submitted.clear();
    return info.Env().Undefined();
  }

  std::shared_ptr<Shared> sh_;
};

bool parse_mac(const std::string& s, uint8_t out[6]) {
  unsigned b[6];
  char tail;
  if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6) return false;
  for (int i = 0; i < 6; i++) out[i] = static_cast<uint8_t>(b[i]);
  return true;
}

std::string io_from_js(const Napi::Value& v, IoCfg& io) {
  if (!v.IsObject()) return "io: must be an object";
  Napi::Object o = v.As<Napi::Object>();
  Napi::Value kind = o.Get("kind");
  std::string k = kind.IsString() ? kind.As<Napi::String>().Utf8Value() : "";
  if (k == "afpacket") io.kind = IoKind::AfPacket;
  else if (k == "af_xdp") io.kind = IoKind::AfXdp;
  else if (k == "dpdk") io.kind = IoKind::Dpdk;
  else return "io.kind: must be afpacket, af_xdp or dpdk";
  for (const char* side : {"inside", "outside"}) {
    Napi::Value pv = o.Get(side);
    std::string p = std::string("io.") + side;
    if (!pv.IsObject()) return p + ": must be { iface, peerMac }";
    Napi::Object po = pv.As<Napi::Object>();
    IoPortCfg& port = std::string(side) == "inside" ? io.in : io.out;
    Napi::Value iface = po.Get("iface"), mac = po.Get("peerMac");
    if (!iface.IsString() || iface.As<Napi::String>().Utf8Value().empty() || iface.As<Napi::String>().Utf8Value().size() >= 16)
      return p + ".iface: must be an interface name";
    port.iface = iface.As<Napi::String>().Utf8Value();
    if (!mac.IsString() || !parse_mac(mac.As<Napi::String>().Utf8Value(), port.peer_mac)) return p + ".peerMac: must be a MAC address aa:bb:cc:dd:ee:ff";
  }
  Napi::Value q = o.Get("queues"), b = o.Get("burst"), depth = o.Get("inflight");
  if (!depth.IsUndefined()) {
    if (!depth.IsNumber() || depth.As<Napi::Number>().DoubleValue() != depth.As<Napi::Number>().Int32Value() ||
        depth.As<Napi::Number>().Int32Value() < 1 || depth.As<Napi::Number>().Int32Value() > static_cast<int>(Engine::kMaxInflight))
      return "io.inflight: must be an integer from 1 to " + std::to_string(Engine::kMaxInflight);
    io.inflight = depth.As<Napi::Number>().Int32Value();
  }
  if (!q.IsUndefined()) {
    if (!q.IsNumber() || q.As<Napi::Number>().Int32Value() < 1 || q.As<Napi::Number>().Int32Value() > 16) return "io.queues: must be 1..16";
    io.queues = q.As<Napi::Number>().Int32Value();
  }
  if (!b.IsUndefined()) {
    if (!b.IsNumber() || b.As<Napi::Number>().Int32Value() < 1 || b.As<Napi::Number>().Int32Value() > 256) return "io.burst: must be 1..256";
    io.burst = b.As<Napi::Number>().Int32Value();
  }
  if (io.in.iface == io.out.iface) return "io.outside.iface: must differ from io.inside.iface";
  return "";
}

Napi::Object port_to_js(Napi::Env env, const PortCounters& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("rx", static_cast<double>(p.rx));
  o.Set("tx", static_cast<double>(p.tx));
  o.Set("rxDropped", static_cast<double>(p.rx_dropped));
  o.Set("txErrors", static_cast<double>(p.tx_errors));
  return o;
}

// A running instance: engine threads on AF_PACKET sockets. start/stop/configure/counters.
class DataplaneWrap : public Napi::ObjectWrap<DataplaneWrap> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Dataplane",
                       {InstanceMethod("start", &DataplaneWrap::Start), InstanceMethod("stop", &DataplaneWrap::Stop),
                        InstanceMethod("configure", &DataplaneWrap::Configure),
                        InstanceMethod("counters", &DataplaneWrap::Counters)});
  }

  explicit DataplaneWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DataplaneWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject()) {
      Napi::TypeError::New(env, "Dataplane(engineConfig, ioConfig)").ThrowAsJavaScriptException();
      return;
    }
    StoreSpec spec;
    std::string err = engine_cfg_from_js(info[0].As<Napi::Object>(), cfg_, &spec);
    IoCfg io;
    if (err.empty()) err = io_from_js(info[1], io);
    if (!err.empty()) {
      Napi::TypeError::New(env, err).ThrowAsJavaScriptException();
      return;
    }
    // A plugin that cannot be loaded is refused here, before any queue's thread asks for a store.
    if (spec.plugin && !PluginLibrary::load(spec.plugin_opts.path, err)) {
      Napi::Error::New(env, "store." + err).ThrowAsJavaScriptException();
      return;
    }
    dp_ = std::make_unique<Dataplane>(cfg_, [spec] {
      std::string e;
      return make_store(spec, e);
    }, io);
    err = dp_->open();
    if (!err.empty()) {
      dp_.reset();
      Napi::Error::New(env, err).ThrowAsJavaScriptException();
    }
  }

 private:
  bool ok(Napi::Env env) {
    if (dp_) return true;
    Napi::Error::New(env, "dataplane is not open").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Value Start(const Napi::CallbackInfo& info) {
    if (ok(info.Env())) dp_->start();
    return info.Env().Undefined();
  }
  Napi::Value Stop(const Napi::CallbackInfo& info) {
    if (dp_) {
      dp_->stop();
      dp_.reset();  // closes the sockets: a stopped dataplane holds nothing
    }
    return info.Env().Undefined();
  }
  Napi::Value Configure(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ok(env)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsObject()) {
      Napi::TypeError::New(env, "tables: must be an object").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    EngineCfg next = cfg_;
    std::string err = tables_from_js(info[0].As<Napi::Object>(), next);
    if (!err.empty()) {
      Napi::TypeError::New(env, err).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    cfg_ = next;
    dp_->configure(cfg_);
    return env.Undefined();
  }
  Napi::Value Counters(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ok(env)) return env.Undefined();
    DataplaneCounters c = dp_->counters();
    Napi::Object o = stats_to_js(env, c.engine);
    Napi::Object io = Napi::Object::New(env);
    io.Set("inside", port_to_js(env, c.in));
    io.Set("outside", port_to_js(env, c.out));
    io.Set("bursts", static_cast<double>(c.bursts));
    o.Set("io", io);
    return o;
  }

  EngineCfg cfg_;
  std::unique_ptr<Dataplane> dp_;
};

}  // namespace

Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  exports.Set("Engine", EngineWrap::Init(env));
  exports.Set("Dataplane", DataplaneWrap::Init(env));
  exports.Set("ExitWatch", InitExitWatch(env));
  exports.Set("RouteSocket", InitRouteSocket(env));
  exports.Set("StoreSweeper", InitStoreSweeper(env));
  return exports;
}

}  // namespace snf

static Napi::Object Init(Napi::Env env, Napi::Object exports) { return snf::InitAddon(env, exports); }
NODE_API_MODULE(snf, Init)
