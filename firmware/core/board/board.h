/* board.h — a board profile is data: which GPIO drives the relay(s), reads the button(s), lights the LED(s)
 * and talks to the BL0937, with polarities. Built-in profiles cover the known plugs; an OpenBeken device
 * template (the JSON its users share, "pins": {"2": "Rel;1", ...}) imports into the same struct.
 *
 * Import is all-or-nothing: the output profile is written only when the whole template is valid. */
#ifndef OBL_BOARD_H
#define OBL_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/json.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BOARD_PIN_NONE 0xFFu
#define BOARD_MAX_GPIO 22u /* BL602: GPIO0..GPIO22 */
#define BOARD_MAX_RELAYS 4u
#define BOARD_MAX_BUTTONS 4u
#define BOARD_MAX_LEDS 4u
#define BOARD_MAX_FIXED 4u  /* AlwaysHigh / AlwaysLow pins (e.g. a sensor's supply) */
#define BOARD_NAME_MAX 32u  /* bytes including NUL */

typedef struct {
  uint8_t pin;
  bool active_low;  /* Rel_n: the relay closes when the pin is low */
  uint8_t channel;  /* OpenBeken channel number, kept for export */
} board_relay_t;

typedef struct {
  uint8_t pin;
  bool active_high; /* Btn_n: pressed reads high (input with pull-down); default pressed = low, pull-up */
  uint8_t relay;    /* index into relays[] this button toggles */
  bool all_relays;  /* Btn_Tgl_All: toggles every relay */
  uint8_t channel;
} board_button_t;

typedef enum {
  BOARD_LED_RELAY = 0, /* LED / LED_n: shows its relay (per the configured LED mode) */
  BOARD_LED_STATUS,    /* WifiLED / WifiLED_n: shows the network state */
} board_led_kind_t;

typedef struct {
  uint8_t pin;
  bool active_low;
  uint8_t kind;     /* board_led_kind_t */
  uint8_t relay;    /* BOARD_LED_RELAY: index into relays[] */
  uint8_t channel;
} board_led_t;

typedef struct {
  uint8_t pin;
  bool level;
} board_fixed_t;

typedef struct {
  char name[BOARD_NAME_MAX];
  uint8_t relay_count, button_count, led_count, fixed_count;
  board_relay_t relays[BOARD_MAX_RELAYS];
  board_button_t buttons[BOARD_MAX_BUTTONS];
  board_led_t leds[BOARD_MAX_LEDS];
  board_fixed_t fixed[BOARD_MAX_FIXED];
  struct {
    bool present;            /* CF, CF1 and SEL all assigned */
    uint8_t cf, cf1, sel;    /* BOARD_PIN_NONE when absent */
    bool sel_high_is_voltage; /* datasheet: SEL=1 → CF1 gives voltage; BL0937SEL_n inverts */
  } bl0937;
} board_profile_t;

typedef enum {
  BOARD_OK = 0,
  BOARD_ERR_JSON = -1,      /* not valid JSON (json_pos says where) */
  BOARD_ERR_FORMAT = -2,    /* valid JSON, not a template: "pins" missing or wrong types */
  BOARD_ERR_ROLE = -3,      /* unknown or unsupported pin role */
  BOARD_ERR_PIN = -4,       /* pin number not a BL602 GPIO */
  BOARD_ERR_CONFLICT = -5,  /* a pin or a BL0937 role used twice, too many relays/buttons/LEDs */
  BOARD_ERR_INCOMPLETE = -6,/* no relay, or BL0937 with only some of CF/CF1/SEL */
  BOARD_ERR_CHIP = -7,      /* template for another chip */
} board_err_t;

typedef struct {
  board_err_t code;
  size_t json_pos;    /* BOARD_ERR_JSON: byte offset of the error */
  char field[24];     /* where: "pins.5", "chip", "" */
  char message[96];   /* English, for the HTTP error message */
} board_error_t;

/* The profile of the SM-028_V1.3 "Aubess 16 A" plug: relay GPIO2, LED GPIO20 active-low, button GPIO17,
 * BL0937 CF GPIO14, CF1 GPIO3, SEL GPIO21. */
void board_default(board_profile_t *out);

/* Built-in profiles by name (case-insensitive): "SM-028_V1.3", "SM-028_V1.3-B22" (button on GPIO22).
 * false when unknown. */
bool board_builtin(const char *name, board_profile_t *out);

/* Checks pins, conflicts and counts of a profile that came from anywhere (e.g. settings). */
board_err_t board_validate(const board_profile_t *p, board_error_t *err);

/* Imports an OpenBeken template. Understood roles: Rel, Rel_n, Btn, Btn_n, Btn_Tgl_All, Btn_Tgl_All_n, LED,
 * LED_n, WifiLED, WifiLED_n, BL0937CF, BL0937CF1, BL0937SEL, BL0937SEL_n, AlwaysHigh, AlwaysLow, None.
 * Buttons and LEDs follow the relay with the same channel (the first relay when none matches).
 * "chip", if present, must be "BL602". The name comes from "board", else "name", else "template".
 * Uses about 2.9 KiB of stack (128 JSON tokens; a 23-pin template with a dozen keywords needs ~85).
 * On error *out is untouched and err says why. */
board_err_t board_import_openbeken(const char *json, size_t len, board_profile_t *out, board_error_t *err);

/* Writes the profile as an OpenBeken template object ({"name","chip","board","pins"}) — the inverse of
 * the import, so a profile can be shown, backed up and re-imported. */
void board_export_openbeken(const board_profile_t *p, jsonw_t *w);

#ifdef __cplusplus
}
#endif

#endif /* OBL_BOARD_H */
