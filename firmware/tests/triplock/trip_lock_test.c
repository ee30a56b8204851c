/* Trip lockout: N trips within the window lock; spread-out trips do not; clearing forgets them. */
#include "triplock/trip_lock.h"
#include "unit.h"

static void test_three_quick_trips_lock(void) {
  trip_lock_t t = {0};
  CHECK(!trip_lock_trip(&t, 1000));
  CHECK(!trip_lock_trip(&t, 2000));
  CHECK(!trip_lock_locked(&t));
  CHECK(trip_lock_trip(&t, 3000));
  CHECK(trip_lock_locked(&t));
  CHECK(!trip_lock_trip(&t, 4000)); /* already locked: reported once */
  trip_lock_clear(&t);
  CHECK(!trip_lock_locked(&t));
  CHECK(!trip_lock_trip(&t, 5000)); /* the count starts over */
}

static void test_spread_trips_do_not_lock(void) {
  trip_lock_t t = {0};
  uint64_t now = 0;
  for (int i = 0; i < 20; i++, now += TRIP_LOCK_WINDOW_MS / 2 + 1) CHECK(!trip_lock_trip(&t, now));
  CHECK(!trip_lock_locked(&t));
}

int main(void) {
  RUN(test_three_quick_trips_lock);
  RUN(test_spread_trips_do_not_lock);
  return unit_report();
}
