/* The plug device on the POSIX HAL the simulated plug uses: relay pin never glitches across a warm reboot,
 * the injected button toggles it, the LED pin follows, all in manual (deterministic) simulated time. */
#include "device/device.h"
#include "posix_io.h"
#include "unit.h"

static int g_relay_events;
static void on_event(void *ctx, const device_event_t *ev) {
  (void)ctx;
  if (ev->type == DEVICE_EV_RELAY) g_relay_events++;
}

static device_t dev;

static void boot(hal_reset_reason_t reset, bool saved_on) {
  posix_io_reset(); /* a new process: every pin unconfigured */
  board_profile_t b;
  board_default(&b);
  device_config_t c;
  device_config_default(&c);
  c.power_on = RELAY_POWER_ON_OFF;
  device_boot_t info = {.saved_valid = true, .saved_mask = saved_on ? 1 : 0, .reset = reset};
  g_relay_events = 0;
  CHECK_EQ_INT(device_init(&dev, &b, &c, &info, on_event, NULL, hal_time_us64()), HAL_OK);
}

static void run_ms(uint32_t ms) {
  for (uint32_t t = 0; t < ms; t += 10) {
    posix_io_sleep_us(10000);
    device_tick(&dev, hal_time_us64(), NULL);
  }
}

static void test_warm_reboot_keeps_relay_without_glitch(void) {
  posix_io_time_set_manual(true);
  boot(HAL_RESET_SOFTWARE, true);
  CHECK(posix_io_output(2));
  CHECK_EQ_INT(posix_io_output_changes(2), 1);
  CHECK(!posix_io_output(20)); /* LED active low: lit */
  run_ms(3000);
  CHECK_EQ_INT(posix_io_output_changes(2), 1);
  CHECK_EQ_INT(g_relay_events, 0);
}

static void test_power_up_applies_policy(void) {
  boot(HAL_RESET_POWER_ON, true);
  CHECK(!posix_io_output(2));
  CHECK_EQ_INT(posix_io_output_changes(2), 1);
  CHECK_EQ_INT(g_relay_events, 1);
}

static void test_injected_button_toggles(void) {
  boot(HAL_RESET_POWER_ON, false);
  CHECK(posix_io_is_input(17));
  CHECK(hal_gpio_read(17)); /* pull-up: released */
  run_ms(100);
  posix_io_set_input(17, false);
  run_ms(150);
  posix_io_set_input(17, true);
  run_ms(600);
  CHECK(posix_io_output(2));
  CHECK(!posix_io_output(20));
  CHECK_EQ_INT(posix_io_output_changes(2), 2);
  posix_io_time_set_manual(false);
}

int main(void) {
  RUN(test_warm_reboot_keeps_relay_without_glitch);
  RUN(test_power_up_applies_policy);
  RUN(test_injected_button_toggles);
  return unit_report();
}
