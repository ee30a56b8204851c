/* Per-source password throttle (docs/protocol.md §7): budget, hold instead of refuse, refill, no
 * cross-source effect, table overflow. */
#include "http/http_throttle.h"
#include "unit.h"

static const uint32_t A = 0xc0a80102u, B = 0xc0a80103u;

static void test_budget_then_hold(void) {
  http_throttle_t t = {0};
  uint64_t now = 1000;
  for (unsigned i = 0; i < HTTP_THROTTLE_BURST; i++) {
    CHECK_EQ_INT(http_throttle_wait_ms(&t, A, now), 0);
    http_throttle_result(&t, A, false, now);
  }
  uint32_t w = http_throttle_wait_ms(&t, A, now);
  CHECK(w > 0 && w <= HTTP_THROTTLE_REFILL_MS);
  CHECK_EQ_INT(http_throttle_wait_ms(&t, B, now), 0); /* another source: untouched */
  now += w;
  CHECK_EQ_INT(http_throttle_wait_ms(&t, A, now), 0); /* one unit back */
  http_throttle_result(&t, A, false, now);
  CHECK(http_throttle_wait_ms(&t, A, now) > 0);
}

static void test_correct_password_refills(void) {
  http_throttle_t t = {0};
  for (unsigned i = 0; i < HTTP_THROTTLE_BURST; i++) http_throttle_result(&t, A, false, 10);
  CHECK(http_throttle_wait_ms(&t, A, 10) > 0);
  http_throttle_result(&t, A, true, 10 + HTTP_THROTTLE_REFILL_MS);
  for (unsigned i = 0; i < HTTP_THROTTLE_BURST; i++) {
    CHECK_EQ_INT(http_throttle_wait_ms(&t, A, 20 + HTTP_THROTTLE_REFILL_MS), 0);
    http_throttle_result(&t, A, false, 20 + HTTP_THROTTLE_REFILL_MS);
  }
}

static void test_full_refill_over_time(void) {
  http_throttle_t t = {0};
  for (unsigned i = 0; i < HTTP_THROTTLE_BURST; i++) http_throttle_result(&t, A, false, 0);
  uint64_t later = (uint64_t)HTTP_THROTTLE_BURST * HTTP_THROTTLE_REFILL_MS;
  for (unsigned i = 0; i < HTTP_THROTTLE_BURST; i++) {
    CHECK_EQ_INT(http_throttle_wait_ms(&t, A, later), 0);
    http_throttle_result(&t, A, false, later);
  }
  CHECK(http_throttle_wait_ms(&t, A, later) > 0);
}

static void test_cycling_addresses_shares_one_budget(void) {
  http_throttle_t t = {0};
  uint64_t now = 5;
  for (uint32_t ip = 1; ip <= HTTP_THROTTLE_SOURCES; ip++) {
    for (unsigned i = 0; i < HTTP_THROTTLE_BURST; i++) http_throttle_result(&t, ip, false, now);
    CHECK(http_throttle_wait_ms(&t, ip, now) > 0);
  }
  /* the table is full of spending sources: newcomers share the last budget */
  unsigned allowed = 0;
  for (uint32_t ip = 100; ip < 140; ip++) {
    if (http_throttle_wait_ms(&t, ip, now) == 0) {
      allowed++;
      http_throttle_result(&t, ip, false, now);
    }
  }
  CHECK_EQ_INT(allowed, HTTP_THROTTLE_BURST);
}

int main(void) {
  RUN(test_budget_then_hold);
  RUN(test_correct_password_refills);
  RUN(test_full_refill_over_time);
  RUN(test_cycling_addresses_shares_one_budget);
  return unit_report();
}
