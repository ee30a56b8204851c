#include "supervisor/supervisor.h"

#include <string.h>

/* Boot record (STORE_KEY_BOOT), 8 bytes: format, bad, flags, stalled task, boot count (u32 LE). */
#define REC_FORMAT 1u
#define FLAG_CONTROLLED 0x01u /* the previous boot announced its reboot */
#define FLAG_FORCE_SAFE 0x02u /* safe mode by command */

typedef struct {
  uint8_t bad;
  uint8_t flags;
  uint8_t stalled;
  uint32_t boots;
} boot_rec_t;

void supervisor_config_defaults(supervisor_config_t *cfg) {
  cfg->watchdog_ms = 8000;
  cfg->stall_ms = 4000;
  cfg->good_after_s = 30;
  cfg->safe_after = 4;
}

static store_err_t rec_read(store_t *st, boot_rec_t *r) {
  uint8_t b[8];
  size_t len = 0;
  memset(r, 0, sizeof *r);
  r->stalled = SUP_NO_TASK;
  store_err_t e = store_get(st, STORE_KEY_BOOT, b, sizeof b, &len);
  if (e == STORE_ERR_NOT_FOUND) return STORE_OK;
  if (e != STORE_OK) return e;
  if (len != 8 || b[0] != REC_FORMAT) return STORE_OK; /* foreign record: start counting afresh */
  r->bad = b[1];
  r->flags = b[2];
  r->stalled = b[3];
  r->boots = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24;
  return STORE_OK;
}

static store_err_t rec_write(store_t *st, const boot_rec_t *r) {
  uint8_t b[8] = {REC_FORMAT, r->bad, r->flags, r->stalled, (uint8_t)r->boots, (uint8_t)(r->boots >> 8),
                  (uint8_t)(r->boots >> 16), (uint8_t)(r->boots >> 24)};
  return store_put(st, STORE_KEY_BOOT, b, sizeof b);
}

store_err_t supervisor_boot(supervisor_t *s, store_t *st, const supervisor_config_t *cfg, uint64_t now_us) {
  memset(s, 0, sizeof *s);
  s->store = st;
  if (cfg)
    s->cfg = *cfg;
  else
    supervisor_config_defaults(&s->cfg);
  s->boot_us = now_us;
  s->stalled_task = SUP_NO_TASK;
  s->reset_reason = hal_reset_reason();
  for (int i = 0; i < SUP_TASK_COUNT; i++) s->last_alive_us[i] = now_us;

  boot_rec_t r;
  store_err_t e = rec_read(st, &r);
  if (e == STORE_OK) {
    if (s->reset_reason == HAL_RESET_POWER_ON || s->reset_reason == HAL_RESET_BROWNOUT) {
      r.bad = 0; /* the power went: not the firmware's fault, and a power cycle earns a normal attempt */
    } else if (r.flags & FLAG_CONTROLLED) {
      if (r.bad > 0) r.bad--; /* the last boot was counted speculatively, but ended as announced */
    } else if (s->reset_reason == HAL_RESET_WATCHDOG && r.stalled == SUP_TASK_NET) {
      /* Only the network task stalled; the main loop metered, protected and fed until the end. A network
       * fault is not a failed boot, and safe mode (which keeps the network on) could not cure it anyway. */
      if (r.bad > 0) r.bad--;
    }
    s->reset_task = s->reset_reason == HAL_RESET_WATCHDOG ? r.stalled : SUP_NO_TASK;
    s->bad_boots = r.bad;
    s->safe_mode = r.bad >= s->cfg.safe_after || (r.flags & FLAG_FORCE_SAFE);
    /* Count this boot as bad until it has run good_after_s. */
    if (r.bad < 0xFF) r.bad++;
    r.flags &= (uint8_t)~FLAG_CONTROLLED;
    r.stalled = SUP_NO_TASK;
    r.boots++;
    s->boot_count = r.boots;
    e = rec_write(st, &r);
  } else {
    s->reset_task = SUP_NO_TASK;
  }
  if (s->safe_mode)
    hal_log(HAL_LOG_WARN, "supervisor", "SAFE MODE: %u bad boots in a row", (unsigned)s->bad_boots);
  hal_log(HAL_LOG_INFO, "supervisor", "boot %u, reset reason %s", (unsigned)s->boot_count,
          supervisor_reset_reason_name(s->reset_reason));
  if (hal_watchdog_start(s->cfg.watchdog_ms) != HAL_OK)
    hal_log(HAL_LOG_ERROR, "supervisor", "watchdog could not be started");
  return e;
}

void supervisor_checkin(supervisor_t *s, sup_task_t task) {
  if ((unsigned)task < SUP_TASK_COUNT) s->checkins[task] = s->checkins[task] + 1u;
}

static void mark_good(supervisor_t *s) {
  boot_rec_t r;
  s->boot_good = true;
  if (rec_read(s->store, &r) != STORE_OK) return;
  if (s->safe_mode) return; /* a safe-mode boot proves nothing about the normal firmware path */
  r.bad = 0;
  s->bad_boots = 0;
  if (rec_write(s->store, &r) != STORE_OK)
    hal_log(HAL_LOG_ERROR, "supervisor", "could not record the good boot");
}

static void note_stall(supervisor_t *s, uint8_t task, uint64_t silent_us) {
  if (s->stalled_task == task) return;
  s->stalled_task = task;
  hal_log(HAL_LOG_ERROR, "supervisor", "%s task silent for %u ms: watchdog no longer fed",
          supervisor_task_name(task), (unsigned)(silent_us / 1000u));
  boot_rec_t r;
  /* Leave the culprit for the next boot to report; the watchdog reset itself carries no detail. */
  if (rec_read(s->store, &r) == STORE_OK) {
    r.stalled = task;
    (void)rec_write(s->store, &r);
  }
}

void supervisor_poll(supervisor_t *s, uint64_t now_us) {
  bool alive = true;
  uint64_t stall_us = (uint64_t)s->cfg.stall_ms * 1000u;
  for (uint8_t t = 0; t < SUP_TASK_COUNT; t++) {
    uint32_t c = s->checkins[t];
    if (c != s->seen[t]) {
      s->seen[t] = c;
      s->last_alive_us[t] = now_us;
    }
    uint64_t silent = now_us - s->last_alive_us[t];
    if (silent > stall_us) {
      alive = false;
      note_stall(s, t, silent);
    }
  }
  if (alive) {
    if (s->stalled_task != SUP_NO_TASK) {
      hal_log(HAL_LOG_WARN, "supervisor", "%s task alive again", supervisor_task_name(s->stalled_task));
      s->stalled_task = SUP_NO_TASK;
    }
    hal_watchdog_feed();
    s->feeds++;
  }
  if (!s->boot_good && now_us - s->boot_us >= (uint64_t)s->cfg.good_after_s * 1000000u) mark_good(s);
}

bool supervisor_safe_mode(const supervisor_t *s) { return s->safe_mode; }

static store_err_t update_flags(supervisor_t *s, uint8_t set, uint8_t clear, bool reset_bad) {
  boot_rec_t r;
  store_err_t e = rec_read(s->store, &r);
  if (e != STORE_OK) return e;
  r.flags = (uint8_t)((r.flags | set) & ~clear);
  if (reset_bad) r.bad = 0;
  return rec_write(s->store, &r);
}

store_err_t supervisor_enter_safe_mode(supervisor_t *s) { return update_flags(s, FLAG_FORCE_SAFE, 0, false); }

store_err_t supervisor_leave_safe_mode(supervisor_t *s) {
  /* bad = 0 and the controlled flag make the next boot a normal one (the controlled flag would otherwise
   * only take one off). */
  return update_flags(s, FLAG_CONTROLLED, FLAG_FORCE_SAFE, true);
}

store_err_t supervisor_prepare_reboot(supervisor_t *s) {
  if (s->boot_good && !s->safe_mode) return update_flags(s, 0, 0, false); /* already bad = 0 */
  return update_flags(s, FLAG_CONTROLLED, 0, false);
}

const char *supervisor_reset_reason_name(hal_reset_reason_t r) {
  switch (r) {
    case HAL_RESET_POWER_ON: return "power_on";
    case HAL_RESET_SOFTWARE: return "software";
    case HAL_RESET_WATCHDOG: return "watchdog";
    case HAL_RESET_BROWNOUT: return "brownout";
    case HAL_RESET_EXCEPTION: return "exception";
    case HAL_RESET_UNKNOWN: return "unknown";
  }
  return "unknown";
}

const char *supervisor_task_name(uint8_t task) {
  switch (task) {
    case SUP_TASK_MAIN: return "main";
    case SUP_TASK_NET: return "net";
    default: return NULL;
  }
}
