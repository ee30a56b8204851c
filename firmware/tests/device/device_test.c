/* Device: boot order and glitch-free relay, button → relay/events, child lock, setup request, LEDs,
 * protections opening and re-closing the relay, safe mode. */
#include <string.h>

#include "device/device.h"
#include "fake_io.h"
#include "unit.h"

#define MS(x) ((uint64_t)(x) * 1000u)
#define PIN_RELAY 2
#define PIN_LED 20
#define PIN_BTN 17

static device_t dev;
static device_event_t evs[64];
static int nev;

static void on_event(void *ctx, const device_event_t *ev) {
  (void)ctx;
  if (nev < 64) evs[nev++] = *ev;
}

static int count(device_event_type_t t) {
  int n = 0;
  for (int i = 0; i < nev; i++) n += evs[i].type == t;
  return n;
}

static const device_event_t *last(device_event_type_t t) {
  for (int i = nev - 1; i >= 0; i--) {
    if (evs[i].type == t) return &evs[i];
  }
  return NULL;
}

static void boot_with(relay_power_on_t policy, bool saved_valid, bool saved_on, hal_reset_reason_t reset) {
  fake_io_reset();
  nev = 0;
  board_profile_t b;
  board_default(&b);
  device_config_t c;
  device_config_default(&c);
  c.power_on = policy;
  device_boot_t boot = {.saved_valid = saved_valid, .saved_mask = saved_on ? 1 : 0, .reset = reset};
  fake_now_us = MS(5);
  CHECK_EQ_INT(device_init(&dev, &b, &c, &boot, on_event, NULL, fake_now_us), HAL_OK);
}

/* Advances time in 10 ms ticks with the button (active low) pressed or not. */
static void run(bool pressed, uint32_t ms, const device_metering_t *m) {
  fake_io_set_input(PIN_BTN, !pressed);
  for (uint32_t t = 0; t < ms; t += 10) {
    fake_now_us += MS(10);
    device_tick(&dev, fake_now_us, m);
  }
}

static void test_relay_is_the_first_pin_driven_and_never_glitches(void) {
  boot_with(RELAY_POWER_ON_RESTORE, true, true, HAL_RESET_WATCHDOG);
  CHECK(device_relay_get(&dev, 0));
  CHECK(fake_pins[PIN_RELAY].configured_output);
  CHECK_EQ_INT(fake_pins[PIN_RELAY].output_configs, 1);
  CHECK(fake_io_only_level(PIN_RELAY, true));
  CHECK_EQ_INT(nev, 0); /* unchanged from saved: nothing to persist */
  run(false, 2000, NULL);
  CHECK(fake_io_only_level(PIN_RELAY, true));
  /* LED (active low) lit because the relay is on, from its first write */
  CHECK(fake_io_only_level(PIN_LED, false));
  CHECK(fake_pins[PIN_BTN].configured_input);
  CHECK_EQ_INT(fake_pins[PIN_BTN].pull, HAL_PULL_UP);
}

static void test_policy_off_on_power_up_reports_boot_change(void) {
  boot_with(RELAY_POWER_ON_OFF, true, true, HAL_RESET_POWER_ON);
  CHECK(!device_relay_get(&dev, 0));
  CHECK(fake_io_only_level(PIN_RELAY, false));
  CHECK_EQ_INT(count(DEVICE_EV_RELAY), 1);
  CHECK_EQ_INT(last(DEVICE_EV_RELAY)->cause, RELAY_CAUSE_BOOT);
  CHECK(!last(DEVICE_EV_RELAY)->on);
  /* same policy, warm reboot: stays on, no glitch */
  boot_with(RELAY_POWER_ON_OFF, true, true, HAL_RESET_SOFTWARE);
  CHECK(fake_io_only_level(PIN_RELAY, true));
  /* toggle policy */
  boot_with(RELAY_POWER_ON_TOGGLE, true, false, HAL_RESET_POWER_ON);
  CHECK(device_relay_get(&dev, 0));
}

static void test_invalid_board_drives_nothing(void) {
  fake_io_reset();
  board_profile_t b;
  board_default(&b);
  b.leds[0].pin = PIN_RELAY;
  device_config_t c;
  device_config_default(&c);
  device_boot_t boot = {.saved_valid = false, .reset = HAL_RESET_POWER_ON};
  CHECK_EQ_INT(device_init(&dev, &b, &c, &boot, on_event, NULL, 0), HAL_ERR_ARG);
  for (int p = 0; p < FAKE_PINS; p++) CHECK_EQ_INT(fake_pins[p].nhistory, 0);
}

static void test_short_press_toggles_and_reports(void) {
  boot_with(RELAY_POWER_ON_OFF, true, false, HAL_RESET_POWER_ON);
  run(false, 100, NULL);
  run(true, 150, NULL);
  run(false, 600, NULL);
  CHECK(device_relay_get(&dev, 0));
  CHECK(fake_pins[PIN_RELAY].level);
  CHECK(!fake_pins[PIN_LED].level); /* LED follows (active low) */
  const device_event_t *r = last(DEVICE_EV_RELAY);
  CHECK(r != NULL && r->on && r->cause == RELAY_CAUSE_BUTTON);
  const device_event_t *b = last(DEVICE_EV_BUTTON);
  CHECK(b != NULL && b->button.type == BUTTON_EV_SINGLE);
  /* double press: reported, relay untouched */
  nev = 0;
  run(true, 100, NULL);
  run(false, 150, NULL);
  run(true, 100, NULL);
  run(false, 600, NULL);
  CHECK(device_relay_get(&dev, 0));
  CHECK_EQ_INT(count(DEVICE_EV_RELAY), 0);
  CHECK_EQ_INT(last(DEVICE_EV_BUTTON)->button.type, BUTTON_EV_DOUBLE);
}

static void test_child_lock_reports_but_does_not_switch(void) {
  boot_with(RELAY_POWER_ON_OFF, true, false, HAL_RESET_POWER_ON);
  device_config_t c;
  device_config_default(&c);
  c.button_enabled = false;
  device_set_config(&dev, &c);
  run(true, 150, NULL);
  run(false, 600, NULL);
  CHECK(!device_relay_get(&dev, 0));
  CHECK_EQ_INT(count(DEVICE_EV_BUTTON), 1);
  /* the very long press still requests setup mode */
  run(true, 10500, NULL);
  CHECK_EQ_INT(count(DEVICE_EV_SETUP_REQUEST), 0);
  CHECK(dev.setup_ready);
  run(false, 200, NULL);
  CHECK_EQ_INT(count(DEVICE_EV_SETUP_REQUEST), 1);
  CHECK(!device_relay_get(&dev, 0));
}

static void test_long_press_reports_and_optionally_toggles(void) {
  boot_with(RELAY_POWER_ON_OFF, true, false, HAL_RESET_POWER_ON);
  run(true, 1200, NULL);
  run(false, 600, NULL);
  CHECK(!device_relay_get(&dev, 0));
  CHECK_EQ_INT(last(DEVICE_EV_BUTTON)->button.type, BUTTON_EV_LONG);
  device_config_t c;
  device_config_default(&c);
  c.long_press_toggles = true;
  device_set_config(&dev, &c);
  run(true, 1200, NULL);
  CHECK(device_relay_get(&dev, 0)); /* at the long-press moment, still held */
  run(false, 600, NULL);
  CHECK(device_relay_get(&dev, 0));
}

static void test_setup_ready_blinks_led_fast(void) {
  boot_with(RELAY_POWER_ON_ON, false, false, HAL_RESET_POWER_ON);
  run(true, 10100, NULL);
  uint32_t before = fake_pins[PIN_LED].nhistory;
  run(true, 1000, NULL);
  CHECK(fake_pins[PIN_LED].nhistory - before >= 18); /* ~10 Hz */
  run(false, 100, NULL);
  device_set_network(&dev, LED_NET_SETUP);
  before = fake_pins[PIN_LED].nhistory;
  run(false, 2000, NULL);
  CHECK_EQ_INT(fake_pins[PIN_LED].nhistory - before, 8); /* 2 Hz */
}

static void test_commands_and_bad_index(void) {
  boot_with(RELAY_POWER_ON_OFF, false, false, HAL_RESET_POWER_ON);
  nev = 0;
  CHECK(device_relay_set(&dev, 0, true, RELAY_CAUSE_COMMAND));
  CHECK(device_relay_get(&dev, 0));
  CHECK_EQ_INT(device_relay_mask(&dev), 1);
  CHECK_EQ_INT(count(DEVICE_EV_RELAY), 1);
  CHECK(device_relay_set(&dev, 0, true, RELAY_CAUSE_COMMAND));
  CHECK_EQ_INT(count(DEVICE_EV_RELAY), 1); /* no change, no event */
  run(false, DEVICE_RELAY_MIN_INTERVAL_MS, NULL);
  CHECK(device_relay_toggle(&dev, 0, RELAY_CAUSE_COMMAND));
  CHECK(!device_relay_get(&dev, 0));
  CHECK(!device_relay_set(&dev, 1, true, RELAY_CAUSE_COMMAND));
  CHECK(!device_relay_get(&dev, 7));
  CHECK_EQ_INT(device_relay_count(&dev), 1);
}

/* Issue #13: a flood of commands switches the relay at most once per DEVICE_RELAY_MIN_INTERVAL_MS; the last
 * request wins and is applied when the interval has passed; a request after a quiet interval is immediate. */
static void test_min_interval_last_command_wins(void) {
  boot_with(RELAY_POWER_ON_OFF, false, false, HAL_RESET_POWER_ON);
  run(false, 1000, NULL);
  nev = 0;
  CHECK(device_relay_set(&dev, 0, true, RELAY_CAUSE_COMMAND)); /* quiet before: at once */
  CHECK(device_relay_get(&dev, 0));
  CHECK_EQ_INT(count(DEVICE_EV_RELAY), 1);
  uint32_t pin_levels = fake_pins[PIN_RELAY].nhistory;
  /* 1000 toggles, 1 ms apart: the relay moves at most once per interval */
  for (int i = 0; i < 1000; i++) {
    fake_now_us += MS(1);
    CHECK(device_relay_toggle(&dev, 0, RELAY_CAUSE_COMMAND));
    if (i % 10 == 9) device_tick(&dev, fake_now_us, NULL);
  }
  int switches = count(DEVICE_EV_RELAY) - 1;
  CHECK(switches >= 1 && switches <= 1000 / (int)DEVICE_RELAY_MIN_INTERVAL_MS + 1);
  /* 1001 toggles in all from off: the last one asked for on */
  bool pend = false;
  bool has_pending = device_relay_pending(&dev, 0, &pend);
  bool target = has_pending ? pend : device_relay_get(&dev, 0);
  CHECK(target);
  run(false, DEVICE_RELAY_MIN_INTERVAL_MS + 10, NULL);
  CHECK(device_relay_get(&dev, 0));
  CHECK(!device_relay_pending(&dev, 0, &pend));
  /* every switching really was spaced: the pin moved no more often than the events say */
  CHECK(fake_pins[PIN_RELAY].nhistory - pin_levels >= (uint32_t)(count(DEVICE_EV_RELAY) - 1));

  /* inside the interval: off is pending, the relay stays on and reports nothing yet */
  nev = 0;
  run(false, 1000, NULL);
  CHECK(device_relay_set(&dev, 0, false, RELAY_CAUSE_COMMAND)); /* at once: quiet for 1 s */
  CHECK(!device_relay_get(&dev, 0));
  fake_now_us += MS(50);
  CHECK(device_relay_set(&dev, 0, true, RELAY_CAUSE_COMMAND));
  CHECK(!device_relay_get(&dev, 0));
  CHECK(device_relay_pending(&dev, 0, &pend) && pend);
  fake_now_us += MS(50);
  CHECK(device_relay_set(&dev, 0, false, RELAY_CAUSE_BUTTON)); /* back to the current state: nothing pending */
  CHECK(!device_relay_pending(&dev, 0, &pend));
  CHECK(device_relay_set(&dev, 0, true, RELAY_CAUSE_COMMAND));
  CHECK_EQ_INT(count(DEVICE_EV_RELAY), 1);
  run(false, 90, NULL); /* 190 ms after the switch: still waiting */
  CHECK(!device_relay_get(&dev, 0));
  run(false, 20, NULL);
  CHECK(device_relay_get(&dev, 0));
  CHECK_EQ_INT(count(DEVICE_EV_RELAY), 2);
  CHECK_EQ_INT(last(DEVICE_EV_RELAY)->cause, RELAY_CAUSE_COMMAND);
}

/* A protection never waits for the interval, and drops what was pending. */
static void test_protection_opens_at_once_inside_the_interval(void) {
  boot_with(RELAY_POWER_ON_OFF, false, false, HAL_RESET_POWER_ON);
  device_metering_t ok = {.valid = true, .power_w = 100.0f, .current_a = 0.5f};
  device_metering_t over = {.valid = true, .power_w = 4000.0f, .current_a = 17.0f};
  run(false, 1000, &ok);
  device_relay_set(&dev, 0, true, RELAY_CAUSE_COMMAND);
  CHECK(device_relay_get(&dev, 0));
  nev = 0;
  /* the limit's hold time passes inside intervals kept busy by commands */
  uint64_t start = fake_now_us;
  while (device_relay_get(&dev, 0) && fake_now_us - start < MS(10000)) {
    fake_now_us += MS(10);
    device_relay_set(&dev, 0, true, RELAY_CAUSE_COMMAND);
    device_tick(&dev, fake_now_us, &over);
  }
  CHECK(!device_relay_get(&dev, 0));
  CHECK_EQ_INT(last(DEVICE_EV_RELAY)->cause, RELAY_CAUSE_PROTECTION);
  /* right after a switch-on, a trip still opens at once */
  run(false, 1000, &ok);
  device_relay_set(&dev, 0, true, RELAY_CAUSE_COMMAND);
  CHECK(device_relay_get(&dev, 0));
  nev = 0;
  device_relay_set(&dev, 0, false, RELAY_CAUSE_PROTECTION);
  CHECK(!device_relay_get(&dev, 0));
  CHECK_EQ_INT(count(DEVICE_EV_RELAY), 1);
  bool pend;
  CHECK(!device_relay_pending(&dev, 0, &pend));
}

static void test_overpower_trips_reports_and_clears_on_switch_on(void) {
  boot_with(RELAY_POWER_ON_ON, false, false, HAL_RESET_POWER_ON);
  device_metering_t m = {.valid = true, .power_w = 3900.0f, .current_a = 15.0f};
  nev = 0;
  run(false, 1900, &m);
  CHECK(device_relay_get(&dev, 0));
  run(false, 200, &m);
  CHECK(!device_relay_get(&dev, 0));
  CHECK(!fake_pins[PIN_RELAY].level);
  CHECK_EQ_INT(device_tripped(&dev), PROTECT_OVERPOWER);
  CHECK_NEAR(device_trip_value(&dev), 3900.0, 0.01);
  CHECK_EQ_INT(last(DEVICE_EV_RELAY)->cause, RELAY_CAUSE_PROTECTION);
  CHECK_EQ_INT(last(DEVICE_EV_PROTECTION)->reason, PROTECT_OVERPOWER);
  /* LED double-flashes while tripped */
  uint32_t before = fake_pins[PIN_LED].nhistory;
  m.power_w = 0;
  run(false, 4000, &m);
  CHECK_EQ_INT(fake_pins[PIN_LED].nhistory - before, 8);
  /* switched off by command: still tripped (no re-close either) */
  device_relay_set(&dev, 0, false, RELAY_CAUSE_COMMAND);
  CHECK_EQ_INT(device_tripped(&dev), PROTECT_OVERPOWER);
  /* switched on by the button: cleared and reported */
  nev = 0;
  run(true, 100, &m);
  run(false, 600, &m);
  CHECK(device_relay_get(&dev, 0));
  CHECK_EQ_INT(device_tripped(&dev), PROTECT_NONE);
  CHECK_EQ_INT(last(DEVICE_EV_PROTECTION)->reason, PROTECT_NONE);
}

static void test_reclose_window(void) {
  boot_with(RELAY_POWER_ON_ON, false, false, HAL_RESET_POWER_ON);
  device_config_t c;
  device_config_default(&c);
  c.protect.window_ms = 5000;
  device_set_config(&dev, &c);
  device_metering_t m = {.valid = true, .power_w = 100.0f, .current_a = 17.0f};
  run(false, 2100, &m);
  CHECK(!device_relay_get(&dev, 0));
  CHECK_EQ_INT(device_tripped(&dev), PROTECT_OVERCURRENT);
  nev = 0;
  run(false, 5100, &m);
  CHECK(device_relay_get(&dev, 0));
  CHECK_EQ_INT(last(DEVICE_EV_RELAY)->cause, RELAY_CAUSE_RECLOSE);
  CHECK_EQ_INT(device_tripped(&dev), PROTECT_NONE);
  /* protocol §4: a trip again within 60 s of the automatic re-close stays open */
  run(false, 2100, &m);
  CHECK(!device_relay_get(&dev, 0));
  run(false, 30000, &m);
  CHECK(!device_relay_get(&dev, 0));
  CHECK_EQ_INT(device_tripped(&dev), PROTECT_OVERCURRENT);
  /* switched on by hand, then a good minute: the next trip re-closes again */
  device_relay_set(&dev, 0, true, RELAY_CAUSE_COMMAND);
  m.current_a = 1.0f;
  run(false, 61000, &m);
  m.current_a = 17.0f;
  run(false, 2100, &m);
  CHECK(!device_relay_get(&dev, 0));
  run(false, 5100, &m);
  CHECK(device_relay_get(&dev, 0));
}

static void test_safe_mode_disables_protection(void) {
  boot_with(RELAY_POWER_ON_ON, false, false, HAL_RESET_POWER_ON);
  device_set_safe_mode(&dev, true);
  device_metering_t m = {.valid = true, .power_w = 9000.0f, .current_a = 40.0f};
  run(false, 5000, &m);
  CHECK(device_relay_get(&dev, 0));
}

static void test_identify_blinks(void) {
  boot_with(RELAY_POWER_ON_OFF, false, false, HAL_RESET_POWER_ON);
  run(false, 100, NULL);
  uint32_t before = fake_pins[PIN_LED].nhistory;
  device_identify(&dev, 1000);
  run(false, 1000, NULL);
  CHECK(fake_pins[PIN_LED].nhistory - before >= 9);
  before = fake_pins[PIN_LED].nhistory;
  run(false, 1000, NULL);
  CHECK(fake_pins[PIN_LED].nhistory - before <= 1);
  CHECK(fake_pins[PIN_LED].level); /* back to off (active low) */
}

static void test_two_relays_from_template(void) {
  fake_io_reset();
  nev = 0;
  static const char t[] = "{\"pins\":{\"4\":\"Rel;1\",\"5\":\"Rel_n;2\",\"6\":\"Btn;2\",\"7\":\"LED;2\"}}";
  board_profile_t b;
  board_error_t err;
  CHECK_EQ_INT(board_import_openbeken(t, sizeof t - 1, &b, &err), BOARD_OK);
  device_config_t c;
  device_config_default(&c);
  device_boot_t boot = {.saved_valid = true, .saved_mask = 2, .reset = HAL_RESET_POWER_ON};
  CHECK_EQ_INT(device_init(&dev, &b, &c, &boot, on_event, NULL, 0), HAL_OK);
  CHECK(!device_relay_get(&dev, 0));
  CHECK(device_relay_get(&dev, 1));
  CHECK(fake_io_only_level(5, false)); /* Rel_n on = low */
  CHECK(fake_io_only_level(7, true));
  fake_io_set_input(6, false);
  for (int i = 0; i < 20; i++) device_tick(&dev, fake_now_us += MS(10), NULL);
  fake_io_set_input(6, true);
  for (int i = 0; i < 60; i++) device_tick(&dev, fake_now_us += MS(10), NULL);
  CHECK(!device_relay_get(&dev, 1)); /* button on channel 2 toggled relay 1 */
  CHECK(!device_relay_get(&dev, 0));
  CHECK(!fake_pins[7].level);
  device_metering_t m = {.valid = true, .power_w = 5000.0f};
  device_relay_set(&dev, 0, true, RELAY_CAUSE_COMMAND);
  device_relay_set(&dev, 1, true, RELAY_CAUSE_COMMAND);
  for (int i = 0; i < 250; i++) device_tick(&dev, fake_now_us += MS(10), &m);
  CHECK_EQ_INT(device_relay_mask(&dev), 0); /* one meter: the trip opens both */
}

int main(void) {
  RUN(test_relay_is_the_first_pin_driven_and_never_glitches);
  RUN(test_policy_off_on_power_up_reports_boot_change);
  RUN(test_invalid_board_drives_nothing);
  RUN(test_short_press_toggles_and_reports);
  RUN(test_child_lock_reports_but_does_not_switch);
  RUN(test_long_press_reports_and_optionally_toggles);
  RUN(test_setup_ready_blinks_led_fast);
  RUN(test_commands_and_bad_index);
  RUN(test_min_interval_last_command_wins);
  RUN(test_protection_opens_at_once_inside_the_interval);
  RUN(test_overpower_trips_reports_and_clears_on_switch_on);
  RUN(test_reclose_window);
  RUN(test_safe_mode_disables_protection);
  RUN(test_identify_blinks);
  RUN(test_two_relays_from_template);
  return unit_report();
}
