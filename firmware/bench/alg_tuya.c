/* Tuya tdd_ele_energy_bl0937, from bl0937.md §2.5: 1 ms timer, edge-synchronous windows (P ≥ 2 s,
 * I ≥ 1 s, V ≥ 300 ms) valued elapsed/(n−1), timeouts to 0 (P, I 5 s; V 0.5 s), SEL current 10 s /
 * voltage 1 s, P < 3.0 W forced to 0, energy by pulse count. */
#include <string.h>

#include "alg.h"

typedef struct {
  uint32_t start_ms, last_ms, n;
  bool open;
} win_t;

typedef struct {
  alg_cfg_t cfg;
  win_t p, c1;
  bool volt_mode;
  uint64_t mode_start_us;
  float pw, v, i;
  uint64_t pulses;
} tuya_t;

static void tuya_init(void *st, const alg_cfg_t *cfg, uint64_t t_us) {
  tuya_t *s = st;
  memset(s, 0, sizeof *s);
  s->cfg = *cfg;
  s->volt_mode = true;
  s->mode_start_us = t_us;
}

/* Returns the period (ms, float) when the window closes on this edge, 0 otherwise. */
static float win_edge(win_t *w, uint32_t ms, uint32_t min_ms) {
  if (!w->open) {
    w->open = true;
    w->start_ms = ms;
    w->n = 1;
    w->last_ms = ms;
    return 0.0f;
  }
  w->n++;
  w->last_ms = ms;
  if (ms - w->start_ms >= min_ms) {
    float per = (float)(ms - w->start_ms) / (float)(w->n - 1);
    w->start_ms = ms; /* the closing edge opens the next window */
    w->n = 1;
    return per > 0 ? per : 0.001f;
  }
  return 0.0f;
}

static void tuya_edge(void *st, int ch, uint32_t t) {
  tuya_t *s = st;
  uint32_t ms = t / 1000u; /* 1 ms hardware timer */
  if (ch == 0) {
    s->pulses++;
    float per = win_edge(&s->p, ms, 2000);
    if (per > 0) s->pw = (float)(s->cfg.w_per_hz * 1000.0 / per);
  } else {
    float per = win_edge(&s->c1, ms, s->volt_mode ? 300 : 1000);
    if (per > 0) {
      if (s->volt_mode) s->v = (float)(s->cfg.v_per_hz * 1000.0 / per);
      else s->i = (float)(s->cfg.a_per_hz * 1000.0 / per);
    }
  }
}

static void tuya_tick(void *st, uint64_t t_us, alg_out_t *out) {
  tuya_t *s = st;
  uint32_t ms = (uint32_t)(t_us / 1000u);
  if (s->p.open && ms - s->p.last_ms > 5000) {
    s->p.open = false;
    s->pw = 0;
  }
  if (s->c1.open && ms - s->c1.last_ms > (s->volt_mode ? 500u : 5000u)) {
    s->c1.open = false;
    if (s->volt_mode) s->v = 0;
    else s->i = 0;
  }
  uint64_t dwell = s->volt_mode ? 1000000u : 10000000u;
  if (t_us - s->mode_start_us >= dwell) {
    s->volt_mode = !s->volt_mode;
    s->mode_start_us = t_us;
    s->c1.open = false;
  }
  float p = s->pw < 3.0f ? 0.0f : s->pw; /* SMALL_POWER_LIMIT 30 (0.1 W) */
  out->p_w = p;
  out->v_v = s->v;
  out->i_a = p > 0 ? s->i : 0.0f;
  out->e_uwh = (uint64_t)((double)s->pulses * s->cfg.w_per_hz / 3600.0 * 1e6);
  out->sel = s->volt_mode == s->cfg.sel_high_is_voltage;
  out->flags = 0;
}

const alg_t alg_tuya = {"tuya", 7.0, 0.0, tuya_init, tuya_edge, tuya_tick};
