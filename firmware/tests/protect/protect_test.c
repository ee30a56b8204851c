/* Protections: MaxPower/MaxPowerHold/MaxPowerWindow semantics, over-current, retries, refill, reset. */
#include "protect/protect.h"
#include "unit.h"

#define S(x) ((uint64_t)(x) * 1000000u)

static protect_t p;
static bool relay;
static uint64_t now;

/* Runs 1 s readings of (w, a) for n seconds, applying the actions to `relay`. Returns trips + 100*recloses. */
static int run(float w, float a, int n) {
  int trips = 0, recloses = 0;
  for (int i = 0; i < n; i++) {
    now += S(1);
    protect_action_t act = protect_update(&p, now, relay, true, relay ? w : 0.0f, relay ? a : 0.0f);
    if (act == PROTECT_ACT_TRIP) {
      trips++;
      relay = false;
    } else if (act == PROTECT_ACT_RECLOSE) {
      recloses++;
      relay = true;
    }
  }
  return trips + 100 * recloses;
}

static void setup(uint32_t hold_ms, uint32_t window_ms, uint8_t retries) {
  protect_config_t c;
  protect_config_default(&c);
  c.hold_ms = hold_ms;
  c.window_ms = window_ms;
  c.max_retries = retries;
  protect_init(&p, &c);
  relay = true;
  now = S(100);
}

static void test_defaults_are_the_plug_rating(void) {
  protect_config_t c;
  protect_config_default(&c);
  CHECK_NEAR(c.max_power_w, 3680.0, 0);
  CHECK_NEAR(c.max_current_a, 16.0, 0);
  CHECK_EQ_INT(c.hold_ms, 2000);
  CHECK_EQ_INT(c.window_ms, 0);
  CHECK_EQ_INT(c.max_retries, 1);
}

static void test_trips_after_hold_time_only(void) {
  setup(2000, 0, 5);
  CHECK_EQ_INT(run(3700, 15, 2), 0); /* over since t+1; at t+2 only 1 s */
  CHECK(relay);
  CHECK_EQ_INT(run(3700, 15, 1), 1);
  CHECK(!relay);
  CHECK_EQ_INT(protect_tripped(&p), PROTECT_OVERPOWER);
  CHECK_NEAR(p.trip_value, 3700, 0.01);
  CHECK_STR(protect_reason_name(protect_tripped(&p)), "overpower");
  /* window 0: stays off and reported */
  CHECK_EQ_INT(run(0, 0, 600), 0);
  CHECK(!relay);
  CHECK_EQ_INT(protect_tripped(&p), PROTECT_OVERPOWER);
}

static void test_a_dip_below_the_limit_restarts_the_hold(void) {
  setup(3000, 0, 5);
  CHECK_EQ_INT(run(4000, 0, 3), 0);
  CHECK_EQ_INT(run(3000, 0, 1), 0);
  CHECK_EQ_INT(run(4000, 0, 3), 0);
  CHECK(relay);
  CHECK_EQ_INT(run(4000, 0, 1), 1);
}

static void test_overcurrent(void) {
  setup(2000, 0, 5);
  CHECK_EQ_INT(run(1000, 17.5f, 3), 1); /* power fine (low power factor), current not */
  CHECK_EQ_INT(protect_tripped(&p), PROTECT_OVERCURRENT);
  CHECK_STR(protect_reason_name(PROTECT_OVERCURRENT), "overcurrent");
}

static void test_zero_disables_a_limit(void) {
  protect_config_t c;
  protect_config_default(&c);
  c.max_power_w = 0;
  c.max_current_a = 0;
  protect_init(&p, &c);
  relay = true;
  now = 0;
  CHECK_EQ_INT(run(100000, 500, 30), 0);
}

static void test_invalid_readings_never_trip(void) {
  setup(0, 0, 5);
  for (int i = 0; i < 10; i++) CHECK_EQ_INT(protect_update(&p, now += S(1), true, false, 9999, 99), PROTECT_ACT_NONE);
}

static void test_reclose_after_window_with_retry_budget(void) {
  setup(2000, 30000, 3);
  CHECK_EQ_INT(run(5000, 0, 3), 1);
  CHECK_EQ_INT(run(5000, 0, 29), 0); /* window not over */
  CHECK(!relay);
  CHECK_EQ_INT(run(5000, 0, 1), 100); /* re-closed */
  CHECK(relay);
  CHECK_EQ_INT(protect_tripped(&p), PROTECT_NONE);
  /* still overloaded: trips again; 3 re-closes in total, then latched */
  int r = run(5000, 0, 3 + 33 * 3 + 10);
  CHECK_EQ_INT(r, 3 + 200);
  CHECK(!relay);
  CHECK(p.latched);
  CHECK_EQ_INT(protect_tripped(&p), PROTECT_OVERPOWER);
  CHECK_EQ_INT(run(5000, 0, 3600), 0);
  CHECK(!relay);
}

static void test_startup_zero_reading_after_reclose_does_not_refill_budget(void) {
  setup(2000, 10000, 2);
  CHECK_EQ_INT(run(5000, 0, 3), 1);
  for (int cycle = 0; cycle < 5; cycle++) {
    run(5000, 0, 10); /* window passes (re-close if budget left) */
    if (!relay) break;
    run(0, 0, 1);     /* the meter reads 0 W for its first second */
    run(5000, 0, 3);  /* then the overload again */
  }
  CHECK(!relay);
  CHECK(p.latched);
}

static void test_budget_refills_after_a_stable_minute(void) {
  setup(2000, 10000, 1);
  CHECK_EQ_INT(run(5000, 0, 3), 1);
  CHECK_EQ_INT(run(5000, 0, 10), 100);
  CHECK_EQ_INT(p.retries_left, 0);
  CHECK_EQ_INT(run(100, 0, 61), 0); /* a good minute */
  CHECK_EQ_INT(p.retries_left, 1);
  CHECK(!p.in_episode);
  CHECK_EQ_INT(run(5000, 0, 3), 1);
  CHECK_EQ_INT(run(5000, 0, 10), 100); /* re-closes again */
}

static void test_reset_and_cancel(void) {
  setup(2000, 10000, 5);
  CHECK_EQ_INT(run(5000, 0, 3), 1);
  protect_cancel_reclose(&p); /* a person switched it off */
  CHECK_EQ_INT(run(0, 0, 60), 0);
  CHECK(!relay);
  CHECK_EQ_INT(protect_tripped(&p), PROTECT_OVERPOWER);
  protect_reset(&p); /* and on again */
  relay = true;
  CHECK_EQ_INT(protect_tripped(&p), PROTECT_NONE);
  CHECK_EQ_INT(p.retries_left, 5);
  CHECK_EQ_INT(run(100, 0, 10), 0);
}

static void test_relay_switched_on_elsewhere_clears_reported_trip(void) {
  setup(2000, 0, 5);
  CHECK_EQ_INT(run(5000, 0, 3), 1);
  relay = true;
  CHECK_EQ_INT(run(100, 0, 1), 0);
  CHECK_EQ_INT(protect_tripped(&p), PROTECT_NONE);
}

/* A command flood that opens the relay between ON commands (no password needed over MQTT): every on-period
 * is shorter than the hold time, but the overload's relay-on time adds up and trips. Readings every 10 ms,
 * 200 ms on / 200 ms off (the relay's minimum switching interval). */
static void test_an_on_off_flood_cannot_keep_an_overload_powered(void) {
  setup(1000, 0, 1);
  uint64_t on_us = 0;
  bool tripped = false;
  for (int cycle = 0; cycle < 100 && !tripped; cycle++) {
    protect_reset(&p); /* the ON command */
    for (int i = 0; i < 20 && !tripped; i++) {
      now += 10000u;
      on_us += 10000u;
      tripped = protect_update(&p, now, true, true, i == 0 ? 0.0f : 4000.0f, 17.0f) == PROTECT_ACT_TRIP;
    }
    for (int i = 0; i < 20 && !tripped; i++) { /* the OFF command */
      now += 10000u;
      CHECK_EQ_INT(protect_update(&p, now, false, true, 0.0f, 0.0f), PROTECT_ACT_NONE);
    }
  }
  CHECK(tripped);
  CHECK(on_us <= 1300000u); /* hold 1 s of over-limit time (+ the first, settling reading of each period) */
}

/* A person switches off, changes the load and switches on: a long off period forgets the count. */
static void test_a_long_off_period_forgets_the_count(void) {
  setup(2000, 0, 1);
  CHECK_EQ_INT(run(3700, 15, 1), 0); /* over since */
  CHECK_EQ_INT(run(3700, 15, 1), 0); /* 1 s of 2 */
  relay = false;
  CHECK_EQ_INT(run(0, 0, 11), 0);
  relay = true;
  CHECK_EQ_INT(run(3700, 15, 2), 0); /* counted afresh: 1 s */
  CHECK_EQ_INT(run(3700, 15, 1), 1);
}

int main(void) {
  RUN(test_defaults_are_the_plug_rating);
  RUN(test_trips_after_hold_time_only);
  RUN(test_a_dip_below_the_limit_restarts_the_hold);
  RUN(test_overcurrent);
  RUN(test_zero_disables_a_limit);
  RUN(test_invalid_readings_never_trip);
  RUN(test_reclose_after_window_with_retry_budget);
  RUN(test_startup_zero_reading_after_reclose_does_not_refill_budget);
  RUN(test_budget_refills_after_a_stable_minute);
  RUN(test_reset_and_cancel);
  RUN(test_relay_switched_on_elsewhere_clears_reported_trip);
  RUN(test_an_on_off_flood_cannot_keep_an_overload_powered);
  RUN(test_a_long_off_period_forgets_the_count);
  return unit_report();
}
