/* protect.c — over-power / over-current cut-off and re-close (see protect.h). */
#include "protect/protect.h"

#include <string.h>

void protect_config_default(protect_config_t *cfg) {
  cfg->max_power_w = 3680.0f;
  cfg->max_current_a = 16.0f;
  cfg->hold_ms = 2000;
  cfg->window_ms = 0;
  cfg->max_retries = 1;
}

void protect_init(protect_t *p, const protect_config_t *cfg) {
  memset(p, 0, sizeof *p);
  p->cfg = *cfg;
  p->retries_left = cfg->max_retries;
}

void protect_set_config(protect_t *p, const protect_config_t *cfg) {
  p->cfg = *cfg;
  if (!p->in_episode) p->retries_left = cfg->max_retries;
}

/* The overload count survives: a command switching on again must not restart it (protect.h). */
void protect_reset(protect_t *p) {
  p->tripped = PROTECT_NONE;
  p->trip_value = 0.0f;
  p->in_episode = false;
  p->latched = false;
  p->retries_left = p->cfg.max_retries;
  p->good_since_us = 0;
}

void protect_cancel_reclose(protect_t *p) {
  if (p->tripped != PROTECT_NONE) p->latched = true;
}

protect_action_t protect_update(protect_t *p, uint64_t now_us, bool relay_on, bool reading_valid, float power_w,
                                float current_a) {
  if (!relay_on) {
    p->on_since_us = 0;
    p->over_last_us = 0; /* paused, not ended */
    if (p->off_since_us == 0) p->off_since_us = now_us ? now_us : 1;
    if (p->over && now_us - p->off_since_us >= (uint64_t)PROTECT_FORGET_OFF_MS * 1000u) p->over = false;
    p->good_since_us = 0;
    if (p->tripped == PROTECT_NONE || p->latched || p->cfg.window_ms == 0) return PROTECT_ACT_NONE;
    if (now_us - p->tripped_at_us < (uint64_t)p->cfg.window_ms * 1000u) return PROTECT_ACT_NONE;
    if (p->retries_left == 0) {
      p->latched = true; /* stays open and reported until someone switches */
      return PROTECT_ACT_NONE;
    }
    p->retries_left--;
    p->tripped = PROTECT_NONE;
    p->trip_value = 0.0f;
    return PROTECT_ACT_RECLOSE;
  }

  /* relay on; a trip reported earlier no longer holds it open (someone or the re-close switched it on) */
  p->tripped = PROTECT_NONE;
  p->latched = false;
  p->off_since_us = 0;
  if (p->on_since_us == 0) p->on_since_us = now_us ? now_us : 1;
  if (!reading_valid) return PROTECT_ACT_NONE;

  protect_reason_t reason = PROTECT_NONE;
  float value = 0.0f;
  if (p->cfg.max_power_w > 0.0f && power_w > p->cfg.max_power_w) {
    reason = PROTECT_OVERPOWER;
    value = power_w;
  } else if (p->cfg.max_current_a > 0.0f && current_a > p->cfg.max_current_a) {
    reason = PROTECT_OVERCURRENT;
    value = current_a;
  }

  if (reason == PROTECT_NONE) {
    p->over_last_us = 0;
    if (now_us - p->on_since_us >= (uint64_t)PROTECT_SETTLE_MS * 1000u) p->over = false;
    if (p->good_since_us == 0) p->good_since_us = now_us ? now_us : 1;
    if (p->in_episode && now_us - p->good_since_us >= (uint64_t)PROTECT_STABLE_MS * 1000u) {
      p->in_episode = false;
      p->retries_left = p->cfg.max_retries;
    }
    return PROTECT_ACT_NONE;
  }

  p->good_since_us = 0;
  if (!p->over) {
    p->over = true;
    p->over_us = 0;
  } else if (p->over_last_us != 0) {
    p->over_us += now_us - p->over_last_us;
  }
  p->over_last_us = now_us;
  p->over_reason = reason;
  if (p->over_us < (uint64_t)p->cfg.hold_ms * 1000u) return PROTECT_ACT_NONE;

  p->over = false;
  p->over_last_us = 0;
  p->tripped = reason;
  p->trip_value = value;
  p->tripped_at_us = now_us;
  if (!p->in_episode) {
    p->in_episode = true;
    p->retries_left = p->cfg.max_retries;
  }
  return PROTECT_ACT_TRIP;
}

protect_reason_t protect_tripped(const protect_t *p) { return p->tripped; }

const char *protect_reason_name(protect_reason_t r) {
  switch (r) {
    case PROTECT_OVERPOWER: return "overpower";
    case PROTECT_OVERCURRENT: return "overcurrent";
    case PROTECT_NONE:
    default: return "none";
  }
}
