/* device.c — relays, buttons, LEDs and protections tied together (see device.h). */
#include "device/device.h"

#include <string.h>

void device_config_default(device_config_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->power_on = RELAY_POWER_ON_DEFAULT;
  cfg->led_mode = LED_MODE_RELAY;
  cfg->button_enabled = true;
  button_config_default(&cfg->button);
  protect_config_default(&cfg->protect);
}

static void emit(device_t *d, const device_event_t *ev) {
  if (d->cb) d->cb(d->ctx, ev);
}

static void emit_relay(device_t *d, uint8_t idx, relay_cause_t cause) {
  device_event_t ev = {.type = DEVICE_EV_RELAY, .index = idx, .on = d->relays[idx].on, .cause = cause};
  emit(d, &ev);
}

static void emit_protection(device_t *d) {
  device_event_t ev = {.type = DEVICE_EV_PROTECTION, .reason = d->protect.tripped, .value = d->protect.trip_value};
  emit(d, &ev);
}

static bool button_level_pressed(const board_button_t *b) {
  bool level = hal_gpio_read(b->pin);
  return b->active_high ? level : !level;
}

hal_status_t device_init(device_t *d, const board_profile_t *board, const device_config_t *cfg,
                         const device_boot_t *boot, device_event_cb_t cb, void *ctx, uint64_t now_us) {
  memset(d, 0, sizeof *d);
  if (board_validate(board, NULL) != BOARD_OK) return HAL_ERR_ARG;
  d->board = *board;
  d->cfg = *cfg;
  d->cb = cb;
  d->ctx = ctx;
  d->now_us = now_us;
  d->net = LED_NET_OFFLINE;
  memset(d->pending, -1, sizeof d->pending);

  /* relays first, each configured straight at its final level */
  hal_status_t result = HAL_OK;
  bool changed[BOARD_MAX_RELAYS] = {false};
  for (uint8_t i = 0; i < board->relay_count; i++) {
    relay_boot_info_t info = {
        .saved_valid = boot->saved_valid,
        .saved_on = (boot->saved_mask >> i) & 1u,
        .reset = boot->reset,
    };
    bool on = relay_boot_state(cfg->power_on, &info);
    hal_status_t s = relay_init(&d->relays[i], board->relays[i].pin, board->relays[i].active_low, on);
    if (s != HAL_OK) result = s;
    changed[i] = !boot->saved_valid || on != info.saved_on;
  }
  for (uint8_t i = 0; i < board->fixed_count; i++) (void)hal_gpio_output(board->fixed[i].pin, board->fixed[i].level);

  protect_init(&d->protect, &cfg->protect);

  for (uint8_t i = 0; i < board->led_count; i++) {
    const board_led_t *bl = &board->leds[i];
    bool status = bl->kind == BOARD_LED_STATUS;
    led_inputs_t in = {.relay_on = d->relays[bl->relay].on, .net = d->net};
    bool lit = led_compute(cfg->led_mode, status, &in, now_us, 0, 0);
    (void)led_init(&d->leds[i], bl->pin, bl->active_low, status, cfg->led_mode, lit);
  }
  for (uint8_t i = 0; i < board->button_count; i++) {
    const board_button_t *bb = &board->buttons[i];
    (void)hal_gpio_input(bb->pin, bb->active_high ? HAL_PULL_DOWN : HAL_PULL_UP);
    button_init(&d->buttons[i], &cfg->button, button_level_pressed(bb), now_us);
  }

  for (uint8_t i = 0; i < board->relay_count; i++) {
    if (changed[i]) emit_relay(d, i, RELAY_CAUSE_BOOT);
  }
  return result;
}

void device_set_config(device_t *d, const device_config_t *cfg) {
  d->cfg = *cfg;
  for (uint8_t i = 0; i < d->board.button_count; i++) button_set_config(&d->buttons[i], &cfg->button);
  for (uint8_t i = 0; i < d->board.led_count; i++) led_set_mode(&d->leds[i], cfg->led_mode);
  protect_set_config(&d->protect, &cfg->protect);
}

static void switch_relay(device_t *d, uint8_t idx, bool on, relay_cause_t cause) {
  d->pending[idx] = -1; /* whatever was requested before, this is the newest word */
  if (relay_set(&d->relays[idx], on)) {
    d->switched_us[idx] = hal_time_us64();
    if (d->switched_us[idx] == 0) d->switched_us[idx] = 1;
    emit_relay(d, idx, cause);
  }
}

static bool interval_over(const device_t *d, uint8_t idx, uint64_t now_us) {
  uint64_t last = d->switched_us[idx];
  return last == 0 || now_us - last >= (uint64_t)DEVICE_RELAY_MIN_INTERVAL_MS * 1000u;
}

/* The minimum interval: a change inside it waits as the pending state (the last request wins). */
static void request_relay(device_t *d, uint8_t idx, bool on, relay_cause_t cause) {
  if (cause == RELAY_CAUSE_PROTECTION || interval_over(d, idx, hal_time_us64())) {
    switch_relay(d, idx, on, cause);
  } else if (on == d->relays[idx].on) {
    d->pending[idx] = -1; /* back to where it is: nothing left to do */
  } else {
    d->pending[idx] = on ? 1 : 0;
    d->pending_cause[idx] = cause;
  }
}

static void apply_pending(device_t *d, uint64_t now_us) {
  for (uint8_t i = 0; i < d->board.relay_count; i++) {
    if (d->pending[i] >= 0 && interval_over(d, i, now_us)) switch_relay(d, i, d->pending[i] == 1, d->pending_cause[i]);
  }
}

bool device_relay_set(device_t *d, uint8_t idx, bool on, relay_cause_t cause) {
  if (idx >= d->board.relay_count) return false;
  if (cause == RELAY_CAUSE_BUTTON || cause == RELAY_CAUSE_COMMAND) {
    bool was_tripped = d->protect.tripped != PROTECT_NONE;
    if (on) {
      /* a person wants power: start over. Not for an ON to a relay that is on: a stream of those would
       * restart the limit's hold time forever and the overload would never be cut. */
      if (was_tripped || !d->relays[idx].on) protect_reset(&d->protect);
      if (was_tripped) emit_protection(d);
    } else {
      protect_cancel_reclose(&d->protect); /* a person wants it off: do not re-close behind their back */
    }
  }
  request_relay(d, idx, on, cause);
  return true;
}

bool device_relay_pending(const device_t *d, uint8_t idx, bool *on) {
  if (idx >= d->board.relay_count || d->pending[idx] < 0) return false;
  *on = d->pending[idx] == 1;
  return true;
}

bool device_relay_toggle(device_t *d, uint8_t idx, relay_cause_t cause) {
  if (idx >= d->board.relay_count) return false;
  bool target = d->relays[idx].on;
  (void)device_relay_pending(d, idx, &target);
  return device_relay_set(d, idx, !target, cause);
}

bool device_relay_get(const device_t *d, uint8_t idx) {
  return idx < d->board.relay_count && d->relays[idx].on;
}

uint8_t device_relay_count(const device_t *d) { return d->board.relay_count; }

uint8_t device_relay_mask(const device_t *d) {
  uint8_t m = 0;
  for (uint8_t i = 0; i < d->board.relay_count; i++) {
    if (d->relays[i].on) m |= (uint8_t)(1u << i);
  }
  return m;
}

void device_set_network(device_t *d, led_net_t net) { d->net = net; }

void device_identify(device_t *d, uint32_t duration_ms) {
  for (uint8_t i = 0; i < d->board.led_count; i++) led_identify(&d->leds[i], d->now_us, duration_ms);
}

void device_set_safe_mode(device_t *d, bool on) {
  d->safe_mode = on;
  if (on && d->protect.tripped != PROTECT_NONE) {
    protect_reset(&d->protect);
    emit_protection(d);
  } else if (on) {
    protect_reset(&d->protect);
  }
}

protect_reason_t device_tripped(const device_t *d) { return d->protect.tripped; }

float device_trip_value(const device_t *d) { return d->protect.trip_value; }

static void on_button_event(device_t *d, uint8_t bi, const button_event_t *e) {
  const board_button_t *bb = &d->board.buttons[bi];
  bool toggles = e->type == BUTTON_EV_SINGLE || (e->type == BUTTON_EV_LONG && d->cfg.long_press_toggles);
  if (toggles && d->cfg.button_enabled) {
    if (bb->all_relays) {
      bool any_on = device_relay_mask(d) != 0;
      for (uint8_t r = 0; r < d->board.relay_count; r++) device_relay_set(d, r, !any_on, RELAY_CAUSE_BUTTON);
    } else {
      device_relay_toggle(d, bb->relay, RELAY_CAUSE_BUTTON);
    }
  }
  if (button_gesture_name(e->type) != NULL) {
    device_event_t ev = {.type = DEVICE_EV_BUTTON, .index = bi, .button = *e};
    emit(d, &ev);
  }
  if (e->type == BUTTON_EV_VERY_LONG) {
    device_event_t ev = {.type = DEVICE_EV_SETUP_REQUEST, .index = bi};
    emit(d, &ev);
  }
}

static void run_protection(device_t *d, uint64_t now_us, const device_metering_t *m) {
  bool any_on = device_relay_mask(d) != 0;
  bool valid = m != NULL && m->valid;
  protect_action_t a = protect_update(&d->protect, now_us, any_on, valid, valid ? m->power_w : 0.0f,
                                      valid ? m->current_a : 0.0f);
  if (a == PROTECT_ACT_TRIP) {
    /* one meter for the whole plug: open every relay, remember which to re-close */
    d->protect_mask = device_relay_mask(d);
    for (uint8_t r = 0; r < d->board.relay_count; r++) switch_relay(d, r, false, RELAY_CAUSE_PROTECTION);
    emit_protection(d);
  } else if (a == PROTECT_ACT_RECLOSE) {
    emit_protection(d);
    uint8_t mask = d->protect_mask ? d->protect_mask : 1u;
    for (uint8_t r = 0; r < d->board.relay_count; r++) {
      if ((mask >> r) & 1u) request_relay(d, r, true, RELAY_CAUSE_RECLOSE);
    }
  }
}

void device_tick(device_t *d, uint64_t now_us, const device_metering_t *m) {
  d->now_us = now_us;
  bool ready = false;
  for (uint8_t i = 0; i < d->board.button_count; i++) {
    button_t *b = &d->buttons[i];
    button_update(b, now_us, button_level_pressed(&d->board.buttons[i]));
    button_event_t e;
    while (button_next_event(b, &e)) on_button_event(d, i, &e);
    if (button_is_pressed(b) && b->ready_sent && !b->stuck_sent) ready = true;
  }
  d->setup_ready = ready;

  if (!d->safe_mode) run_protection(d, now_us, m);
  apply_pending(d, now_us);

  bool tripped = d->protect.tripped != PROTECT_NONE;
  for (uint8_t i = 0; i < d->board.led_count; i++) {
    led_inputs_t in = {
        .relay_on = d->relays[d->board.leds[i].relay].on,
        .net = d->net,
        .tripped = tripped,
        .setup_ready = ready,
    };
    led_update(&d->leds[i], now_us, &in);
  }
}
