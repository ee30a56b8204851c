/* board.c — built-in board profiles, validation, OpenBeken template import/export (see board.h). */
#include "board/board.h"

#include <stdio.h>
#include <string.h>

#define TEMPLATE_MAX_TOKENS 128

static void set_err(board_error_t *err, board_err_t code, const char *field, const char *fmt, const char *arg) {
  if (err == NULL) return;
  err->code = code;
  err->json_pos = 0;
  snprintf(err->field, sizeof err->field, "%s", field ? field : "");
  snprintf(err->message, sizeof err->message, fmt, arg ? arg : "");
}

static void clear_profile(board_profile_t *p) {
  memset(p, 0, sizeof *p);
  p->bl0937.cf = p->bl0937.cf1 = p->bl0937.sel = BOARD_PIN_NONE;
  p->bl0937.sel_high_is_voltage = true;
}

static void sm028(board_profile_t *p, uint8_t button_pin) {
  clear_profile(p);
  snprintf(p->name, sizeof p->name, "%s", button_pin == 17 ? "SM-028_V1.3" : "SM-028_V1.3-B22");
  p->relay_count = 1;
  p->relays[0] = (board_relay_t){.pin = 2, .active_low = false, .channel = 1};
  p->button_count = 1;
  p->buttons[0] = (board_button_t){.pin = button_pin, .active_high = false, .relay = 0, .channel = 1};
  p->led_count = 1;
  p->leds[0] = (board_led_t){.pin = 20, .active_low = true, .kind = BOARD_LED_RELAY, .relay = 0, .channel = 1};
  p->bl0937.present = true;
  p->bl0937.cf = 14;
  p->bl0937.cf1 = 3;
  p->bl0937.sel = 21;
  p->bl0937.sel_high_is_voltage = true;
}

void board_default(board_profile_t *out) { sm028(out, 17); }

static bool ieq(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    char x = *a, y = *b;
    if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
    if (x != y) return false;
  }
  return *a == *b;
}

bool board_builtin(const char *name, board_profile_t *out) {
  if (name == NULL) return false;
  if (ieq(name, "SM-028_V1.3")) {
    sm028(out, 17);
    return true;
  }
  if (ieq(name, "SM-028_V1.3-B22")) {
    sm028(out, 22);
    return true;
  }
  return false;
}

/* ---- validation ---- */
static board_err_t claim(uint32_t *used, uint8_t pin, board_error_t *err, const char *what) {
  char field[16];
  snprintf(field, sizeof field, "pins.%u", (unsigned)pin);
  if (pin > BOARD_MAX_GPIO) {
    set_err(err, BOARD_ERR_PIN, field, "%s: not a BL602 GPIO (0..22)", what);
    return BOARD_ERR_PIN;
  }
  if (*used & (1u << pin)) {
    set_err(err, BOARD_ERR_CONFLICT, field, "%s: GPIO already used by another role", what);
    return BOARD_ERR_CONFLICT;
  }
  *used |= 1u << pin;
  return BOARD_OK;
}

board_err_t board_validate(const board_profile_t *p, board_error_t *err) {
  uint32_t used = 0;
  board_err_t e;
  if (memchr(p->name, '\0', sizeof p->name) == NULL) {
    set_err(err, BOARD_ERR_FORMAT, "name", "%sboard name not terminated", "");
    return BOARD_ERR_FORMAT;
  }
  if (p->relay_count == 0) {
    set_err(err, BOARD_ERR_INCOMPLETE, "pins", "%sno relay pin (role Rel or Rel_n)", "");
    return BOARD_ERR_INCOMPLETE;
  }
  if (p->relay_count > BOARD_MAX_RELAYS || p->button_count > BOARD_MAX_BUTTONS || p->led_count > BOARD_MAX_LEDS ||
      p->fixed_count > BOARD_MAX_FIXED) {
    set_err(err, BOARD_ERR_CONFLICT, "pins", "%stoo many relays, buttons, LEDs or fixed pins", "");
    return BOARD_ERR_CONFLICT;
  }
  for (unsigned i = 0; i < p->relay_count; i++) {
    if ((e = claim(&used, p->relays[i].pin, err, "relay")) != BOARD_OK) return e;
  }
  for (unsigned i = 0; i < p->button_count; i++) {
    if ((e = claim(&used, p->buttons[i].pin, err, "button")) != BOARD_OK) return e;
    if (p->buttons[i].relay >= p->relay_count) {
      set_err(err, BOARD_ERR_CONFLICT, "pins", "%sbutton refers to a missing relay", "");
      return BOARD_ERR_CONFLICT;
    }
  }
  for (unsigned i = 0; i < p->led_count; i++) {
    if ((e = claim(&used, p->leds[i].pin, err, "LED")) != BOARD_OK) return e;
    if (p->leds[i].kind > BOARD_LED_STATUS ||
        (p->leds[i].kind == BOARD_LED_RELAY && p->leds[i].relay >= p->relay_count)) {
      set_err(err, BOARD_ERR_CONFLICT, "pins", "%sLED refers to a missing relay", "");
      return BOARD_ERR_CONFLICT;
    }
  }
  for (unsigned i = 0; i < p->fixed_count; i++) {
    if ((e = claim(&used, p->fixed[i].pin, err, "fixed level pin")) != BOARD_OK) return e;
  }
  bool any = p->bl0937.cf != BOARD_PIN_NONE || p->bl0937.cf1 != BOARD_PIN_NONE || p->bl0937.sel != BOARD_PIN_NONE;
  bool all = p->bl0937.cf != BOARD_PIN_NONE && p->bl0937.cf1 != BOARD_PIN_NONE && p->bl0937.sel != BOARD_PIN_NONE;
  if (any != p->bl0937.present || (any && !all)) {
    set_err(err, BOARD_ERR_INCOMPLETE, "pins", "%sBL0937 needs all of BL0937CF, BL0937CF1 and BL0937SEL", "");
    return BOARD_ERR_INCOMPLETE;
  }
  if (all) {
    if ((e = claim(&used, p->bl0937.cf, err, "BL0937CF")) != BOARD_OK ||
        (e = claim(&used, p->bl0937.cf1, err, "BL0937CF1")) != BOARD_OK ||
        (e = claim(&used, p->bl0937.sel, err, "BL0937SEL")) != BOARD_OK) {
      return e;
    }
  }
  if (err) {
    err->code = BOARD_OK;
    err->field[0] = err->message[0] = '\0';
    err->json_pos = 0;
  }
  return BOARD_OK;
}

/* ---- OpenBeken template import ---- */
typedef enum {
  R_NONE, R_REL, R_BTN, R_BTN_ALL, R_LED, R_WIFILED, R_CF, R_CF1, R_SEL, R_HIGH, R_LOW,
} role_kind_t;

static const struct {
  const char *name;
  uint8_t kind;
  bool inverted;
} k_roles[] = {
    {"None", R_NONE, false},          {"Rel", R_REL, false},          {"Rel_n", R_REL, true},
    {"Btn", R_BTN, false},            {"Btn_n", R_BTN, true},         {"Btn_Tgl_All", R_BTN_ALL, false},
    {"Btn_Tgl_All_n", R_BTN_ALL, true}, {"LED", R_LED, false},        {"LED_n", R_LED, true},
    {"WifiLED", R_WIFILED, false},    {"WifiLED_n", R_WIFILED, true}, {"BL0937CF", R_CF, false},
    {"BL0937CF1", R_CF1, false},      {"BL0937SEL", R_SEL, false},    {"BL0937SEL_n", R_SEL, true},
    {"AlwaysHigh", R_HIGH, false},    {"AlwaysLow", R_LOW, false},
};

/* "Rel;1" / "Rel;1;0" / "Rel" → role text and first channel. false on a malformed channel. */
static bool split_role(char *s, uint8_t *channel) {
  char *semi = strchr(s, ';');
  *channel = 0;
  if (semi == NULL) return true;
  *semi = '\0';
  const char *c = semi + 1;
  unsigned v = 0;
  size_t n = 0;
  while (c[n] >= '0' && c[n] <= '9') {
    v = v * 10u + (unsigned)(c[n] - '0');
    if (v > 255u) return false;
    n++;
  }
  if (n == 0) return c[0] == '\0' || c[0] == ';'; /* "Rel;" — OpenBeken writes that for channel-less roles */
  if (c[n] != '\0' && c[n] != ';') return false;
  *channel = (uint8_t)v;
  return true;
}

static bool parse_pin_key(const char *s, uint8_t *pin) {
  unsigned v = 0;
  size_t n = 0;
  for (; s[n]; n++) {
    if (s[n] < '0' || s[n] > '9' || n >= 3) return false;
    v = v * 10u + (unsigned)(s[n] - '0');
  }
  if (n == 0 || v > 255u) return false;
  *pin = (uint8_t)v;
  return true;
}

/* Copies a template string into dst (BOARD_NAME_MAX), cut at a UTF-8 boundary, control characters blanked. */
static void copy_name(const json_doc_t *d, int tok, char *dst) {
  char tmp[128];
  if (json_get_string(d, tok, tmp, sizeof tmp, NULL) != JSON_OK || tmp[0] == '\0') return;
  size_t n = strlen(tmp);
  if (n > BOARD_NAME_MAX - 1) {
    n = BOARD_NAME_MAX - 1;
    while (n > 0 && ((unsigned char)tmp[n] & 0xC0u) == 0x80u) n--; /* don't split a character */
  }
  for (size_t i = 0; i < n; i++) dst[i] = (unsigned char)tmp[i] < 0x20 ? ' ' : tmp[i];
  dst[n] = '\0';
}

static uint8_t relay_for_channel(const board_profile_t *p, uint8_t channel) {
  for (uint8_t i = 0; i < p->relay_count; i++) {
    if (p->relays[i].channel == channel) return i;
  }
  return 0;
}

board_err_t board_import_openbeken(const char *json, size_t len, board_profile_t *out, board_error_t *err) {
  json_tok_t toks[TEMPLATE_MAX_TOKENS];
  json_doc_t d;
  json_err_t je = json_parse(&d, json, len, toks, TEMPLATE_MAX_TOKENS);
  if (je != JSON_OK) {
    set_err(err, BOARD_ERR_JSON, "", "template is not valid JSON: %s", json_strerror(je));
    if (err) {
      char at[24];
      snprintf(at, sizeof at, " at byte %u", (unsigned)d.error_pos);
      strncat(err->message, at, sizeof err->message - strlen(err->message) - 1);
      err->json_pos = d.error_pos;
    }
    return BOARD_ERR_JSON;
  }
  if (json_type(&d, JSON_ROOT) != JSON_OBJECT) {
    set_err(err, BOARD_ERR_FORMAT, "", "%stemplate must be a JSON object", "");
    return BOARD_ERR_FORMAT;
  }
  int chip = json_obj_get(&d, JSON_ROOT, "chip");
  if (chip >= 0) {
    char c[16];
    if (json_get_string(&d, chip, c, sizeof c, NULL) != JSON_OK || !ieq(c, "BL602")) {
      set_err(err, BOARD_ERR_CHIP, "chip", "%stemplate is for another chip; this firmware runs on BL602", "");
      return BOARD_ERR_CHIP;
    }
  }
  int pins = json_obj_get(&d, JSON_ROOT, "pins");
  if (json_type(&d, pins) != JSON_OBJECT) {
    set_err(err, BOARD_ERR_FORMAT, "pins", "%stemplate needs a \"pins\" object", "");
    return BOARD_ERR_FORMAT;
  }

  board_profile_t p;
  clear_profile(&p);
  snprintf(p.name, sizeof p.name, "template");
  copy_name(&d, json_obj_get(&d, JSON_ROOT, "board"), p.name);
  if (strcmp(p.name, "template") == 0) copy_name(&d, json_obj_get(&d, JSON_ROOT, "name"), p.name);

  /* pass 1: relays, BL0937, fixed pins; buttons and LEDs are collected with their channel */
  for (int k = json_next_child(&d, pins, -1); k >= 0; k = json_next_child(&d, pins, k)) {
    char key[8], field[16], val[40];
    uint8_t pin = 0, channel = 0;
    if (json_get_string(&d, k, key, sizeof key, NULL) != JSON_OK || !parse_pin_key(key, &pin)) {
      set_err(err, BOARD_ERR_PIN, "pins", "%spin keys must be GPIO numbers like \"14\"", "");
      return BOARD_ERR_PIN;
    }
    snprintf(field, sizeof field, "pins.%u", (unsigned)pin);
    if (pin > BOARD_MAX_GPIO) {
      set_err(err, BOARD_ERR_PIN, field, "%snot a BL602 GPIO (0..22)", "");
      return BOARD_ERR_PIN;
    }
    if (json_get_string(&d, k + 1, val, sizeof val, NULL) != JSON_OK) {
      set_err(err, BOARD_ERR_FORMAT, field, "%spin value must be a string like \"Rel;1\"", "");
      return BOARD_ERR_FORMAT;
    }
    if (!split_role(val, &channel)) {
      set_err(err, BOARD_ERR_FORMAT, field, "bad channel in \"%s\"", val);
      return BOARD_ERR_FORMAT;
    }
    int role = -1;
    for (size_t r = 0; r < sizeof k_roles / sizeof k_roles[0]; r++) {
      if (ieq(val, k_roles[r].name)) role = (int)r;
    }
    if (role < 0) {
      set_err(err, BOARD_ERR_ROLE, field, "unsupported pin role \"%s\"", val);
      return BOARD_ERR_ROLE;
    }
    bool inv = k_roles[role].inverted;
    switch (k_roles[role].kind) {
      case R_NONE: break;
      case R_REL:
        if (p.relay_count >= BOARD_MAX_RELAYS) goto too_many;
        p.relays[p.relay_count++] = (board_relay_t){.pin = pin, .active_low = inv, .channel = channel};
        break;
      case R_BTN:
      case R_BTN_ALL:
        if (p.button_count >= BOARD_MAX_BUTTONS) goto too_many;
        p.buttons[p.button_count++] = (board_button_t){
            .pin = pin, .active_high = inv, .all_relays = k_roles[role].kind == R_BTN_ALL, .channel = channel};
        break;
      case R_LED:
      case R_WIFILED:
        if (p.led_count >= BOARD_MAX_LEDS) goto too_many;
        p.leds[p.led_count++] = (board_led_t){
            .pin = pin,
            .active_low = inv,
            .kind = k_roles[role].kind == R_LED ? BOARD_LED_RELAY : BOARD_LED_STATUS,
            .channel = channel};
        break;
      case R_CF:
      case R_CF1:
      case R_SEL: {
        uint8_t *slot = k_roles[role].kind == R_CF ? &p.bl0937.cf : k_roles[role].kind == R_CF1 ? &p.bl0937.cf1 : &p.bl0937.sel;
        if (*slot != BOARD_PIN_NONE) {
          set_err(err, BOARD_ERR_CONFLICT, field, "role \"%s\" assigned to two pins", val);
          return BOARD_ERR_CONFLICT;
        }
        *slot = pin;
        if (k_roles[role].kind == R_SEL) p.bl0937.sel_high_is_voltage = !inv;
        break;
      }
      case R_HIGH:
      case R_LOW:
        if (p.fixed_count >= BOARD_MAX_FIXED) goto too_many;
        p.fixed[p.fixed_count++] = (board_fixed_t){.pin = pin, .level = k_roles[role].kind == R_HIGH};
        break;
      default:
        break;
    }
    continue;
  too_many:
    set_err(err, BOARD_ERR_CONFLICT, field, "too many pins with role \"%s\"", val);
    return BOARD_ERR_CONFLICT;
  }

  /* canonical order, so import(export(p)) == p whatever the key order: relay 0 is the lowest channel (as
   * OpenBeken's POWER1), everything else by pin */
#define SORT_BY(arr, n, T, before)                                  \
  for (uint8_t i = 1; i < (n); i++) {                               \
    for (uint8_t j = i; j > 0 && before(arr[j], arr[j - 1]); j--) { \
      T t = arr[j];                                                 \
      arr[j] = arr[j - 1];                                          \
      arr[j - 1] = t;                                               \
    }                                                               \
  }
#define RELAY_BEFORE(a, b) ((a).channel < (b).channel || ((a).channel == (b).channel && (a).pin < (b).pin))
#define PIN_BEFORE(a, b) ((a).pin < (b).pin)
  SORT_BY(p.relays, p.relay_count, board_relay_t, RELAY_BEFORE)
  SORT_BY(p.buttons, p.button_count, board_button_t, PIN_BEFORE)
  SORT_BY(p.leds, p.led_count, board_led_t, PIN_BEFORE)
  SORT_BY(p.fixed, p.fixed_count, board_fixed_t, PIN_BEFORE)
#undef SORT_BY
#undef RELAY_BEFORE
#undef PIN_BEFORE
  for (uint8_t i = 0; i < p.button_count; i++) p.buttons[i].relay = relay_for_channel(&p, p.buttons[i].channel);
  for (uint8_t i = 0; i < p.led_count; i++) p.leds[i].relay = relay_for_channel(&p, p.leds[i].channel);
  p.bl0937.present = p.bl0937.cf != BOARD_PIN_NONE || p.bl0937.cf1 != BOARD_PIN_NONE || p.bl0937.sel != BOARD_PIN_NONE;

  board_error_t local;
  board_err_t ve = board_validate(&p, err ? err : &local);
  if (ve != BOARD_OK) return ve;
  *out = p;
  return BOARD_OK;
}

/* ---- export ---- */
void board_export_openbeken(const board_profile_t *p, jsonw_t *w) {
  char role[BOARD_MAX_GPIO + 1][20];
  memset(role, 0, sizeof role);
  for (unsigned i = 0; i < p->relay_count && i < BOARD_MAX_RELAYS; i++) {
    const board_relay_t *r = &p->relays[i];
    if (r->pin <= BOARD_MAX_GPIO) snprintf(role[r->pin], sizeof role[0], "%s;%u", r->active_low ? "Rel_n" : "Rel", r->channel);
  }
  for (unsigned i = 0; i < p->button_count && i < BOARD_MAX_BUTTONS; i++) {
    const board_button_t *b = &p->buttons[i];
    const char *n = b->all_relays ? (b->active_high ? "Btn_Tgl_All_n" : "Btn_Tgl_All") : (b->active_high ? "Btn_n" : "Btn");
    if (b->pin <= BOARD_MAX_GPIO) snprintf(role[b->pin], sizeof role[0], "%s;%u", n, b->channel);
  }
  for (unsigned i = 0; i < p->led_count && i < BOARD_MAX_LEDS; i++) {
    const board_led_t *l = &p->leds[i];
    const char *n = l->kind == BOARD_LED_STATUS ? (l->active_low ? "WifiLED_n" : "WifiLED") : (l->active_low ? "LED_n" : "LED");
    if (l->pin <= BOARD_MAX_GPIO) snprintf(role[l->pin], sizeof role[0], "%s;%u", n, l->channel);
  }
  for (unsigned i = 0; i < p->fixed_count && i < BOARD_MAX_FIXED; i++) {
    const board_fixed_t *f = &p->fixed[i];
    if (f->pin <= BOARD_MAX_GPIO) snprintf(role[f->pin], sizeof role[0], "%s;0", f->level ? "AlwaysHigh" : "AlwaysLow");
  }
  if (p->bl0937.present) {
    if (p->bl0937.cf <= BOARD_MAX_GPIO) snprintf(role[p->bl0937.cf], sizeof role[0], "BL0937CF;0");
    if (p->bl0937.cf1 <= BOARD_MAX_GPIO) snprintf(role[p->bl0937.cf1], sizeof role[0], "BL0937CF1;0");
    if (p->bl0937.sel <= BOARD_MAX_GPIO) {
      snprintf(role[p->bl0937.sel], sizeof role[0], "%s", p->bl0937.sel_high_is_voltage ? "BL0937SEL;0" : "BL0937SEL_n;0");
    }
  }
  jsonw_obj_begin(w);
  jsonw_kstr(w, "name", p->name);
  jsonw_kstr(w, "chip", "BL602");
  jsonw_kstr(w, "board", p->name);
  jsonw_key(w, "pins");
  jsonw_obj_begin(w);
  for (unsigned pin = 0; pin <= BOARD_MAX_GPIO; pin++) {
    if (role[pin][0] == '\0') continue;
    char key[4];
    snprintf(key, sizeof key, "%u", pin);
    jsonw_kstr(w, key, role[pin]);
  }
  jsonw_obj_end(w);
  jsonw_obj_end(w);
}
