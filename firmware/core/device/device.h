/* device.h — the plug's behaviour in one object: relays (with the power-on policy), buttons, LEDs and the
 * protections, wired from a board profile and plain config values. The application:
 *
 *   device_init(&dev, &board, &cfg, &boot, on_event, app);   // FIRST thing after loading settings: it
 *                                                            // drives the relay pin to its final level
 *   every ~10 ms:  device_tick(&dev, hal_time_us64(), &reading);  // reading may be NULL
 *   network:       device_relay_set(&dev, 0, true, RELAY_CAUSE_COMMAND), device_identify(), ...
 *   on_event():    DEVICE_EV_RELAY → persist the state (for "restore"), publish state
 *                  DEVICE_EV_BUTTON → publish the gesture; DEVICE_EV_SETUP_REQUEST → enter setup mode
 *                  DEVICE_EV_PROTECTION → publish state ("tripped")
 *
 * Minimum switching interval (issue #13): a relay is switched by the button, a command or the automatic
 * re-close at most once per DEVICE_RELAY_MIN_INTERVAL_MS. A request inside the interval is not refused: it
 * becomes the relay's pending state (the last request wins, the ones before it are dropped) and is applied
 * by the tick once the interval has passed. A protection (over-power/current, lockout) opens the relay at
 * once whatever the interval, and drops a pending request.
 *
 * Events are delivered synchronously from the calling function (init, tick, relay_set); the callback must
 * not call device_init. Nothing here persists anything or allocates, and nothing locks: call every device_*
 * function from the same task (post network commands to the main loop). */
#ifndef OBL_DEVICE_H
#define OBL_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "board/board.h"
#include "button/button.h"
#include "hal.h"
#include "led/led.h"
#include "protect/protect.h"
#include "relay/relay.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 200 ms = 5 switchings a second: the mechanical rating of the 10-16 A PCB power relays in plugs (18,000
 * operations an hour), well above anything a person or an automation does (a blinking lamp toggles every
 * 0.5-1 s), so only floods are held back. */
#define DEVICE_RELAY_MIN_INTERVAL_MS 200u

typedef struct {
  relay_power_on_t power_on;  /* protocol "startup"; default restore */
  led_mode_t led_mode;        /* protocol "led"; default relay */
  bool button_enabled;        /* protocol "button.enabled"; false = child lock: presses are reported but do
                                 not switch; the very long press still enters setup mode */
  button_config_t button;     /* very_long_ms = protocol "button.setup_hold_s" * 1000 */
  bool long_press_toggles;    /* a long press also toggles the button's relay; default false (report only) */
  protect_config_t protect;   /* protocol "protection.*" */
} device_config_t;

void device_config_default(device_config_t *cfg);

typedef enum {
  DEVICE_EV_RELAY = 1,      /* relay `index` is now `on`, because of `cause` */
  DEVICE_EV_BUTTON,         /* gesture `button` (type SINGLE/DOUBLE/MULTI/LONG/VERY_LONG) on button `index` */
  DEVICE_EV_SETUP_REQUEST,  /* very long press: the application enters Wi-Fi setup mode */
  DEVICE_EV_PROTECTION,     /* tripped state changed: `reason` (PROTECT_NONE = cleared), `value` W or A */
} device_event_type_t;

typedef struct {
  device_event_type_t type;
  uint8_t index;
  bool on;
  relay_cause_t cause;
  button_event_t button;
  protect_reason_t reason;
  float value;
} device_event_t;

typedef void (*device_event_cb_t)(void *ctx, const device_event_t *ev);

/* What the application knows at boot. saved_mask bit i = relay i was on. */
typedef struct {
  bool saved_valid;
  uint8_t saved_mask;
  hal_reset_reason_t reset;
} device_boot_t;

/* Latest metering reading; valid = a fresh measurement (power/current not stale). */
typedef struct {
  bool valid;
  float power_w;
  float current_a;
} device_metering_t;

typedef struct {
  board_profile_t board;
  device_config_t cfg;
  relay_t relays[BOARD_MAX_RELAYS];
  button_t buttons[BOARD_MAX_BUTTONS];
  led_t leds[BOARD_MAX_LEDS];
  protect_t protect;
  led_net_t net;
  bool safe_mode;
  bool setup_ready;        /* a button is held past the setup time */
  uint8_t protect_mask;    /* relays that were on when the protection opened them */
  uint64_t switched_us[BOARD_MAX_RELAYS]; /* when each relay last changed state (0 = not since boot) */
  int8_t pending[BOARD_MAX_RELAYS];       /* state requested inside the minimum interval: -1 none, 0 off, 1 on */
  relay_cause_t pending_cause[BOARD_MAX_RELAYS];
  uint64_t now_us;         /* time of the last tick (or init) */
  device_event_cb_t cb;
  void *ctx;
} device_t;

/* Validates the board, computes each relay's boot state (relay_boot_state) and drives the relay pins
 * to it before touching anything else; then fixed-level pins, LEDs and buttons. Emits DEVICE_EV_RELAY
 * (cause BOOT) for relays whose state differs from the saved one (or when nothing was saved), so the
 * application persists it. HAL_ERR_ARG for an invalid board (nothing is driven then). */
hal_status_t device_init(device_t *d, const board_profile_t *board, const device_config_t *cfg,
                         const device_boot_t *boot, device_event_cb_t cb, void *ctx, uint64_t now_us);
/* Applies new config values at once (LED mode, button timings, child lock, limits); no relay change. */
void device_set_config(device_t *d, const device_config_t *cfg);

/* Polls buttons, runs protections on `m` (NULL = no new reading), updates LEDs. Call every ~10 ms. */
void device_tick(device_t *d, uint64_t now_us, const device_metering_t *m);

/* Switches relay idx; for BUTTON and COMMAND causes it also clears a protection trip (emits
 * DEVICE_EV_PROTECTION with PROTECT_NONE when one was set). Emits DEVICE_EV_RELAY when the state changes.
 * Inside the minimum interval (above) the state becomes pending instead, except for PROTECTION, which
 * switches at once. false for a bad index. */
bool device_relay_set(device_t *d, uint8_t idx, bool on, relay_cause_t cause);
/* Flips the state the relay is heading for (the pending one if any), so a burst of toggles acts as if each
 * had been applied. */
bool device_relay_toggle(device_t *d, uint8_t idx, relay_cause_t cause);
bool device_relay_get(const device_t *d, uint8_t idx);
/* true and *on = the state relay idx takes when its minimum interval has passed; false: nothing pending. */
bool device_relay_pending(const device_t *d, uint8_t idx, bool *on);
uint8_t device_relay_count(const device_t *d);
/* Bit i = relay i on: what the application persists. */
uint8_t device_relay_mask(const device_t *d);

/* Network state for the LEDs (setup mode blinks 2 Hz in every LED mode). */
void device_set_network(device_t *d, led_net_t net);
/* Blink every LED for duration_ms from the last tick's time (0 stops). */
void device_identify(device_t *d, uint32_t duration_ms);
/* Protections off; relays and buttons keep working. (The plug's safe mode keeps protections on, protocol §3.) */
void device_set_safe_mode(device_t *d, bool on);

protect_reason_t device_tripped(const device_t *d);
/* W or A that caused the current trip, 0 when none. */
float device_trip_value(const device_t *d);

#ifdef __cplusplus
}
#endif

#endif /* OBL_DEVICE_H */
