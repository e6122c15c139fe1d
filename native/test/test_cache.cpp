// FlowCache: the memory bound holds under a million flows, CLOCK keeps what is read, and
// invalidation and flushes forget exactly what they must.
#include <string>

#include "store/cache.hpp"
#include "util.hpp"

using snf::FlowCache;

namespace {
std::string key(int i) { return "snf:v:fw:{v|6|10.0." + std::to_string(i >> 8 & 255) + "." + std::to_string(i & 255) + "|" + std::to_string(i) + "}"; }
}  // namespace

TEST(cache_bound_holds_under_a_million_flows) {
  const size_t bound = 16u << 20;
  FlowCache c(bound);
  for (int i = 0; i < 1000000; i++) {
    c.put(key(i), "ES|o|A|123456|654321|1764130000000", i % 3);
    if (c.stats().bytes > bound) {
      CHECK(c.stats().bytes <= bound);
      break;
    }
  }
  CHECK(c.stats().bytes <= bound);
  CHECK(c.stats().evictions > 0);
  CHECK(c.stats().entries + c.stats().evictions == 1000000);
  // The newest entries are there, the oldest gone.
  CHECK(c.get(key(999999)) != nullptr);
  CHECK(c.get(key(0)) == nullptr);
}

TEST(cache_clock_keeps_recently_read_entries) {
  FlowCache c(10 * (2 * key(0).size() + 8 + 128));
  for (int i = 0; i < 10; i++) c.put(key(i), "U|o|A|0|0|1", 0);
  CHECK(c.get(key(3)) != nullptr);  // referenced: survives the next sweep
  for (int i = 10; i < 15; i++) c.put(key(i), "U|o|A|0|0|1", 0);
  CHECK(c.get(key(3)) != nullptr);
  CHECK(c.stats().evictions >= 5);
}

TEST(cache_invalidation_and_flush) {
  FlowCache c(1 << 20);
  c.put("a", "1", 0);
  c.put("b", "2", 1);
  c.put("c", "3", 1);
  CHECK(c.erase("a"));
  CHECK(!c.erase("a"));
  CHECK(c.get("a") == nullptr);
  c.flush(1);
  CHECK(c.get("b") == nullptr);
  CHECK(c.get("c") == nullptr);
  CHECK_EQ(c.stats().entries, 0u);
  CHECK_EQ(c.stats().bytes, 0u);
  c.put("d", "4", 0);
  c.put("d", "5", 0);  // replace keeps one entry and the right size
  CHECK_EQ(c.stats().entries, 1u);
  CHECK(*c.get("d") == "5");
  FlowCache off(0);
  CHECK(!off.enabled());
}
