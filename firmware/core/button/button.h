/* button.h — debounced push-button gestures from a sampled level. Pure logic: the owner reads the pin
 * (device.c polls it every tick, like OpenBeken's 25 ms button timer) and passes the level and the time.
 *
 * Gestures (protocol §6 "button" event): single press, double press (second press within multi_press_ms),
 * 3+ presses ("multi"), long press (held >= long_press_ms, reported while still held), very long press
 * (held >= very_long_ms, reported at RELEASE; it requests Wi-Fi setup mode).
 *
 * What Tasmota/OpenBeken users complain about, and what this does instead:
 *  - a button held by furniture or a stuck switch triggering a reset: the very long press acts only when
 *    released within BUTTON_STUCK_EXTRA_MS after very_long_ms, and never erases anything (setup mode only);
 *  - a button pressed (or shorted) at power-up toggling the relay: a button that reads pressed at init is
 *    ignored until it has been released once;
 *  - not knowing when to let go: SETUP_READY fires the moment very_long_ms is reached (the LED shows it). */
#ifndef OBL_BUTTON_H
#define OBL_BUTTON_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTON_STUCK_EXTRA_MS 20000u /* held longer than very_long_ms + this: stuck, ignored */
#define BUTTON_QUEUE_LEN 8u

typedef struct {
  uint16_t debounce_ms;    /* level must be stable this long; 50 (Tasmota ButtonDebounce default) */
  uint16_t multi_press_ms; /* gap that still continues a multi-press; 400 (protocol: double within 0.4 s) */
  uint16_t long_press_ms;  /* 1000 (OpenBeken default) */
  uint32_t very_long_ms;   /* 10000 (protocol button.setup_hold_s, 5..60 s) */
  bool multi_press;        /* false: a short press reports SINGLE at release at once (no double detection,
                              no 0.4 s wait) */
} button_config_t;

void button_config_default(button_config_t *cfg);

typedef enum {
  BUTTON_EV_PRESS = 1,     /* debounced press (raw, for diagnostics) */
  BUTTON_EV_RELEASE,       /* debounced release; held_ms */
  BUTTON_EV_SINGLE,        /* gesture: one short press */
  BUTTON_EV_DOUBLE,        /* gesture: two short presses */
  BUTTON_EV_MULTI,         /* gesture: 3+ short presses; count */
  BUTTON_EV_LONG,          /* gesture: held >= long_press_ms (fires while held) */
  BUTTON_EV_SETUP_READY,   /* held >= very_long_ms: releasing now gives VERY_LONG */
  BUTTON_EV_VERY_LONG,     /* gesture: released after very_long_ms → enter setup mode */
  BUTTON_EV_STUCK,         /* held beyond very_long_ms + BUTTON_STUCK_EXTRA_MS: ignored */
} button_event_type_t;

typedef struct {
  button_event_type_t type;
  uint8_t count;    /* presses in the gesture (SINGLE 1, DOUBLE 2, MULTI n) */
  uint32_t held_ms; /* RELEASE, LONG, SETUP_READY, VERY_LONG, STUCK: how long it was held */
} button_event_t;

typedef struct {
  button_config_t cfg;
  bool raw;            /* last sampled level (true = pressed) */
  uint64_t raw_since;  /* when raw last changed */
  bool pressed;        /* debounced */
  bool ignore;         /* pressed at init or stuck: wait for a release */
  uint64_t down_at;
  uint64_t up_at;
  uint8_t pending;     /* short presses awaiting the multi-press window */
  bool long_sent, ready_sent, stuck_sent;
  button_event_t queue[BUTTON_QUEUE_LEN];
  uint8_t q_head, q_len;
  uint16_t dropped;    /* events lost to a full queue (owner did not drain) */
} button_t;

void button_init(button_t *b, const button_config_t *cfg, bool pressed_now, uint64_t now_us);
/* Changes timings without losing the gesture in progress. */
void button_set_config(button_t *b, const button_config_t *cfg);
/* Feed one sample; call every 5–25 ms. */
void button_update(button_t *b, uint64_t now_us, bool pressed);
/* Pops the oldest event; false when none. */
bool button_next_event(button_t *b, button_event_t *out);
bool button_is_pressed(const button_t *b);
/* Protocol name of a gesture ("single", "double", "multi", "long", "very_long"), NULL for the others. */
const char *button_gesture_name(button_event_type_t t);

#ifdef __cplusplus
}
#endif

#endif /* OBL_BUTTON_H */
