// Addr / Prefix text parsing, canonical form and containment.
#include "frames.hpp"
#include "util.hpp"

using snf::Addr;
using snf::Prefix;

namespace {
Prefix P(const char* s) {
  Prefix p;
  if (!Prefix::parse(s, p)) throw std::invalid_argument(s);
  return p;
}
bool parses(const char* s) {
  Prefix p;
  return Prefix::parse(s, p);
}
}  // namespace

TEST(addr_parse_and_format) {
  Addr a;
  REQUIRE(Addr::parse("192.0.2.1", a));
  CHECK(a.is_v4());
  CHECK_EQ(a.str(), std::string("192.0.2.1"));
  REQUIRE(Addr::parse("2001:DB8:0:0:0:0:0:1", a));
  CHECK(!a.is_v4());
  CHECK_EQ(a.str(), std::string("2001:db8::1"));  // RFC 5952
  // Issue 12, defect 5: an IPv4-mapped IPv6 address is IPv6, in comparisons and in key text.
  REQUIRE(Addr::parse("::ffff:10.1.2.3", a));
  CHECK(!a.is_v4());
  CHECK(a != frames::A("10.1.2.3"));
  CHECK(frames::A("10.1.2.3") < a || a < frames::A("10.1.2.3"));
  CHECK_EQ(a.str(), std::string("::ffff:10.1.2.3"));
  Addr back;
  REQUIRE(Addr::parse(a.str(), back));
  CHECK(back == a);
  uint8_t raw[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3};
  CHECK(Addr::v6(raw) == a);
  CHECK(Addr::v4(raw + 12) == frames::A("10.1.2.3"));
  REQUIRE(Addr::parse("::", a));
  CHECK_EQ(a.str(), std::string("::"));
  for (const char* bad : {"", "1.2.3", "256.1.1.1", "1.2.3.4.5", "::g", "1:2:3:4:5:6:7:8:9", " 1.2.3.4",
                          "1.2.3.4 ", "10.0.0.1/8", "localhost"})
    CHECK_MSG(!Addr::parse(bad, a), std::string("accepted '") + bad + "'");
  CHECK(frames::A("10.0.0.1") < frames::A("10.0.0.2"));
  CHECK(frames::A("10.0.0.1") != frames::A("2001:db8::1"));
}

TEST(prefix_parse) {
  Prefix p = P("10.1.2.3/8");
  CHECK_EQ(p.len, 96 + 8);
  CHECK(p.net == frames::A("10.0.0.0"));  // host bits cleared
  CHECK_EQ(P("192.0.2.1").len, 128);       // bare address: host prefix
  CHECK_EQ(P("2001:db8::/32").len, 32);
  CHECK(P("2001:db8:ffff::1/33").net == frames::A("2001:db8:8000::"));
  CHECK_EQ(P("0.0.0.0/0").len, 96);
  for (const char* bad : {"10.0.0.0/33", "2001:db8::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/1a",
                          "10.0.0.0/0008", "/8", "10.0.0/8", "10.0.0.0/8/8", "10.0.0.0 /8"})
    CHECK_MSG(!parses(bad), std::string("accepted '") + bad + "'");
}

TEST(prefix_contains) {
  Prefix p = P("192.168.0.0/23");
  CHECK(p.contains(frames::A("192.168.0.0")));
  CHECK(p.contains(frames::A("192.168.1.255")));
  CHECK(!p.contains(frames::A("192.168.2.0")));
  CHECK(!p.contains(frames::A("192.167.255.255")));
  Prefix any4 = P("0.0.0.0/0");
  CHECK(any4.contains(frames::A("255.255.255.255")));
  CHECK(!any4.contains(frames::A("2001:db8::1")));  // an IPv4 prefix never holds IPv6
  Prefix v6 = P("2001:db8::/32");
  CHECK(v6.contains(frames::A("2001:db8:ffff::1")));
  CHECK(!v6.contains(frames::A("2001:db9::")));
  CHECK(!v6.contains(frames::A("10.0.0.1")));
  Prefix host = P("10.0.0.5/32");
  CHECK(host.contains(frames::A("10.0.0.5")));
  CHECK(!host.contains(frames::A("10.0.0.4")));
  // Never across families, whatever the bytes (issue 12, defect 5).
  CHECK(!P("10.0.0.0/8").contains(frames::A("::ffff:10.0.0.5")));
  CHECK(!P("::/0").contains(frames::A("10.0.0.5")));
  CHECK(!P("::ffff:0:0/96").contains(frames::A("10.0.0.5")));
  CHECK(P("::ffff:0:0/96").contains(frames::A("::ffff:10.0.0.5")));
  CHECK(P("::ffff:10.0.0.0/104").contains(frames::A("::ffff:10.9.9.9")));
  CHECK(!P("::ffff:10.0.0.0/104").contains(frames::A("::ffff:11.0.0.1")));
  Prefix odd = P("2001:db8::/127");
  CHECK(odd.contains(frames::A("2001:db8::1")));
  CHECK(!odd.contains(frames::A("2001:db8::2")));
  for (int len = 0; len <= 32; len++) {
    Prefix q = P(("10.20.30.40/" + std::to_string(len)).c_str());
    CHECK(q.contains(frames::A("10.20.30.40")));
  }
}
