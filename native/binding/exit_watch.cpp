// ExitWatch: tells JavaScript the moment another process exits, without polling and without
// being its parent. A pidfd (pidfd_open(2), Linux >= 5.3) becomes readable when its process
// exits (a zombie counts), and libuv can wait on it like any other fd, so the steering
// controller learns of a kill -9 in one wake-up instead of on its next poll tick.
//
//   new ExitWatch(pid, onExit)   onExit() is called once, on the JS thread, when pid exits
//   watch.close()                stops watching (idempotent); also done when collected
//   ExitWatch.supported()        false when the kernel has no pidfd_open (ENOSYS)
//
// A pid that is already gone (ESRCH) is reported through onExit on the next loop turn, so callers
// have one path. The handle is unref'd: watching a process never keeps Node alive.
#include "exit_watch.hpp"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

#include <cstring>
#include <string>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434  // same number on every architecture (unified syscall table)
#endif

namespace snf {
namespace {

int pidfd_open(int pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// Lives until libuv has closed the handle: its close callback frees it, not the JS object,
// because the JS object may be collected while a close is still pending.
struct Poll {
  uv_poll_t handle{};
  int fd = -1;
  class ExitWatch* owner = nullptr;
};

// Already-gone pids: onExit is deferred with a check handle instead, so it never runs inside
// the constructor (the caller has not stored the watch yet).
struct Deferred {
  uv_check_t handle{};
  class ExitWatch* owner = nullptr;
};

class ExitWatch : public Napi::ObjectWrap<ExitWatch> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "ExitWatch",
                       {InstanceMethod("close", &ExitWatch::Close), StaticMethod("supported", &ExitWatch::Supported)});
  }

  explicit ExitWatch(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ExitWatch>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction()) {
      Napi::TypeError::New(env, "ExitWatch(pid, onExit): pid must be a number and onExit a function").ThrowAsJavaScriptException();
      return;
    }
    double p = info[0].As<Napi::Number>().DoubleValue();
    if (!(p >= 1 && p <= 4194304) || p != static_cast<double>(static_cast<int>(p))) {
      Napi::RangeError::New(env, "ExitWatch: pid must be an integer in 1..4194304, got " + info[0].ToString().Utf8Value()).ThrowAsJavaScriptException();
      return;
    }
    cb_ = Napi::Persistent(info[1].As<Napi::Function>());
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      Napi::Error::New(env, "ExitWatch: no event loop").ThrowAsJavaScriptException();
      return;
    }
    int fd = pidfd_open(static_cast<int>(p));
    if (fd < 0 && errno == ESRCH) {
      auto* d = new Deferred();
      d->owner = this;
      uv_check_init(loop, &d->handle);
      d->handle.data = d;
      uv_check_start(&d->handle, [](uv_check_t* h) {
        auto* d = static_cast<Deferred*>(h->data);
        uv_check_stop(h);
        ExitWatch* w = d->owner;
        if (w) w->deferred_ = nullptr;
        uv_close(reinterpret_cast<uv_handle_t*>(h), [](uv_handle_t* h) { delete static_cast<Deferred*>(h->data); });
        if (w) w->Fire();
      });
      uv_unref(reinterpret_cast<uv_handle_t*>(&d->handle));
      deferred_ = d;
      Ref();  // kept alive until it has fired: the caller may drop it right away
      return;
    }
    if (fd < 0) {
      Napi::Error::New(env, std::string("ExitWatch: pidfd_open(") + std::to_string(static_cast<int>(p)) + "): " + std::strerror(errno)).ThrowAsJavaScriptException();
      return;
    }
    auto* pl = new Poll();
    pl->fd = fd;
    pl->owner = this;
    int rc = uv_poll_init(loop, &pl->handle, fd);
    if (rc != 0) {
      ::close(fd);
      delete pl;
      Napi::Error::New(env, std::string("ExitWatch: uv_poll_init: ") + uv_strerror(rc)).ThrowAsJavaScriptException();
      return;
    }
    pl->handle.data = pl;
    uv_poll_start(&pl->handle, UV_READABLE, [](uv_poll_t* h, int status, int events) {
      auto* pl = static_cast<Poll*>(h->data);
      ExitWatch* w = pl->owner;
      // readable (exited) or an error on the fd: either way this watch is over; the JS side
      // confirms the death with kill(pid, 0) before acting on it
      if (w) {
        w->StopHandles();
        w->Fire();
      }
    });
    uv_unref(reinterpret_cast<uv_handle_t*>(&pl->handle));
    poll_ = pl;
    Ref();
  }

  // only at environment teardown: while watching, the JS object is held (Ref) and not collected
  ~ExitWatch() override { StopHandles(); }

 private:
  static Napi::Value Supported(const Napi::CallbackInfo& info) {
    int fd = pidfd_open(static_cast<int>(getpid()));
    bool ok = fd >= 0 || errno != ENOSYS;
    if (fd >= 0) ::close(fd);
    return Napi::Boolean::New(info.Env(), ok);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    StopHandles();
    Release();
    return info.Env().Undefined();
  }

  void StopHandles() {
    if (poll_) {
      Poll* pl = poll_;
      poll_ = nullptr;
      pl->owner = nullptr;
      uv_poll_stop(&pl->handle);
      uv_close(reinterpret_cast<uv_handle_t*>(&pl->handle), [](uv_handle_t* h) {
        auto* pl = static_cast<Poll*>(h->data);
        ::close(pl->fd);
        delete pl;
      });
    }
    if (deferred_) {
      Deferred* d = deferred_;
      deferred_ = nullptr;
      d->owner = nullptr;
      uv_check_stop(&d->handle);
      uv_close(reinterpret_cast<uv_handle_t*>(&d->handle), [](uv_handle_t* h) { delete static_cast<Deferred*>(h->data); });
    }
  }

  // after this the JS object may be collected: the last thing a path through the watch does
  void Release() {
    if (!held_) return;
    held_ = false;
    Unref();
  }

  void Fire() {
    if (fired_ || cb_.IsEmpty()) return;
    fired_ = true;
    Napi::Env env = cb_.Env();
    Napi::HandleScope scope(env);
    Napi::AsyncContext ctx(env, "snf.ExitWatch");
    // MakeCallback, not Call: runs the microtasks the callback queues, as a libuv callback should
    cb_.MakeCallback(env.Global(), {}, ctx);
    if (env.IsExceptionPending()) {
      // an exception from onExit is the caller's bug: report it like an uncaught one
      Napi::Error e = env.GetAndClearPendingException();
      napi_fatal_exception(env, e.Value());
    }
    Release();
  }

  void Ref() {
    Napi::ObjectWrap<ExitWatch>::Ref();
    held_ = true;
  }

  Napi::FunctionReference cb_;
  Poll* poll_ = nullptr;
  Deferred* deferred_ = nullptr;
  bool fired_ = false;
  bool held_ = false;
};

}  // namespace

Napi::Function InitExitWatch(Napi::Env env) { return ExitWatch::Init(env); }

}  // namespace snf
