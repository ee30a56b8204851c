/* protect.h — over-power and over-current cut-off with Tasmota's MaxPower / MaxPowerHold / MaxPowerWindow
 * semantics (plus the same for current, which Tasmota only warns about):
 *
 *  - the relay opens when power > max_power_w (or current > max_current_a) in every reading for hold_ms of
 *    relay-on time. Opening the relay pauses that count instead of restarting it, and a reading within the
 *    limits ends it only once the relay has been on PROTECT_SETTLE_MS (a meter just switched on reads low):
 *    otherwise switching off and on faster than hold_ms (a command flood, which needs no password over MQTT)
 *    would keep an overload powered for ever. An off period of PROTECT_FORGET_OFF_MS forgets the count
 *    (someone changed the load), which bounds such a flood's duty to hold / (hold + 10 s);
 *  - window_ms after opening it re-closes by itself, up to max_retries times (Tasmota MaxPowerRetry,
 *    SetOption33, whose default is 5; ours is 1 = protocol §4 "a trip again within 60 s of an automatic
 *    re-close stays open"); when the budget is spent it stays open ("latched") until someone switches it;
 *  - the budget refills after the relay has stayed on PROTECT_STABLE_MS without exceeding a limit. Tasmota
 *    refills on the first reading under the limit, which right after a re-close is often the meter's
 *    start-up 0 W, so an overloaded plug would cycle forever; we wait for a minute of good readings;
 *  - any switching by a person or a command (protect_reset) forgets the trip and refills the budget.
 *
 * Defaults are the plug's rating (3680 W, 16 A), hold 2 s (protocol §4), and no automatic re-close
 * (window 0): a plug that keeps re-closing onto an overload wears its relay contacts and surprises people;
 * Tasmota's 30 s window is one setting away. Pure logic: the owner opens/closes the relay on the action. */
#ifndef OBL_PROTECT_H
#define OBL_PROTECT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PROTECT_STABLE_MS 60000u
#define PROTECT_SETTLE_MS 1000u
#define PROTECT_FORGET_OFF_MS 10000u

typedef struct {
  float max_power_w;    /* 0 disables; 3680 */
  float max_current_a;  /* 0 disables; 16 */
  uint32_t hold_ms;     /* MaxPowerHold; 2000 */
  uint32_t window_ms;   /* MaxPowerWindow; 0 = never re-close by itself */
  uint8_t max_retries;  /* re-close attempts per episode; 1 */
} protect_config_t;

void protect_config_default(protect_config_t *cfg);

typedef enum {
  PROTECT_NONE = 0,
  PROTECT_OVERPOWER,
  PROTECT_OVERCURRENT,
} protect_reason_t;

typedef enum {
  PROTECT_ACT_NONE = 0,
  PROTECT_ACT_TRIP,    /* open the relay now */
  PROTECT_ACT_RECLOSE, /* close the relay now (automatic re-close) */
} protect_action_t;

typedef struct {
  protect_config_t cfg;
  protect_reason_t tripped;   /* reason while the relay is held open by us */
  float trip_value;           /* W or A that tripped */
  bool over;                  /* counting relay-on time over a limit */
  protect_reason_t over_reason;
  uint64_t over_us;           /* relay-on time over a limit so far */
  uint64_t over_last_us;      /* the last reading over a limit, 0 while the count is paused */
  uint64_t on_since_us;       /* relay closed since (0 = open) */
  uint64_t off_since_us;      /* relay open since (0 = closed) */
  uint64_t tripped_at_us;
  uint64_t good_since_us;     /* relay on and within limits since */
  bool in_episode;            /* tripped since the last reset/refill */
  uint8_t retries_left;
  bool latched;               /* gave up re-closing */
} protect_t;

void protect_init(protect_t *p, const protect_config_t *cfg);
/* New limits apply from the next reading; a trip in progress stays. */
void protect_set_config(protect_t *p, const protect_config_t *cfg);
/* One step. reading_valid = false (no fresh measurement) only advances the re-close timer. */
protect_action_t protect_update(protect_t *p, uint64_t now_us, bool relay_on, bool reading_valid, float power_w,
                                float current_a);
/* Someone switched the relay on: forget the trip, refill the budget. */
void protect_reset(protect_t *p);
/* Someone switched the relay off while it was tripped: no automatic re-close, the trip stays reported. */
void protect_cancel_reclose(protect_t *p);
protect_reason_t protect_tripped(const protect_t *p);
/* "none", "overpower", "overcurrent" (protocol state key "tripped"). */
const char *protect_reason_name(protect_reason_t r);

#ifdef __cplusplus
}
#endif

#endif /* OBL_PROTECT_H */
