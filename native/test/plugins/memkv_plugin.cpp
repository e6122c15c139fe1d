// The store plugin ABI's reference plugin: an in-memory table shared by every handle of the
// process that names the same `space`, so two PluginStores on it behave like two instances on
// one store. For the native tests of PluginStore only (the product's plugin is RAMCloud's,
// native/plugins/ramcloud/); it follows native/store/plugin_abi.h and nothing else.
// Config: "space=NAME" (required), "down=1" (every op is UNAVAILABLE: a store that is gone).
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "store/plugin_abi.h"

namespace {

struct Object {
  std::string value;
  uint64_t version = 0;
};
struct Space {
  std::map<std::string, Object> table;
  uint64_t next_version = 1;
};

std::mutex g_mu;
std::map<std::string, Space>& spaces() {
  static std::map<std::string, Space> s;
  return s;
}

struct Handle {
  std::string space;
  bool down = false;
  std::vector<std::string> out;  // GET results, valid until the next call
};

void* open_(const char* config, char* err, size_t err_len) {
  auto fail = [&](const char* m) -> void* {
    std::snprintf(err, err_len, "%s", m);
    return nullptr;
  };
  if (!config) return fail("config: missing");
  auto* h = new Handle();
  std::string c = config;
  size_t p = 0;
  while (p <= c.size()) {
    size_t semi = c.find(';', p);
    if (semi == std::string::npos) semi = c.size();
    std::string kv = c.substr(p, semi - p);
    p = semi + 1;
    if (kv.empty()) continue;
    size_t eq = kv.find('=');
    std::string k = kv.substr(0, eq), v = eq == std::string::npos ? "" : kv.substr(eq + 1);
    if (k == "space") h->space = v;
    else if (k == "down") h->down = v == "1";
    else {
      delete h;
      return fail(("config: unknown key " + k).c_str());
    }
  }
  if (h->space.empty()) {
    delete h;
    return fail("config: space: is required");
  }
  return h;
}

void close_(void* h) { delete static_cast<Handle*>(h); }

uint32_t execute_(void* hp, snf_kv_op* ops, size_t n) {
  auto* h = static_cast<Handle*>(hp);
  std::lock_guard<std::mutex> lock(g_mu);
  Space& s = spaces()[h->space];
  h->out.assign(n, std::string());
  for (size_t i = 0; i < n; i++) {
    snf_kv_op& op = ops[i];
    if (h->down) {
      op.status = SNF_KV_UNAVAILABLE;
      continue;
    }
    std::string key(op.key, op.key_len);
    auto it = s.table.find(key);
    bool exists = it != s.table.end();
    bool cond_ok = op.cond == SNF_KV_ANY || (op.cond == SNF_KV_ABSENT && !exists) ||
                   (op.cond == SNF_KV_VERSION && exists && it->second.version == op.version);
    switch (op.kind) {
      case SNF_KV_GET:
        if (!exists) {
          op.status = SNF_KV_NOT_FOUND;
          break;
        }
        h->out[i] = it->second.value;
        op.out_val = h->out[i].data();
        op.out_len = static_cast<uint32_t>(h->out[i].size());
        op.out_version = it->second.version;
        op.status = SNF_KV_OK;
        break;
      case SNF_KV_PUT:
        if (!cond_ok) {
          op.status = SNF_KV_CONFLICT;
          break;
        }
        s.table[key] = Object{std::string(op.val, op.val_len), s.next_version++};
        op.out_version = s.table[key].version;
        op.status = SNF_KV_OK;
        break;
      case SNF_KV_DEL:
        if (op.cond == SNF_KV_VERSION && !cond_ok) {
          op.status = SNF_KV_CONFLICT;
          break;
        }
        if (exists) s.table.erase(it);
        op.status = SNF_KV_OK;
        break;
      case SNF_KV_INCR: {
        if (op.cond != SNF_KV_ANY) {
          op.status = SNF_KV_ERROR;
          break;
        }
        int64_t v = 0;
        if (exists && it->second.value.size() == 8) std::memcpy(&v, it->second.value.data(), 8);
        v += op.delta;
        Object& o = s.table[key];
        o.value.assign(reinterpret_cast<const char*>(&v), 8);
        o.version = s.next_version++;
        op.out_int = v;
        op.out_version = o.version;
        op.status = SNF_KV_OK;
        break;
      }
      default: op.status = SNF_KV_ERROR;
    }
  }
  return n ? 1 : 0;
}

struct Cursor {
  std::string after;
  bool started = false;
  std::vector<std::pair<std::string, std::string>> page;
};

size_t scan_(void* hp, void** cursor, snf_kv_op* out, size_t max) {
  auto* h = static_cast<Handle*>(hp);
  std::lock_guard<std::mutex> lock(g_mu);
  Space& s = spaces()[h->space];
  auto* c = static_cast<Cursor*>(*cursor);
  if (!c) *cursor = c = new Cursor();
  c->page.clear();
  auto it = c->started ? s.table.upper_bound(c->after) : s.table.begin();
  for (; it != s.table.end() && c->page.size() < max; ++it) c->page.emplace_back(it->first, it->second.value);
  if (c->page.empty()) {
    delete c;
    *cursor = nullptr;
    return 0;
  }
  c->started = true;
  c->after = c->page.back().first;
  for (size_t i = 0; i < c->page.size(); i++) {
    out[i] = snf_kv_op{};
    out[i].kind = SNF_KV_GET;
    out[i].key = c->page[i].first.data();
    out[i].key_len = static_cast<uint16_t>(c->page[i].first.size());
    out[i].out_val = c->page[i].second.data();
    out[i].out_len = static_cast<uint32_t>(c->page[i].second.size());
    out[i].status = SNF_KV_OK;
  }
  return c->page.size();
}

void scan_end_(void*, void* cursor) { delete static_cast<Cursor*>(cursor); }
const char* last_error_(void* hp) { return static_cast<Handle*>(hp)->down ? "memkv: down" : "memkv: error"; }

const snf_store_plugin kPlugin = {SNF_STORE_PLUGIN_ABI_VERSION, 0, "memkv", open_, close_, execute_, scan_, scan_end_,
                                  last_error_};

}  // namespace

extern "C" __attribute__((visibility("default"))) const snf_store_plugin* snf_store_plugin_v1(void) { return &kPlugin; }
