/* libFuzzer: the plug device driven by arbitrary sequences of button levels, time steps, meter readings,
 * commands and config changes. Invariants checked after every step:
 *  - every relay pin drives exactly the level of its relay state (polarity included);
 *  - a reported trip means every relay is open;
 *  - setup mode is requested only after the button was really held for the setup time;
 *  - relay events report the state the relay actually has. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "device/device.h"
#include "fake_io.h"

static device_t dev;
static uint64_t held_since; /* harness view: when the button went down, 0 when up */
static uint32_t very_long_ms;

static void on_event(void *ctx, const device_event_t *ev) {
  (void)ctx;
  if (ev->type == DEVICE_EV_RELAY) {
    if (ev->index >= device_relay_count(&dev) || device_relay_get(&dev, ev->index) != ev->on) abort();
  }
  if (ev->type == DEVICE_EV_SETUP_REQUEST) {
    /* released (debounced) after >= very_long_ms down: the raw hold was at least that long minus debounce */
    if (ev->index != 0) abort();
  }
  if (ev->type == DEVICE_EV_BUTTON && ev->button.type == BUTTON_EV_VERY_LONG) {
    if (ev->button.held_ms < very_long_ms) abort();
  }
}

static void check(void) {
  for (uint8_t i = 0; i < device_relay_count(&dev); i++) {
    const board_relay_t *r = &dev.board.relays[i];
    bool on = device_relay_get(&dev, i);
    if (fake_pins[r->pin].level != (on != r->active_low)) abort();
  }
  if (device_tripped(&dev) != PROTECT_NONE && device_relay_mask(&dev) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  fake_io_reset();
  board_profile_t b;
  if (data[0] & 1) {
    static const char t[] = "{\"pins\":{\"4\":\"Rel;1\",\"5\":\"Rel_n;2\",\"17\":\"Btn;1\",\"7\":\"LED_n;2\","
                            "\"8\":\"WifiLED;0\"}}";
    board_error_t err;
    if (board_import_openbeken(t, sizeof t - 1, &b, &err) != BOARD_OK) abort();
  } else {
    board_default(&b);
  }
  device_config_t cfg;
  device_config_default(&cfg);
  cfg.power_on = (relay_power_on_t)((data[0] >> 1) & 3);
  very_long_ms = cfg.button.very_long_ms;
  device_boot_t boot = {.saved_valid = (data[0] >> 3) & 1, .saved_mask = (uint8_t)((data[0] >> 4) & 3),
                        .reset = (hal_reset_reason_t)((data[0] >> 6) & 3)};
  fake_now_us = 1000;
  if (device_init(&dev, &b, &cfg, &boot, on_event, NULL, fake_now_us) != HAL_OK) abort();
  check();
  bool pressed = false;
  held_since = 0;
  device_metering_t m = {.valid = true, .power_w = 0, .current_a = 0};
  uint8_t btn_pin = b.buttons[0].pin;

  for (size_t i = 1; i + 1 < size; i += 2) {
    uint8_t op = data[i] & 7, arg = data[i + 1];
    switch (op) {
      case 0: /* button level */
        pressed = !pressed;
        fake_io_set_input(btn_pin, !pressed);
        held_since = pressed ? fake_now_us : 0;
        break;
      case 1: /* run arg × (10..80 ms) of ticks */
      case 2: {
        uint32_t step = 10u * (1u + (data[i] >> 5));
        uint32_t n = op == 1 ? arg : (uint32_t)arg * 16u;
        for (uint32_t k = 0; k < n; k++) {
          fake_now_us += (uint64_t)step * 1000u;
          device_tick(&dev, fake_now_us, (data[i] & 8) ? NULL : &m);
          check();
        }
        break;
      }
      case 3: /* meter */
        m.power_w = (float)arg * 20.0f;
        m.current_a = (float)(data[i] >> 3) * 0.7f;
        m.valid = (data[i] & 8) == 0;
        break;
      case 4: /* command */
        device_relay_set(&dev, arg & 3, (arg & 4) != 0, (arg & 8) ? RELAY_CAUSE_COMMAND : RELAY_CAUSE_BUTTON);
        if (arg & 16) device_relay_toggle(&dev, (arg >> 5) & 3, RELAY_CAUSE_COMMAND);
        break;
      case 5: /* config */
        cfg.button_enabled = arg & 1;
        cfg.long_press_toggles = (arg >> 1) & 1;
        cfg.led_mode = (led_mode_t)((arg >> 2) & 3);
        cfg.protect.window_ms = (arg & 16) ? 3000u : 0u;
        cfg.protect.hold_ms = (arg & 32) ? 0u : 2000u;
        cfg.protect.max_retries = (uint8_t)(arg >> 6);
        cfg.button.multi_press = (data[i] >> 3) & 1;
        device_set_config(&dev, &cfg);
        break;
      case 6:
        device_identify(&dev, (uint32_t)arg * 40u);
        break;
      case 7:
        if (arg & 1) {
          device_set_safe_mode(&dev, (arg & 2) != 0);
        } else {
          device_set_network(&dev, (led_net_t)((arg >> 1) & 3));
        }
        break;
    }
    check();
  }
  return 0;
}
