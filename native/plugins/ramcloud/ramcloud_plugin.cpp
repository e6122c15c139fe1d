// The RAMCloud store plugin (native/store/plugin_abi.h) over RAMCloud's C++ client.
//
// Built by scripts/ramcloud/build.sh against the stateless.net fork's headers, never by the
// default build. The C API (CRamCloud.h) cannot be used: its calls wait forever when a master is
// gone (the client retries until the tablet is back), and the fork's only bounded waits are the
// C++ MultiOp::waitUntil and RamCloudTimed. Every batch here is one MultiRead / MultiWrite /
// MultiRemove / MultiIncrement per kind of op present, each waited on with a deadline
// (timeout_ms); past it the ops come back SNF_KV_UNAVAILABLE. Multi-ops also avoid the
// linearizable single-object RPCs, whose client lease blocks on the coordinator without a bound.
//
// Config: "coordinator=<locator>;cluster=<name>;table=<name>;span=<n>;timeout_ms=<n>;log=<path>"
// (only coordinator is required; unknown keys are refused).

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "plugin_abi.h"

#include "ClientException.h"
#include "Cycles.h"
#include "Logger.h"
#include "MultiIncrement.h"
#include "MultiRead.h"
#include "MultiRemove.h"
#include "MultiWrite.h"
#include "Object.h"
#include "ObjectBuffer.h"
#include "RamCloud.h"
#include "RamCloudTimed.h"
#include "TableEnumerator.h"

namespace {

using RAMCloud::Status;

struct Config {
  std::string coordinator;
  std::string cluster = "main";
  std::string table = "snf";
  uint32_t span = 1;
  uint64_t timeoutMs = 1000;
  std::string log;
};

void setErr(char* err, size_t errLen, const std::string& msg) {
  if (err == nullptr || errLen == 0) return;
  std::snprintf(err, errLen, "%s", msg.c_str());
}

bool parseUint(const std::string& s, uint64_t lo, uint64_t hi, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  uint64_t v = std::strtoull(s.c_str(), nullptr, 10);
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

// Strict: every key known, each at most once, coordinator present. A RAMCloud service locator
// holds ',' and '=' but never ';', so ';' separates pairs and the first '=' splits each.
bool parseConfig(const char* text, Config* cfg, std::string* why) {
  if (text == nullptr) {
    *why = "config is NULL";
    return false;
  }
  std::string s(text);
  std::vector<std::string> seen;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(';', pos);
    if (end == std::string::npos) end = s.size();
    std::string pair = s.substr(pos, end - pos);
    pos = end + 1;
    if (pair.empty()) {
      if (end == s.size()) break;
      *why = "empty entry in config (two ';' in a row)";
      return false;
    }
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      *why = "config entry '" + pair + "' is not key=value";
      return false;
    }
    std::string key = pair.substr(0, eq), val = pair.substr(eq + 1);
    for (const auto& k : seen)
      if (k == key) {
        *why = "config key '" + key + "' given twice";
        return false;
      }
    seen.push_back(key);
    uint64_t n = 0;
    if (key == "coordinator") {
      if (val.empty()) {
        *why = "coordinator: empty locator";
        return false;
      }
      cfg->coordinator = val;
    } else if (key == "cluster") {
      if (val.empty()) {
        *why = "cluster: empty name";
        return false;
      }
      cfg->cluster = val;
    } else if (key == "table") {
      if (val.empty() || val.size() > 255) {
        *why = "table: must be 1..255 characters";
        return false;
      }
      cfg->table = val;
    } else if (key == "span") {
      if (!parseUint(val, 1, 1024, &n)) {
        *why = "span: '" + val + "' is not an integer in 1..1024";
        return false;
      }
      cfg->span = static_cast<uint32_t>(n);
    } else if (key == "timeout_ms") {
      if (!parseUint(val, 1, 600000, &n)) {
        *why = "timeout_ms: '" + val + "' is not an integer in 1..600000";
        return false;
      }
      cfg->timeoutMs = n;
    } else if (key == "log") {
      if (val.empty()) {
        *why = "log: empty path";
        return false;
      }
      cfg->log = val;
    } else {
      *why = "unknown config key '" + key +
             "' (known: coordinator, cluster, table, span, timeout_ms, log)";
      return false;
    }
  }
  if (cfg->coordinator.empty()) {
    *why = "missing coordinator (e.g. coordinator=tcp:host=127.0.0.1,port=11100)";
    return false;
  }
  return true;
}

RAMCloud::RejectRules rulesFor(uint8_t cond, uint64_t version) {
  RAMCloud::RejectRules r;
  std::memset(&r, 0, sizeof r);
  if (cond == SNF_KV_ABSENT) {
    r.exists = 1;
  } else if (cond == SNF_KV_VERSION) {
    r.doesntExist = 1;
    r.versionNeGiven = 1;
    r.givenVersion = version;
  }
  return r;
}

struct Handle {
  Config cfg;
  std::unique_ptr<RAMCloud::RamCloud> rc;
  std::unique_ptr<RAMCloud::RamCloudTimed> timed;
  uint64_t tableId = 0;
  std::string lastError;

  // Per-kind scratch, kept across batches so a warm handle does not grow them again. The
  // request objects are rebuilt in place (they hold pointers into the caller's ops).
  std::vector<size_t> readIdx, writeIdx, removeIdx, incrIdx;
  std::vector<RAMCloud::MultiReadObject> reads;
  // GET out_val points into these; Tub is neither copyable nor movable, hence the pointers.
  std::vector<std::unique_ptr<RAMCloud::Tub<RAMCloud::ObjectBuffer>>> readValues;
  std::vector<RAMCloud::MultiReadObject*> readPtrs;
  std::vector<RAMCloud::MultiWriteObject> writes;
  std::vector<RAMCloud::MultiWriteObject*> writePtrs;
  std::vector<RAMCloud::MultiRemoveObject> removes;
  std::vector<RAMCloud::MultiRemoveObject*> removePtrs;
  std::vector<RAMCloud::MultiIncrementObject> incrs;
  std::vector<RAMCloud::MultiIncrementObject*> incrPtrs;
  std::vector<size_t> incrPending, incrAbsent;
  std::vector<int64_t> incrValues;
};

struct ScanCursor {
  std::unique_ptr<RAMCloud::TableEnumerator> e;
  std::vector<char> arena;  // keys and values of the last scan() call
};

uint64_t deadlineIn(uint64_t ms) {
  return RAMCloud::Cycles::rdtsc() + RAMCloud::Cycles::fromMilliseconds(ms);
}

void setAll(Handle* h, snf_kv_op* ops, const std::vector<size_t>& idx, uint8_t status) {
  for (size_t i : idx) ops[i].status = status;
}

// Waits for one multi-op with the handle's deadline. False: it timed out (and was canceled).
template <typename Op>
bool waitBounded(Handle* h, Op& op) {
  if (op.waitUntil(deadlineIn(h->cfg.timeoutMs))) return true;
  op.cancel();
  return false;
}

std::string timeoutText(const Handle* h, const char* what) {
  return std::string("RAMCloud ") + what + " got no answer within " +
         std::to_string(h->cfg.timeoutMs) + " ms (coordinator " + h->cfg.coordinator +
         "): store unavailable";
}

// The status of a conditional write/remove, in ABI terms.
uint8_t condStatus(Handle* h, Status s, const char* what) {
  switch (s) {
    case RAMCloud::STATUS_OK:
      return SNF_KV_OK;
    case RAMCloud::STATUS_OBJECT_EXISTS:
    case RAMCloud::STATUS_WRONG_VERSION:
    case RAMCloud::STATUS_OBJECT_DOESNT_EXIST:  // only with a VERSION rule: the key is gone
      return SNF_KV_CONFLICT;
    default:
      h->lastError = std::string(what) + ": " + RAMCloud::statusToSymbol(s);
      return SNF_KV_ERROR;
  }
}

// Checks the op's shape; false (status ERROR, last_error says why) if it cannot run.
bool validOp(Handle* h, snf_kv_op& op) {
  const char* why = nullptr;
  if (op.key == nullptr || op.key_len == 0)
    why = "empty key";
  else if (op.kind == SNF_KV_GET && op.cond != SNF_KV_ANY)
    why = "GET takes no condition";
  else if (op.kind == SNF_KV_PUT && op.cond > SNF_KV_VERSION)
    why = "PUT: unknown condition";
  else if (op.kind == SNF_KV_PUT && op.val == nullptr && op.val_len != 0)
    why = "PUT: NULL value with a non-zero length";
  else if (op.kind == SNF_KV_DEL && op.cond != SNF_KV_ANY && op.cond != SNF_KV_VERSION)
    why = "DEL takes ANY or VERSION";
  else if (op.kind == SNF_KV_INCR && op.cond != SNF_KV_ANY)
    why = "INCR takes no condition";
  else if (op.kind > SNF_KV_INCR)
    why = "unknown op kind";
  if (why == nullptr) return true;
  op.status = SNF_KV_ERROR;
  h->lastError = why;
  return false;
}

// INCR. The fork's RejectRules refuse a version rule on an absent object (OBJECT_DOESNT_EXIST),
// and its server-side increment writes the new value under exactly such a rule, so incrementing
// an absent key fails instead of counting from 0. So: multiIncrement; the keys that were absent
// are created holding `delta` by a create-if-absent multiWrite; those another client created in
// between are incremented again. A counter's first use costs one more round trip; the loop is
// bounded (each lap needs a concurrent create of the same key to lose).
uint32_t increments(Handle* h, snf_kv_op* ops) {
  const uint64_t table = h->tableId;
  uint32_t calls = 0;
  h->incrPending.assign(h->incrIdx.begin(), h->incrIdx.end());
  for (int lap = 0; lap < 4 && !h->incrPending.empty(); lap++) {
    size_t m = h->incrPending.size();
    h->incrs.resize(m);
    h->incrPtrs.resize(m);
    for (size_t j = 0; j < m; j++) {
      const snf_kv_op& op = ops[h->incrPending[j]];
      h->incrs[j] = RAMCloud::MultiIncrementObject(table, op.key, op.key_len, op.delta, 0.0);
      h->incrPtrs[j] = &h->incrs[j];
    }
    calls++;
    RAMCloud::MultiIncrement mi(h->rc.get(), h->incrPtrs.data(), static_cast<uint32_t>(m));
    if (!waitBounded(h, mi)) {
      h->lastError = timeoutText(h, "multiIncrement");
      setAll(h, ops, h->incrPending, SNF_KV_UNAVAILABLE);
      return calls;
    }
    h->incrAbsent.clear();
    for (size_t j = 0; j < m; j++) {
      snf_kv_op& op = ops[h->incrPending[j]];
      const auto& r = h->incrs[j];
      if (r.status == RAMCloud::STATUS_OK) {
        op.status = SNF_KV_OK;
        op.out_int = r.newValue.asInt64;
        op.out_version = r.version;
      } else if (r.status == RAMCloud::STATUS_OBJECT_DOESNT_EXIST) {
        h->incrAbsent.push_back(h->incrPending[j]);
      } else {
        // STATUS_INVALID_OBJECT: the key holds something that is not an 8-byte integer
        op.status = SNF_KV_ERROR;
        h->lastError = std::string("INCR: ") + RAMCloud::statusToSymbol(r.status);
      }
    }
    h->incrPending.clear();
    if (h->incrAbsent.empty()) break;

    size_t a = h->incrAbsent.size();
    h->incrValues.resize(a);
    h->writes.resize(a);
    h->writePtrs.resize(a);
    RAMCloud::RejectRules createOnly = rulesFor(SNF_KV_ABSENT, 0);
    for (size_t j = 0; j < a; j++) {
      const snf_kv_op& op = ops[h->incrAbsent[j]];
      h->incrValues[j] = op.delta;  // x86-64: the little-endian 8 bytes RAMCloud's increment reads
      h->writes[j] = RAMCloud::MultiWriteObject(table, op.key, op.key_len, &h->incrValues[j],
                                                sizeof(int64_t), &createOnly);
      h->writePtrs[j] = &h->writes[j];
    }
    calls++;
    RAMCloud::MultiWrite mw(h->rc.get(), h->writePtrs.data(), static_cast<uint32_t>(a));
    if (!waitBounded(h, mw)) {
      h->lastError = timeoutText(h, "multiWrite (creating counters)");
      setAll(h, ops, h->incrAbsent, SNF_KV_UNAVAILABLE);
      return calls;
    }
    for (size_t j = 0; j < a; j++) {
      snf_kv_op& op = ops[h->incrAbsent[j]];
      const auto& w = h->writes[j];
      if (w.status == RAMCloud::STATUS_OK) {
        op.status = SNF_KV_OK;
        op.out_int = op.delta;
        op.out_version = w.version;
      } else if (w.status == RAMCloud::STATUS_OBJECT_EXISTS) {
        h->incrPending.push_back(h->incrAbsent[j]);  // created meanwhile: increment it
      } else {
        op.status = SNF_KV_ERROR;
        h->lastError = std::string("INCR (create): ") + RAMCloud::statusToSymbol(w.status);
      }
    }
  }
  for (size_t i : h->incrPending) {
    ops[i].status = SNF_KV_ERROR;
    h->lastError = "INCR: the key kept being created and deleted under us";
  }
  return calls;
}

uint32_t executeImpl(Handle* h, snf_kv_op* ops, size_t n) {
  h->readIdx.clear();
  h->writeIdx.clear();
  h->removeIdx.clear();
  h->incrIdx.clear();
  for (size_t i = 0; i < n; i++) {
    snf_kv_op& op = ops[i];
    op.status = SNF_KV_ERROR;
    op.out_len = 0;
    op.out_val = nullptr;
    op.out_version = 0;
    op.out_int = 0;
    if (!validOp(h, op)) continue;
    switch (op.kind) {
      case SNF_KV_GET: h->readIdx.push_back(i); break;
      case SNF_KV_PUT: h->writeIdx.push_back(i); break;
      case SNF_KV_DEL: h->removeIdx.push_back(i); break;
      default: h->incrIdx.push_back(i); break;
    }
  }

  uint32_t calls = 0;
  bool unavailable = false;  // once one multi-op timed out, do not wait again in this batch
  const uint64_t table = h->tableId;

  if (!h->readIdx.empty()) {
    size_t m = h->readIdx.size();
    while (h->readValues.size() < m)
      h->readValues.push_back(std::make_unique<RAMCloud::Tub<RAMCloud::ObjectBuffer>>());
    h->reads.resize(m);
    h->readPtrs.resize(m);
    for (size_t j = 0; j < m; j++) {
      const snf_kv_op& op = ops[h->readIdx[j]];
      h->readValues[j]->destroy();
      h->reads[j] = RAMCloud::MultiReadObject(table, op.key, op.key_len, h->readValues[j].get());
      h->readPtrs[j] = &h->reads[j];
    }
    calls++;
    RAMCloud::MultiRead mr(h->rc.get(), h->readPtrs.data(), static_cast<uint32_t>(m));
    if (!waitBounded(h, mr)) {
      unavailable = true;
      h->lastError = timeoutText(h, "multiRead");
      setAll(h, ops, h->readIdx, SNF_KV_UNAVAILABLE);
    } else {
      for (size_t j = 0; j < m; j++) {
        snf_kv_op& op = ops[h->readIdx[j]];
        const auto& r = h->reads[j];
        RAMCloud::Tub<RAMCloud::ObjectBuffer>& value = *h->readValues[j];
        if (r.status == RAMCloud::STATUS_OK && value) {
          uint32_t len = 0;
          const void* v = value->getValue(&len);
          op.status = SNF_KV_OK;
          op.out_val = static_cast<const char*>(v);
          op.out_len = len;
          op.out_version = r.version;
        } else if (r.status == RAMCloud::STATUS_OBJECT_DOESNT_EXIST) {
          op.status = SNF_KV_NOT_FOUND;
        } else {
          op.status = SNF_KV_ERROR;
          h->lastError = std::string("GET: ") + RAMCloud::statusToSymbol(r.status);
        }
      }
    }
  }

  if (!h->writeIdx.empty()) {
    size_t m = h->writeIdx.size();
    if (unavailable) {
      setAll(h, ops, h->writeIdx, SNF_KV_UNAVAILABLE);
    } else {
      h->writes.resize(m);
      h->writePtrs.resize(m);
      for (size_t j = 0; j < m; j++) {
        const snf_kv_op& op = ops[h->writeIdx[j]];
        RAMCloud::RejectRules rr = rulesFor(op.cond, op.version);
        h->writes[j] = RAMCloud::MultiWriteObject(table, op.key, op.key_len,
                                                  op.val != nullptr ? op.val : "", op.val_len, &rr);
        h->writePtrs[j] = &h->writes[j];
      }
      calls++;
      RAMCloud::MultiWrite mw(h->rc.get(), h->writePtrs.data(), static_cast<uint32_t>(m));
      if (!waitBounded(h, mw)) {
        unavailable = true;
        h->lastError = timeoutText(h, "multiWrite");
        setAll(h, ops, h->writeIdx, SNF_KV_UNAVAILABLE);
      } else {
        for (size_t j = 0; j < m; j++) {
          snf_kv_op& op = ops[h->writeIdx[j]];
          op.status = condStatus(h, h->writes[j].status, "PUT");
          if (op.status == SNF_KV_OK) op.out_version = h->writes[j].version;
        }
      }
    }
  }

  if (!h->removeIdx.empty()) {
    size_t m = h->removeIdx.size();
    if (unavailable) {
      setAll(h, ops, h->removeIdx, SNF_KV_UNAVAILABLE);
    } else {
      h->removes.resize(m);
      h->removePtrs.resize(m);
      for (size_t j = 0; j < m; j++) {
        const snf_kv_op& op = ops[h->removeIdx[j]];
        RAMCloud::RejectRules rr = rulesFor(op.cond, op.version);
        h->removes[j] = RAMCloud::MultiRemoveObject(table, op.key, op.key_len, &rr);
        h->removePtrs[j] = &h->removes[j];
      }
      calls++;
      RAMCloud::MultiRemove mrm(h->rc.get(), h->removePtrs.data(), static_cast<uint32_t>(m));
      if (!waitBounded(h, mrm)) {
        unavailable = true;
        h->lastError = timeoutText(h, "multiRemove");
        setAll(h, ops, h->removeIdx, SNF_KV_UNAVAILABLE);
      } else {
        for (size_t j = 0; j < m; j++) {
          snf_kv_op& op = ops[h->removeIdx[j]];
          // An unconditional remove of an absent key is OK in RAMCloud already.
          op.status = condStatus(h, h->removes[j].status, "DEL");
          if (op.status == SNF_KV_OK) op.out_version = h->removes[j].version;
        }
      }
    }
  }

  if (!h->incrIdx.empty()) {
    if (unavailable)
      setAll(h, ops, h->incrIdx, SNF_KV_UNAVAILABLE);
    else
      calls += increments(h, ops);
  }
  return calls;
}

// Runs `fn`, turning any exception into `onError` and a last_error text: nothing may cross the
// C ABI.
template <typename Fn, typename R>
R guarded(Handle* h, const char* where, R onError, Fn fn) {
  try {
    return fn();
  } catch (const RAMCloud::ClientException& e) {
    if (h) h->lastError = std::string(where) + ": " + RAMCloud::statusToSymbol(e.status);
  } catch (const RAMCloud::Exception& e) {
    if (h) h->lastError = std::string(where) + ": " + e.str();
  } catch (const std::exception& e) {
    if (h) h->lastError = std::string(where) + ": " + e.what();
  } catch (...) {
    if (h) h->lastError = std::string(where) + ": unknown exception";
  }
  return onError;
}

void* pluginOpen(const char* config, char* err, size_t errLen) {
  try {
    auto h = std::make_unique<Handle>();
    std::string why;
    if (!parseConfig(config, &h->cfg, &why)) {
      setErr(err, errLen, "ramcloud plugin config: " + why);
      return nullptr;
    }
    // RAMCloud logs NOTICE lines (every connection) to stderr by default: keep warnings only,
    // in the configured file if any.
    if (!h->cfg.log.empty()) RAMCloud::Logger::get().setLogFile(h->cfg.log.c_str());
    RAMCloud::Logger::get().setLogLevels(RAMCloud::WARNING);
    h->rc = std::make_unique<RAMCloud::RamCloud>(h->cfg.coordinator.c_str(),
                                                 h->cfg.cluster.c_str());
    h->timed = std::make_unique<RAMCloud::RamCloudTimed>(h->rc.get());
    // createTable returns the existing table's id when it is already there.
    uint64_t id = h->timed->createTable(h->cfg.table.c_str(), h->cfg.timeoutMs, h->cfg.span);
    Status s = h->timed->getStatus();
    if (s == RAMCloud::STATUS_TIMEOUT) {
      setErr(err, errLen,
             "ramcloud: coordinator " + h->cfg.coordinator + " (cluster " + h->cfg.cluster +
                 ") did not create/find table '" + h->cfg.table + "' within " +
                 std::to_string(h->cfg.timeoutMs) +
                 " ms: is it running, with at least one master enlisted?");
      return nullptr;
    }
    if (s != RAMCloud::STATUS_OK) {
      setErr(err, errLen,
             std::string("ramcloud: createTable: ") + RAMCloud::statusToSymbol(s));
      return nullptr;
    }
    h->tableId = id;
    return h.release();
  } catch (const RAMCloud::ClientException& e) {
    setErr(err, errLen, std::string("ramcloud: open: ") + RAMCloud::statusToSymbol(e.status));
  } catch (const std::exception& e) {
    setErr(err, errLen, std::string("ramcloud: open: ") + e.what());
  } catch (...) {
    setErr(err, errLen, "ramcloud: open: unknown exception");
  }
  return nullptr;
}

void pluginClose(void* handle) {
  try {
    delete static_cast<Handle*>(handle);
  } catch (...) {
  }
}

uint32_t pluginExecute(void* handle, snf_kv_op* ops, size_t n) {
  auto* h = static_cast<Handle*>(handle);
  if (h == nullptr || (ops == nullptr && n != 0)) return 0;
  uint32_t calls = guarded(h, "execute", UINT32_MAX, [&] { return executeImpl(h, ops, n); });
  if (calls == UINT32_MAX) {  // an exception: no op is known to have succeeded
    for (size_t i = 0; i < n; i++) {
      ops[i].status = SNF_KV_ERROR;
      ops[i].out_val = nullptr;
      ops[i].out_len = 0;
    }
    return 0;
  }
  return calls;
}

size_t scanImpl(Handle* h, void** cursor, snf_kv_op* out, size_t max) {
  auto* c = static_cast<ScanCursor*>(*cursor);
  if (c == nullptr) {
    c = new ScanCursor();
    c->e = std::make_unique<RAMCloud::TableEnumerator>(h->timed.get(), h->cfg.timeoutMs,
                                                       h->tableId, false);
    *cursor = c;
  }
  // Keys and values point into the enumerator's buffer, which the next fetch replaces: copy
  // them to the cursor's arena (offsets first, pointers once the arena stops moving).
  c->arena.clear();
  std::vector<std::pair<size_t, size_t>> spans;  // (offset, length) of key, then value
  size_t got = 0;
  while (got < max && c->e->hasNext()) {
    uint32_t kl = 0, dl = 0;
    const void *k = nullptr, *d = nullptr;
    c->e->nextKeyAndData(&kl, &k, &dl, &d);
    if (k == nullptr) break;
    size_t ko = c->arena.size();
    c->arena.insert(c->arena.end(), static_cast<const char*>(k), static_cast<const char*>(k) + kl);
    size_t vo = c->arena.size();
    if (dl != 0)
      c->arena.insert(c->arena.end(), static_cast<const char*>(d),
                      static_cast<const char*>(d) + dl);
    spans.emplace_back(ko, kl);
    spans.emplace_back(vo, dl);
    got++;
  }
  for (size_t i = 0; i < got; i++) {
    snf_kv_op& op = out[i];
    std::memset(&op, 0, sizeof op);
    op.kind = SNF_KV_GET;
    op.status = SNF_KV_OK;
    op.key = c->arena.data() + spans[2 * i].first;
    op.key_len = static_cast<uint16_t>(spans[2 * i].second);
    op.out_val = c->arena.data() + spans[2 * i + 1].first;
    op.out_len = static_cast<uint32_t>(spans[2 * i + 1].second);
    op.val = op.out_val;  // "key and value set": readable from either field
    op.val_len = op.out_len;
  }
  if (c->e->getStatus() != RAMCloud::STATUS_OK)
    h->lastError = std::string("scan: enumerateTable: ") +
                   RAMCloud::statusToSymbol(c->e->getStatus()) +
                   (c->e->getStatus() == RAMCloud::STATUS_TIMEOUT ? " (store unavailable)" : "");
  if (got == 0) {
    delete c;
    *cursor = nullptr;
  }
  return got;
}

size_t pluginScan(void* handle, void** cursor, snf_kv_op* out, size_t max) {
  auto* h = static_cast<Handle*>(handle);
  if (h == nullptr || cursor == nullptr || (out == nullptr && max != 0)) return 0;
  size_t got = guarded(h, "scan", SIZE_MAX, [&] { return scanImpl(h, cursor, out, max); });
  if (got == SIZE_MAX) {
    delete static_cast<ScanCursor*>(*cursor);
    *cursor = nullptr;
    return 0;
  }
  return got;
}

void pluginScanEnd(void* handle, void* cursor) {
  try {
    delete static_cast<ScanCursor*>(cursor);
  } catch (...) {
  }
}

const char* pluginLastError(void* handle) {
  auto* h = static_cast<Handle*>(handle);
  return h == nullptr ? "no handle" : h->lastError.c_str();
}

const snf_store_plugin kPlugin = {
    SNF_STORE_PLUGIN_ABI_VERSION,
    SNF_KV_CAP_MULTI_OP,
    "ramcloud",
    pluginOpen,
    pluginClose,
    pluginExecute,
    pluginScan,
    pluginScanEnd,
    pluginLastError,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const snf_store_plugin* snf_store_plugin_v1(void) {
  return &kPlugin;
}
