/*
 * The store plugin ABI: how the data plane talks to a key-value store it does not link.
 *
 * A plugin is a shared object loaded with dlopen (PluginStore, plugin_store.hpp). It exports one
 * symbol, snf_store_plugin_v1, returning a table of C functions. Plain C so a plugin can be built
 * with another compiler, C++ standard or runtime than the engine (RAMCloud wants C++20 and its
 * own protobuf), and no C++ exception or object ever crosses it.
 *
 * The plugin is a dumb, batched key-value store: get, put (unconditional, create-if-absent or
 * compare-and-swap on a version), delete (optionally on a version), increment, and a scan for the
 * expiry sweeper. Everything the NFs need beyond that (the Lua scripts Redis runs: port
 * allocation, TCP state transitions, backend assignment, expiry) is built on these by the engine
 * side, in plugin_store.cpp, once for every plugin.
 *
 * Threading: a handle is used by one thread at a time (the engine's batch lock); separate
 * handles may be used from separate threads.
 */
#ifndef SNF_STORE_PLUGIN_ABI_H
#define SNF_STORE_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SNF_STORE_PLUGIN_ABI_VERSION 1u

enum snf_kv_kind {
  SNF_KV_GET = 0,  /* out: status OK + value + version, or NOT_FOUND */
  SNF_KV_PUT = 1,  /* under `cond`; out: status OK + version, or CONFLICT */
  SNF_KV_DEL = 2,  /* under `cond` (ANY or VERSION); out: OK (also when absent) or CONFLICT */
  SNF_KV_INCR = 3  /* adds `delta` to a signed 64-bit integer object (created at 0); cond must be ANY
                      (else ERROR); out: out_int */
};

enum snf_kv_cond {
  SNF_KV_ANY = 0,     /* no condition */
  SNF_KV_ABSENT = 1,  /* only if the key does not exist (create-if-absent) */
  SNF_KV_VERSION = 2  /* only if the key exists with exactly `version` (compare-and-swap) */
};

enum snf_kv_status {
  SNF_KV_OK = 0,
  SNF_KV_NOT_FOUND = 1,
  SNF_KV_CONFLICT = 2,    /* the condition did not hold; nothing was changed */
  SNF_KV_UNAVAILABLE = 3, /* the store could not be reached in time; the op may not have run */
  SNF_KV_ERROR = 4        /* anything else (see last_error) */
};

/* One operation of a batch, and its result. Keys and values are bytes, not strings. */
struct snf_kv_op {
  /* in */
  uint8_t kind; /* snf_kv_kind */
  uint8_t cond; /* snf_kv_cond */
  uint16_t key_len;
  uint32_t val_len;
  const char* key;
  const char* val;  /* PUT */
  uint64_t version; /* cond == SNF_KV_VERSION */
  int64_t delta;    /* INCR */
  /* out */
  uint8_t status; /* snf_kv_status */
  uint32_t out_len;
  const char* out_val;  /* GET: valid until the next execute/scan on this handle */
  uint64_t out_version; /* GET, PUT: the object's version after the op */
  int64_t out_int;      /* INCR: the new value */
};

/* Capabilities a plugin declares. */
#define SNF_KV_CAP_MULTI_OP 1u /* a batch of ops costs one round trip per server, not one per op */

struct snf_store_plugin {
  uint32_t abi_version; /* SNF_STORE_PLUGIN_ABI_VERSION */
  uint32_t caps;        /* SNF_KV_CAP_* */
  const char* name;     /* "ramcloud" */
  /* `config` is the plugin's own "k=v;k=v" string. NULL on failure, with the reason in err. */
  void* (*open)(const char* config, char* err, size_t err_len);
  void (*close)(void* handle);
  /*
   * Runs ops[0..n), whose keys are pairwise distinct, in any order (a plugin groups them into
   * multi-reads, multi-writes, ...). Returns the number of store round trips it took.
   */
  uint32_t (*execute)(void* handle, struct snf_kv_op* ops, size_t n);
  /*
   * Scans the store, for the expiry sweeper: fills up to `max` ops (kind GET, key and value set,
   * version unknown: 0) and returns how many; 0 when the scan is over. *cursor starts NULL and
   * is released by the plugin when the scan ends or by scan_end.
   */
  size_t (*scan)(void* handle, void** cursor, struct snf_kv_op* out, size_t max);
  void (*scan_end)(void* handle, void* cursor);
  /* Why the last op failed with ERROR or UNAVAILABLE (a static or handle-owned string). */
  const char* (*last_error)(void* handle);
};

typedef const struct snf_store_plugin* (*snf_store_plugin_entry)(void);
#define SNF_STORE_PLUGIN_SYMBOL "snf_store_plugin_v1"

#ifdef __cplusplus
}
#endif

#endif /* SNF_STORE_PLUGIN_ABI_H */
