/* Relay: Tasmota PowerOnState table, warm resets keep the state, the pin is set in one step. */
#include "fake_io.h"
#include "relay/relay.h"
#include "unit.h"

static bool boot(relay_power_on_t p, bool valid, bool saved, hal_reset_reason_t reset) {
  relay_boot_info_t b = {.saved_valid = valid, .saved_on = saved, .reset = reset};
  return relay_boot_state(p, &b);
}

static void test_power_up_follows_policy(void) {
  for (int saved = 0; saved <= 1; saved++) {
    CHECK(!boot(RELAY_POWER_ON_OFF, true, saved, HAL_RESET_POWER_ON));
    CHECK(boot(RELAY_POWER_ON_ON, true, saved, HAL_RESET_POWER_ON));
    CHECK_EQ_INT(boot(RELAY_POWER_ON_TOGGLE, true, saved, HAL_RESET_POWER_ON), !saved);
    CHECK_EQ_INT(boot(RELAY_POWER_ON_RESTORE, true, saved, HAL_RESET_POWER_ON), saved);
    /* brownout and unknown count as power-up */
    CHECK_EQ_INT(boot(RELAY_POWER_ON_RESTORE, true, saved, HAL_RESET_BROWNOUT), saved);
    CHECK(boot(RELAY_POWER_ON_ON, true, saved, HAL_RESET_UNKNOWN));
  }
}

static void test_nothing_saved_means_off_for_toggle_and_restore(void) {
  CHECK(!boot(RELAY_POWER_ON_TOGGLE, false, true, HAL_RESET_POWER_ON));
  CHECK(!boot(RELAY_POWER_ON_RESTORE, false, true, HAL_RESET_POWER_ON));
  CHECK(boot(RELAY_POWER_ON_ON, false, false, HAL_RESET_POWER_ON));
  CHECK(!boot(RELAY_POWER_ON_RESTORE, false, true, HAL_RESET_SOFTWARE));
}

static void test_warm_reset_keeps_state_whatever_the_policy(void) {
  static const hal_reset_reason_t warm[] = {HAL_RESET_SOFTWARE, HAL_RESET_WATCHDOG, HAL_RESET_EXCEPTION};
  for (unsigned w = 0; w < 3; w++) {
    for (int p = 0; p < 4; p++) {
      CHECK(boot((relay_power_on_t)p, true, true, warm[w]));
      CHECK(!boot((relay_power_on_t)p, true, false, warm[w]));
    }
  }
}

static void test_names(void) {
  relay_power_on_t p;
  CHECK(relay_power_on_parse("restore", &p));
  CHECK_EQ_INT(p, RELAY_POWER_ON_RESTORE);
  CHECK(relay_power_on_parse("toggle", &p));
  CHECK_EQ_INT(p, 2);
  CHECK(!relay_power_on_parse("Restore", &p));
  CHECK(!relay_power_on_parse(NULL, &p));
  CHECK_STR(relay_power_on_name(RELAY_POWER_ON_OFF), "off");
  CHECK_STR(relay_power_on_name(RELAY_POWER_ON_ON), "on");
  CHECK_STR(relay_cause_name(RELAY_CAUSE_PROTECTION), "protection");
}

static void test_init_drives_final_level_in_one_step(void) {
  fake_io_reset();
  relay_t r;
  CHECK_EQ_INT(relay_init(&r, 2, false, true), HAL_OK);
  CHECK(fake_pins[2].configured_output);
  CHECK_EQ_INT(fake_pins[2].nhistory, 1);
  CHECK(fake_io_only_level(2, true));
  /* active-low relay, on: driven low from the first instant */
  fake_io_reset();
  CHECK_EQ_INT(relay_init(&r, 5, true, true), HAL_OK);
  CHECK(fake_io_only_level(5, false));
  CHECK(relay_is_on(&r));
}

static void test_set_and_toggle(void) {
  fake_io_reset();
  relay_t r;
  relay_init(&r, 2, true, false);
  CHECK(fake_pins[2].level); /* off = high for active-low */
  CHECK(relay_set(&r, true));
  CHECK(!fake_pins[2].level);
  CHECK(!relay_set(&r, true)); /* no change */
  CHECK(relay_toggle(&r));
  CHECK(!relay_is_on(&r));
  CHECK(fake_pins[2].level);
  /* a bad pin: init fails, later writes do not touch anything */
  CHECK_EQ_INT(relay_init(&r, 200, false, false), HAL_ERR_ARG);
  CHECK(relay_set(&r, true));
}

int main(void) {
  RUN(test_power_up_follows_policy);
  RUN(test_nothing_saved_means_off_for_toggle_and_restore);
  RUN(test_warm_reset_keeps_state_whatever_the_policy);
  RUN(test_names);
  RUN(test_init_drives_final_level_in_one_step);
  RUN(test_set_and_toggle);
  return unit_report();
}
