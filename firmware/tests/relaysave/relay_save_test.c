/* Coalesced relay persistence: a burst costs one save, after 2 s of quiet; flush before a reboot. */
#include "relaysave/relay_save.h"
#include "unit.h"

static void test_burst_is_one_save(void) {
  relay_save_t s = {0};
  uint8_t m = 0xff;
  uint64_t t = 1000;
  for (int i = 0; i < 10000; i++, t += 1) relay_save_changed(&s, (uint8_t)(i & 1), t);
  CHECK(!relay_save_due(&s, t + RELAY_SAVE_QUIET_MS - 2, &m));
  CHECK(relay_save_due(&s, t + RELAY_SAVE_QUIET_MS, &m));
  CHECK_EQ_INT(m, 1); /* the last state */
  CHECK(!relay_save_due(&s, t + 10 * RELAY_SAVE_QUIET_MS, &m)); /* once */
}

static void test_flush(void) {
  relay_save_t s = {0};
  uint8_t m = 0;
  CHECK(!relay_save_flush(&s, &m));
  relay_save_changed(&s, 1, 5);
  CHECK(relay_save_flush(&s, &m));
  CHECK_EQ_INT(m, 1);
  CHECK(!relay_save_due(&s, 5 + RELAY_SAVE_QUIET_MS, &m));
}

int main(void) {
  RUN(test_burst_is_one_save);
  RUN(test_flush);
  return unit_report();
}
