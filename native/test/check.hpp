// A deliberately tiny test harness: no dependency to install on a fresh machine, and the
// sanitizers see every line of it. TEST registers a function; CHECK records a failure and
// goes on (so one run reports every broken expectation); REQUIRE stops the current test.
#pragma once
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace check {

struct Test {
  const char* name;
  void (*fn)();
};

inline std::vector<Test>& registry() {
  static std::vector<Test> r;
  return r;
}

struct State {
  int failures = 0;  // in the current test
  const char* current = "";
};
inline State& state() {
  static State s;
  return s;
}

struct Register {
  Register(const char* name, void (*fn)()) { registry().push_back({name, fn}); }
};

// Thrown by REQUIRE to leave the test; caught by the runner only.
struct Abort {};

inline void fail(const char* file, int line, const std::string& what) {
  state().failures++;
  std::fprintf(stderr, "  FAIL %s:%d [%s] %s\n", file, line, state().current, what.c_str());
}

template <typename T>
std::string show(const T& v) {
  std::ostringstream o;
  if constexpr (std::is_same_v<T, uint8_t> || std::is_same_v<T, int8_t>) o << static_cast<int>(v);
  else if constexpr (std::is_enum_v<T>) o << static_cast<long long>(v);
  else o << v;
  return o.str();
}

// Runs every test whose name contains `filter` (all but known_bug_* when null). Returns the
// process exit code.
inline int run_all(const char* filter) {
  int passed = 0, failed = 0;
  for (const Test& t : registry()) {
    // known_bug_*: demonstrations of bugs in code this suite may not fix; run only when named.
    bool known_bug = std::strncmp(t.name, "known_bug_", 10) == 0;
    if (filter ? !std::strstr(t.name, filter) : known_bug) continue;
    state().failures = 0;
    state().current = t.name;
    auto t0 = std::chrono::steady_clock::now();
    try {
      t.fn();
    } catch (const Abort&) {
    } catch (const std::exception& e) {
      fail(__FILE__, __LINE__, std::string("uncaught exception: ") + e.what());
    }
    long ms = static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
    if (state().failures == 0) {
      passed++;
      std::printf("ok   %s (%ld ms)\n", t.name, ms);
    } else {
      failed++;
      std::printf("FAIL %s (%d failures, %ld ms)\n", t.name, state().failures, ms);
    }
    std::fflush(stdout);
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}

}  // namespace check

#define CHECK_CAT2(a, b) a##b
#define CHECK_CAT(a, b) CHECK_CAT2(a, b)
#define TEST(name)                                                       \
  static void name();                                                    \
  static const check::Register CHECK_CAT(reg_, name)(#name, &name);      \
  static void name()

#define CHECK(cond) \
  ((cond) ? (void)0 : check::fail(__FILE__, __LINE__, "CHECK(" #cond ")"))
#define CHECK_EQ(a, b)                                                                     \
  do {                                                                                     \
    const auto& check_a_ = (a);                                                            \
    const auto& check_b_ = (b);                                                            \
    if (!(check_a_ == check_b_))                                                           \
      check::fail(__FILE__, __LINE__,                                                      \
                  "CHECK_EQ(" #a ", " #b "): " + check::show(check_a_) + " vs " + check::show(check_b_)); \
  } while (0)
#define REQUIRE(cond)                                                       \
  do {                                                                      \
    if (!(cond)) {                                                          \
      check::fail(__FILE__, __LINE__, "REQUIRE(" #cond ")");                \
      throw check::Abort{};                                                 \
    }                                                                       \
  } while (0)
#define REQUIRE_MSG(cond, msg)                                                      \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      check::fail(__FILE__, __LINE__, std::string("REQUIRE(" #cond ") ") + (msg)); \
      throw check::Abort{};                                                         \
    }                                                                               \
  } while (0)
// Adds context to a failure inside loops (e.g. which truncation offset).
#define CHECK_MSG(cond, msg) \
  ((cond) ? (void)0 : check::fail(__FILE__, __LINE__, std::string("CHECK(" #cond ") ") + (msg)))
