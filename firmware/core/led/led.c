/* led.c — LED patterns (see led.h). */
#include "led/led.h"

#include <string.h>

static const char *const k_mode_names[] = {"relay", "inverted", "off", "network"};

const char *led_mode_name(led_mode_t m) { return (unsigned)m < 4u ? k_mode_names[m] : "relay"; }

bool led_mode_parse(const char *s, led_mode_t *out) {
  if (s == NULL) return false;
  for (unsigned i = 0; i < 4u; i++) {
    if (strcmp(s, k_mode_names[i]) == 0) {
      *out = (led_mode_t)i;
      return true;
    }
  }
  return false;
}

/* Square wave: lit for on_ms of every period_ms, phase counted from t0. */
static bool blink(uint64_t now_us, uint64_t t0_us, uint32_t on_ms, uint32_t period_ms) {
  uint64_t ms = (now_us - t0_us) / 1000u;
  return ms % period_ms < on_ms;
}

bool led_compute(led_mode_t mode, bool status_led, const led_inputs_t *in, uint64_t now_us,
                 uint64_t identify_start_us, uint64_t identify_until_us) {
  if (now_us < identify_until_us && now_us >= identify_start_us) return blink(now_us, identify_start_us, 100, 200);
  if (in->setup_ready) return blink(now_us, 0, 50, 100);
  if (in->net == LED_NET_SETUP) return blink(now_us, 0, 250, 500);
  if (mode == LED_MODE_OFF) return false;
  if (status_led) mode = LED_MODE_NETWORK;
  if (in->tripped && !status_led) {
    uint64_t ms = (now_us / 1000u) % 2000u; /* flash at 0–100 and 300–400 ms of each 2 s */
    return ms < 100u || (ms >= 300u && ms < 400u);
  }
  switch (mode) {
    case LED_MODE_RELAY: return in->relay_on;
    case LED_MODE_INVERTED: return !in->relay_on;
    case LED_MODE_NETWORK:
      if (in->net == LED_NET_CONNECTED) return true;
      if (in->net == LED_NET_CONNECTING) return blink(now_us, 0, 500, 1000);
      return false;
    case LED_MODE_OFF:
    default: return false;
  }
}

static bool level_for(const led_t *l, bool lit) { return l->active_low ? !lit : lit; }

hal_status_t led_init(led_t *l, uint8_t pin, bool active_low, bool status_led, led_mode_t mode, bool lit) {
  memset(l, 0, sizeof *l);
  l->pin = pin;
  l->active_low = active_low;
  l->status_led = status_led;
  l->mode = mode;
  l->lit = lit;
  hal_status_t s = hal_gpio_output(pin, level_for(l, lit));
  l->ready = s == HAL_OK;
  return s;
}

void led_set_mode(led_t *l, led_mode_t mode) { l->mode = mode; }

void led_identify(led_t *l, uint64_t now_us, uint32_t duration_ms) {
  l->identify_start_us = now_us;
  l->identify_until_us = duration_ms ? now_us + (uint64_t)duration_ms * 1000u : 0;
}

bool led_identify_active(const led_t *l, uint64_t now_us) {
  return now_us >= l->identify_start_us && now_us < l->identify_until_us;
}

void led_update(led_t *l, uint64_t now_us, const led_inputs_t *in) {
  bool lit = led_compute(l->mode, l->status_led, in, now_us, l->identify_start_us, l->identify_until_us);
  if (lit == l->lit) return;
  l->lit = lit;
  if (l->ready) (void)hal_gpio_write(l->pin, level_for(l, lit));
}

bool led_is_lit(const led_t *l) { return l->lit; }
