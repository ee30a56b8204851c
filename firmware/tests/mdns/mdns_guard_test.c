/* mDNS answer limits (RFC 6762 §6, §11): one multicast per record per second, direct answers only on-link
 * and at most 8 a second. */
#include "mdns/mdns_guard.h"
#include "mdns/mdns_msg.h"
#include "unit.h"

static void test_multicast_once_per_second(void) {
  mdns_guard_t g = {0};
  CHECK_EQ_INT(mdns_guard_multicast(&g, MDNS_REC_PTR | MDNS_REC_A, 1000), MDNS_REC_PTR | MDNS_REC_A);
  CHECK_EQ_INT(mdns_guard_multicast(&g, MDNS_REC_PTR | MDNS_REC_SRV, 1500), MDNS_REC_SRV);
  CHECK_EQ_INT(mdns_guard_multicast(&g, MDNS_REC_PTR, 1999), 0);
  CHECK_EQ_INT(mdns_guard_multicast(&g, MDNS_REC_PTR, 2000), MDNS_REC_PTR);
  mdns_guard_announced(&g, MDNS_REC_TXT, 5000);
  CHECK_EQ_INT(mdns_guard_multicast(&g, MDNS_REC_TXT, 5100), 0);
  unsigned total = 0;
  for (uint64_t t = 10000; t < 20000; t += 10) total += mdns_guard_multicast(&g, MDNS_REC_A, t) != 0;
  CHECK_EQ_INT(total, 10); /* a 100 queries/s flood: one answer a second */
}

static void test_direct_answers(void) {
  const uint8_t plug[4] = {192, 168, 1, 23};
  CHECK(mdns_guard_on_link(plug, (const uint8_t[4]){192, 168, 1, 200}));
  CHECK(mdns_guard_on_link(plug, (const uint8_t[4]){169, 254, 3, 4}));
  CHECK(!mdns_guard_on_link(plug, (const uint8_t[4]){192, 168, 2, 1}));
  CHECK(!mdns_guard_on_link(plug, (const uint8_t[4]){8, 8, 8, 8}));
  CHECK(!mdns_guard_on_link(plug, (const uint8_t[4]){127, 0, 0, 1}));
  CHECK(mdns_guard_on_link((const uint8_t[4]){127, 0, 0, 1}, (const uint8_t[4]){127, 0, 0, 9}));
  mdns_guard_t g = {0};
  unsigned ok = 0;
  for (int i = 0; i < 100; i++) ok += mdns_guard_unicast(&g, 1000 + (uint64_t)i);
  CHECK_EQ_INT(ok, MDNS_GUARD_UNICAST_PER_S);
  CHECK(mdns_guard_unicast(&g, 2000));
}

int main(void) {
  RUN(test_multicast_once_per_second);
  RUN(test_direct_answers);
  return unit_report();
}
