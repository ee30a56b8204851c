/* led.h — one indicator LED: what it shows is a pure function of the mode, the plug's state and the time;
 * led_update() writes the pin only when the level changes.
 *
 * Priority (highest first):
 *   identify        5 Hz (100 ms on / 100 ms off) for the requested time   — POST /api/v1/identify
 *   setup ready     10 Hz while the button is held past the setup time     — "release now"
 *   setup mode      2 Hz (250/250 ms), in every mode (protocol §9)
 *   tripped         two short flashes every 2 s (a protection opened the relay), except in mode off
 *   mode            relay: lit while the relay is on; inverted: lit while off; off: dark;
 *                   network: lit when connected, 1 Hz while connecting, dark when offline
 * Status LEDs (OpenBeken WifiLED) use the network mode whatever the configured mode, unless it is off. */
#ifndef OBL_LED_H
#define OBL_LED_H

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  LED_MODE_RELAY = 0, /* default (Tasmota LedState 1) */
  LED_MODE_INVERTED,  /* lit while the relay is off: finds the plug in the dark */
  LED_MODE_OFF,
  LED_MODE_NETWORK,
} led_mode_t;

typedef enum {
  LED_NET_OFFLINE = 0, /* no network configured / link down and not trying */
  LED_NET_CONNECTING,
  LED_NET_CONNECTED,
  LED_NET_SETUP,       /* own access point for setup */
} led_net_t;

typedef struct {
  bool relay_on;     /* the relay this LED belongs to */
  led_net_t net;
  bool tripped;      /* a protection holds the relay open */
  bool setup_ready;  /* the button is held past the setup time */
} led_inputs_t;

/* "relay", "inverted", "off", "network" and back; parse returns false on unknown text. */
const char *led_mode_name(led_mode_t m);
bool led_mode_parse(const char *s, led_mode_t *out);

/* Pure: should the LED be lit? identify_start/until in µs (until <= now: no identify). */
bool led_compute(led_mode_t mode, bool status_led, const led_inputs_t *in, uint64_t now_us,
                 uint64_t identify_start_us, uint64_t identify_until_us);

typedef struct {
  uint8_t pin;
  bool active_low;
  bool status_led;   /* WifiLED: shows the network */
  bool ready;
  bool lit;
  led_mode_t mode;
  uint64_t identify_start_us, identify_until_us;
} led_t;

/* Configures the pin as an output already at the level for `lit`. */
hal_status_t led_init(led_t *l, uint8_t pin, bool active_low, bool status_led, led_mode_t mode, bool lit);
void led_set_mode(led_t *l, led_mode_t mode);
/* Blink for duration_ms from now_us (0 stops identify). */
void led_identify(led_t *l, uint64_t now_us, uint32_t duration_ms);
bool led_identify_active(const led_t *l, uint64_t now_us);
void led_update(led_t *l, uint64_t now_us, const led_inputs_t *in);
bool led_is_lit(const led_t *l);

#ifdef __cplusplus
}
#endif

#endif /* OBL_LED_H */
