/* button.c — debounce and gesture recognition (see button.h). */
#include "button/button.h"

#include <string.h>

void button_config_default(button_config_t *cfg) {
  cfg->debounce_ms = 50;
  cfg->multi_press_ms = 400;
  cfg->long_press_ms = 1000;
  cfg->very_long_ms = 10000;
  cfg->multi_press = true;
}

static void push(button_t *b, button_event_type_t type, uint8_t count, uint32_t held_ms) {
  if (b->q_len >= BUTTON_QUEUE_LEN) {
    b->dropped++;
    return;
  }
  button_event_t *e = &b->queue[(b->q_head + b->q_len) % BUTTON_QUEUE_LEN];
  e->type = type;
  e->count = count;
  e->held_ms = held_ms;
  b->q_len++;
}

void button_init(button_t *b, const button_config_t *cfg, bool pressed_now, uint64_t now_us) {
  memset(b, 0, sizeof *b);
  b->cfg = *cfg;
  b->raw = pressed_now;
  b->raw_since = now_us;
  b->pressed = pressed_now;
  b->ignore = pressed_now; /* held or shorted at power-up: not a gesture */
}

void button_set_config(button_t *b, const button_config_t *cfg) { b->cfg = *cfg; }

static uint32_t ms_between(uint64_t from, uint64_t to) {
  uint64_t d = to > from ? (to - from) / 1000u : 0;
  return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static void flush_pending(button_t *b) {
  if (b->pending == 0) return;
  button_event_type_t t = b->pending == 1 ? BUTTON_EV_SINGLE : b->pending == 2 ? BUTTON_EV_DOUBLE : BUTTON_EV_MULTI;
  push(b, t, b->pending, 0);
  b->pending = 0;
}

static void on_press(button_t *b, uint64_t t) {
  b->down_at = t;
  b->long_sent = b->ready_sent = b->stuck_sent = false;
  push(b, BUTTON_EV_PRESS, 0, 0);
}

static void on_release(button_t *b, uint64_t t) {
  uint32_t held = ms_between(b->down_at, t);
  push(b, BUTTON_EV_RELEASE, 0, held);
  uint64_t stuck_ms = (uint64_t)b->cfg.very_long_ms + BUTTON_STUCK_EXTRA_MS;
  if (held >= b->cfg.very_long_ms && held <= stuck_ms) {
    push(b, BUTTON_EV_VERY_LONG, 1, held);
  } else if (!b->long_sent && held < b->cfg.long_press_ms) {
    if (b->pending < 255) b->pending++;
    b->up_at = t;
    if (!b->cfg.multi_press) flush_pending(b);
  }
}

void button_update(button_t *b, uint64_t now_us, bool pressed) {
  if (pressed != b->raw) {
    b->raw = pressed;
    b->raw_since = now_us;
  }
  /* a level change counts once it has been stable for debounce_ms; it happened at raw_since */
  if (b->raw != b->pressed && now_us - b->raw_since >= (uint64_t)b->cfg.debounce_ms * 1000u) {
    b->pressed = b->raw;
    if (b->ignore) {
      if (!b->pressed) b->ignore = false; /* released: from now on it is a button again */
    } else if (b->pressed) {
      on_press(b, b->raw_since);
    } else {
      on_release(b, b->raw_since);
    }
  }
  if (b->ignore) return;
  if (b->pressed) {
    uint32_t held = ms_between(b->down_at, now_us);
    if (!b->long_sent && held >= b->cfg.long_press_ms) {
      b->long_sent = true;
      b->pending = 0; /* a hold ends a multi-press sequence; the hold is the gesture */
      push(b, BUTTON_EV_LONG, 1, held);
    }
    if (!b->ready_sent && held >= b->cfg.very_long_ms) {
      b->ready_sent = true;
      push(b, BUTTON_EV_SETUP_READY, 1, held);
    }
    if (!b->stuck_sent && (uint64_t)held > (uint64_t)b->cfg.very_long_ms + BUTTON_STUCK_EXTRA_MS) {
      b->stuck_sent = true;
      push(b, BUTTON_EV_STUCK, 0, held);
    }
  } else if (b->pending > 0 && now_us - b->up_at >= (uint64_t)b->cfg.multi_press_ms * 1000u) {
    /* a press that began inside the window but is still being debounced continues the sequence */
    bool next_press_started = b->raw && b->raw_since - b->up_at < (uint64_t)b->cfg.multi_press_ms * 1000u;
    if (!next_press_started) flush_pending(b);
  }
}

bool button_next_event(button_t *b, button_event_t *out) {
  if (b->q_len == 0) return false;
  *out = b->queue[b->q_head];
  b->q_head = (uint8_t)((b->q_head + 1) % BUTTON_QUEUE_LEN);
  b->q_len--;
  return true;
}

bool button_is_pressed(const button_t *b) { return b->pressed && !b->ignore; }

const char *button_gesture_name(button_event_type_t t) {
  switch (t) {
    case BUTTON_EV_SINGLE: return "single";
    case BUTTON_EV_DOUBLE: return "double";
    case BUTTON_EV_MULTI: return "multi";
    case BUTTON_EV_LONG: return "long";
    case BUTTON_EV_VERY_LONG: return "very_long";
    default: return NULL;
  }
}
