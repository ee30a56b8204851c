/* Button gestures from sampled levels, with bounce, timing windows and the stuck/boot-held cases. */
#include <string.h>

#include "button/button.h"
#include "unit.h"

#define STEP_US 10000u /* sampled every 10 ms, as device_tick is called */

static button_t b;
static uint64_t now;
static button_event_t evs[64];
static int nev;

static void setup(bool multi, bool pressed_at_boot) {
  button_config_t c;
  button_config_default(&c);
  c.multi_press = multi;
  now = 1000000;
  button_init(&b, &c, pressed_at_boot, now);
  nev = 0;
}

/* Holds `pressed` for ms milliseconds, collecting events. */
static void hold(bool pressed, uint32_t ms) {
  for (uint32_t t = 0; t < ms; t += 10) {
    now += STEP_US;
    button_update(&b, now, pressed);
    button_event_t e;
    while (button_next_event(&b, &e)) {
      if (nev < 64) evs[nev++] = e;
    }
  }
}

/* Gestures only (PRESS/RELEASE/SETUP_READY/STUCK filtered out). */
static int gestures(button_event_type_t *out, int max) {
  int n = 0;
  for (int i = 0; i < nev; i++) {
    if (button_gesture_name(evs[i].type) && n < max) out[n++] = evs[i].type;
  }
  return n;
}

static bool has(button_event_type_t t) {
  for (int i = 0; i < nev; i++) {
    if (evs[i].type == t) return true;
  }
  return false;
}

static void test_short_press_is_single_after_window(void) {
  setup(true, false);
  hold(false, 100);
  hold(true, 150);
  hold(false, 300);
  button_event_type_t g[8];
  CHECK_EQ_INT(gestures(g, 8), 0); /* still inside the 400 ms double-press window */
  hold(false, 200);
  CHECK_EQ_INT(gestures(g, 8), 1);
  CHECK_EQ_INT(g[0], BUTTON_EV_SINGLE);
}

static void test_single_without_multi_press_is_immediate(void) {
  setup(false, false);
  hold(true, 150);
  hold(false, 60); /* debounce 50 ms, then reported at once */
  button_event_type_t g[8];
  CHECK_EQ_INT(gestures(g, 8), 1);
  CHECK_EQ_INT(g[0], BUTTON_EV_SINGLE);
  hold(true, 150);
  hold(false, 60);
  CHECK_EQ_INT(gestures(g, 8), 2);
  CHECK_EQ_INT(g[1], BUTTON_EV_SINGLE); /* no double detection in this mode */
}

static void test_double_and_multi_press(void) {
  setup(true, false);
  hold(true, 120);
  hold(false, 200);
  hold(true, 120);
  hold(false, 600);
  button_event_type_t g[8];
  CHECK_EQ_INT(gestures(g, 8), 1);
  CHECK_EQ_INT(g[0], BUTTON_EV_DOUBLE);
  nev = 0;
  for (int i = 0; i < 3; i++) {
    hold(true, 100);
    hold(false, 150);
  }
  hold(false, 500);
  CHECK_EQ_INT(gestures(g, 8), 1);
  CHECK_EQ_INT(g[0], BUTTON_EV_MULTI);
  CHECK_EQ_INT(evs[nev - 1].count, 3);
}

static void test_presses_further_apart_than_window_are_two_singles(void) {
  setup(true, false);
  hold(true, 100);
  hold(false, 500);
  hold(true, 100);
  hold(false, 500);
  button_event_type_t g[8];
  CHECK_EQ_INT(gestures(g, 8), 2);
  CHECK_EQ_INT(g[0], BUTTON_EV_SINGLE);
  CHECK_EQ_INT(g[1], BUTTON_EV_SINGLE);
}

static void test_bounce_is_filtered(void) {
  setup(true, false);
  /* contact bounce: 20 ms pulses never reach the 50 ms debounce */
  for (int i = 0; i < 5; i++) {
    hold(true, 20);
    hold(false, 20);
  }
  hold(false, 600);
  CHECK_EQ_INT(nev, 0);
  /* bouncy press then a solid one: exactly one press */
  hold(true, 20);
  hold(false, 10);
  hold(true, 200);
  hold(false, 20);
  hold(true, 10);
  hold(false, 600);
  button_event_type_t g[8];
  CHECK_EQ_INT(gestures(g, 8), 1);
  CHECK_EQ_INT(g[0], BUTTON_EV_SINGLE);
}

static void test_long_press_fires_while_held_and_is_not_a_single(void) {
  setup(true, false);
  hold(true, 1100);
  CHECK(has(BUTTON_EV_LONG));
  hold(false, 600);
  button_event_type_t g[8];
  CHECK_EQ_INT(gestures(g, 8), 1);
  CHECK_EQ_INT(g[0], BUTTON_EV_LONG);
  /* a click then a hold: the hold wins, the click is dropped */
  nev = 0;
  hold(true, 100);
  hold(false, 150);
  hold(true, 1500);
  hold(false, 600);
  CHECK_EQ_INT(gestures(g, 8), 1);
  CHECK_EQ_INT(g[0], BUTTON_EV_LONG);
}

static void test_very_long_press_acts_on_release_only(void) {
  setup(true, false);
  hold(true, 10100);
  CHECK(has(BUTTON_EV_SETUP_READY));
  CHECK(!has(BUTTON_EV_VERY_LONG)); /* nothing happens while still held */
  hold(false, 600);
  button_event_type_t g[8];
  CHECK_EQ_INT(gestures(g, 8), 2);
  CHECK_EQ_INT(g[0], BUTTON_EV_LONG);
  CHECK_EQ_INT(g[1], BUTTON_EV_VERY_LONG);
  CHECK(evs[nev - 1].held_ms >= 10000);
  /* 9.9 s: only a long press */
  nev = 0;
  hold(true, 9900);
  hold(false, 600);
  CHECK(!has(BUTTON_EV_VERY_LONG));
  CHECK(!has(BUTTON_EV_SETUP_READY));
}

static void test_stuck_button_never_requests_setup(void) {
  setup(true, false);
  hold(true, 31000);
  CHECK(has(BUTTON_EV_STUCK));
  hold(false, 600);
  CHECK(!has(BUTTON_EV_VERY_LONG));
}

static void test_button_held_at_boot_is_ignored_until_released(void) {
  setup(true, true);
  hold(true, 12000);
  hold(false, 600);
  CHECK_EQ_INT(nev, 0);
  CHECK(!button_is_pressed(&b));
  hold(true, 100);
  hold(false, 600);
  button_event_type_t g[8];
  CHECK_EQ_INT(gestures(g, 8), 1);
  CHECK_EQ_INT(g[0], BUTTON_EV_SINGLE);
}

static void test_configurable_times(void) {
  button_config_t c;
  button_config_default(&c);
  c.long_press_ms = 3000;
  c.very_long_ms = 5000;
  now = 0;
  button_init(&b, &c, false, now);
  nev = 0;
  hold(true, 2000);
  CHECK(!has(BUTTON_EV_LONG));
  hold(true, 1100);
  CHECK(has(BUTTON_EV_LONG));
  hold(true, 2000);
  hold(false, 100);
  CHECK(has(BUTTON_EV_VERY_LONG));
}

static void test_names(void) {
  CHECK_STR(button_gesture_name(BUTTON_EV_SINGLE), "single");
  CHECK_STR(button_gesture_name(BUTTON_EV_DOUBLE), "double");
  CHECK_STR(button_gesture_name(BUTTON_EV_LONG), "long");
  CHECK_STR(button_gesture_name(BUTTON_EV_VERY_LONG), "very_long");
  CHECK(button_gesture_name(BUTTON_EV_PRESS) == NULL);
}

static void test_full_queue_counts_drops(void) {
  button_config_t c;
  button_config_default(&c);
  c.multi_press = false;
  button_init(&b, &c, false, 0);
  now = 0;
  for (int i = 0; i < 10; i++) { /* 3 events per click, never drained */
    for (int k = 0; k < 10; k++) button_update(&b, now += STEP_US, true);
    for (int k = 0; k < 10; k++) button_update(&b, now += STEP_US, false);
  }
  CHECK(b.dropped > 0);
  button_event_t e;
  int n = 0;
  while (button_next_event(&b, &e)) n++;
  CHECK_EQ_INT(n, BUTTON_QUEUE_LEN);
}

int main(void) {
  RUN(test_short_press_is_single_after_window);
  RUN(test_single_without_multi_press_is_immediate);
  RUN(test_double_and_multi_press);
  RUN(test_presses_further_apart_than_window_are_two_singles);
  RUN(test_bounce_is_filtered);
  RUN(test_long_press_fires_while_held_and_is_not_a_single);
  RUN(test_very_long_press_acts_on_release_only);
  RUN(test_stuck_button_never_requests_setup);
  RUN(test_button_held_at_boot_is_ignored_until_released);
  RUN(test_configurable_times);
  RUN(test_names);
  RUN(test_full_queue_counts_drops);
  return unit_report();
}
