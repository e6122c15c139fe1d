// The "created lately" set of the create-on-read NFs: a key it has not seen must read as new,
// or that new flow pays two round trips instead of one.
#include <string>

#include "nf/created_keys.hpp"
#include "util.hpp"

TEST(created_keys_are_exact_until_cleared) {
  snf::CreatedKeys set;
  // Forward keys like NAT's, differing only in the inside address and port. 8,000 of them in
  // the 2^20-bit set this replaced gave ~30 false "seen" answers.
  auto key = [](int i) {
    return "snf:v:nat:f:{v|198.51.100.1|3}|17|10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250) + "|" +
           std::to_string(1024 + i);
  };
  int wrong = 0;
  for (int i = 0; i < 8000; i++) wrong += set.test_and_mark(key(i)) ? 1 : 0;
  CHECK_EQ(wrong, 0);
  for (int i = 0; i < 8000; i++) wrong += set.test_and_mark(key(i)) ? 0 : 1;
  CHECK_EQ(wrong, 0);
  // Past half full it starts over: old keys read as new again, and the set keeps working.
  for (int i = 8000; i < 8300; i++) set.test_and_mark(key(i));
  CHECK(!set.test_and_mark(key(0)));
  CHECK(set.test_and_mark(key(0)));
}
