#include "unit.h"

static void test_checks_hold(void) {
  CHECK(1 + 1 == 2);
  CHECK_EQ_INT(-3, -3);
  CHECK_EQ_U64(UINT64_MAX, UINT64_MAX);
  CHECK_NEAR(0.1f + 0.2f, 0.3, 1e-6);
  CHECK_STR("abc", "abc");
}

static void test_checks_fail_when_asked(void) {
#ifdef HARNESS_WANT_FAILURE
  CHECK_EQ_INT(1, 2);
#endif
}

int main(void) {
  RUN(test_checks_hold);
  RUN(test_checks_fail_when_asked);
  return unit_report();
}
