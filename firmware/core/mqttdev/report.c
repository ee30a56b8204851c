/* report.c — the MQTT reporting policy (see report.h). */
#include "mqttdev/report.h"

void mqttdev_report_defaults(mqttdev_report_cfg_t *cfg) {
  cfg->power_rel = 0.01f;
  cfg->power_abs_w = 0.5f;
  cfg->min_interval_ms = 2000;
  cfg->heartbeat_ms = 60000;
}

static float absf(float x) { return x < 0.0f ? -x : x; }

bool mqttdev_power_meaningful(const mqttdev_report_cfg_t *cfg, float last_w, float now_w) {
  float rel = cfg->power_rel * absf(last_w);
  float thr = rel > cfg->power_abs_w ? rel : cfg->power_abs_w;
  float d = absf(now_w - last_w);
  if (d != d) return true; /* NaN on either side: report, the app will say what it means */
  return d >= thr;
}

mqttdev_report_t mqttdev_report_decide(const mqttdev_report_cfg_t *cfg, const mqttdev_snapshot_t *last,
                                       uint64_t last_ms, const mqttdev_snapshot_t *now, uint64_t now_ms) {
  if (now->relay != last->relay || now->tripped != last->tripped || now->generation != last->generation)
    return MQTTDEV_REPORT_CHANGE;
  uint64_t since = now_ms >= last_ms ? now_ms - last_ms : 0;
  /* The last report's value was a transient: the settled one replaces it at once (it is settled itself, so
   * this cannot repeat before the next unsettled report). */
  bool spaced = since >= cfg->min_interval_ms || last->settling;
  if (!now->settling && spaced && mqttdev_power_meaningful(cfg, last->power_w, now->power_w))
    return MQTTDEV_REPORT_POWER;
  if (since >= cfg->heartbeat_ms) return MQTTDEV_REPORT_HEARTBEAT;
  return MQTTDEV_REPORT_NONE;
}
