/* report.h — when the plug publishes its state on MQTT.
 *
 * At once on a meaningful change: relay, protection trip, the app's own "generation" counter (config,
 * OTA state, stale flags ...), or a power change of at least max(rel × last reported power, abs W) — the
 * absolute floor keeps near-zero loads quiet, the relative part keeps big loads from reporting every watt.
 * A power change goes out only once the meter says the reading has settled (snapshot.settling false), so the
 * values on the way from the old load to the new one are never sent. Power-only reports are spaced by
 * min_interval_ms after the previous report (a change seen earlier goes out when the interval ends), except
 * one: when the previous report carried an unsettled reading (a relay change or heartbeat goes out whatever
 * the meter is doing), the settled value follows at once. Every power report is settled, so these follow-ups
 * cannot chain: a noisy load still gets at most 60 / min_interval (30/min by default), plus one follow-up per
 * relay change. With nothing meaningful a heartbeat goes out every heartbeat_ms. A steady load therefore costs
 * one message a minute (OpenBeken: 32 at a steady 115 W).
 */
#ifndef OBL_MQTTDEV_REPORT_H
#define OBL_MQTTDEV_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  bool relay;
  uint8_t tripped;     /* app's protection code, 0 = none */
  float power_w;
  uint32_t generation; /* bump to force a report for any other state change */
  bool settling;       /* power_w is not settled yet (metering BL0937_P_SETTLING); false = settled */
} mqttdev_snapshot_t;

typedef struct {
  float power_rel;          /* 0.01 = 1 % (default) */
  float power_abs_w;        /* 0.5 W (default) */
  uint32_t min_interval_ms; /* 2000 (default) between power-only reports; 0 = none */
  uint32_t heartbeat_ms;    /* 60000 (default) */
} mqttdev_report_cfg_t;

/* Fills the defaults above. */
void mqttdev_report_defaults(mqttdev_report_cfg_t *cfg);

typedef enum {
  MQTTDEV_REPORT_NONE = 0,
  MQTTDEV_REPORT_CHANGE,    /* relay, trip or generation: immediately */
  MQTTDEV_REPORT_POWER,     /* power moved enough, has settled, and the spacing allows it */
  MQTTDEV_REPORT_HEARTBEAT,
} mqttdev_report_t;

/* Decides for the current snapshot against the last reported one (last_ms = when it went out). */
mqttdev_report_t mqttdev_report_decide(const mqttdev_report_cfg_t *cfg, const mqttdev_snapshot_t *last,
                                       uint64_t last_ms, const mqttdev_snapshot_t *now, uint64_t now_ms);

/* |now - last| >= max(rel × |last|, abs). */
bool mqttdev_power_meaningful(const mqttdev_report_cfg_t *cfg, float last_w, float now_w);

#ifdef __cplusplus
}
#endif

#endif /* OBL_MQTTDEV_REPORT_H */
