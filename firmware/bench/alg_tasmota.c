/* Tasmota xnrg_01 (HLW8012/BL0937), from bl0937.md §2.1: mean CF period per 200 ms, 10 s probe before 0 W,
 * ≤ 10 CF1 periods accepted while 2 < cf1_timer < 8 (200 ms units), integer energy per second. */
#include <string.h>

#include "alg.h"

typedef struct {
  alg_cfg_t cfg;
  uint64_t k;                /* power ratio × cal, 0.1 W·µs per pulse (HJL_PREF × HLW_PREF_PULSE scale) */
  bool load_off;
  uint32_t cf_last, cf_len, cf_sum, cf_n, energy_n;
  uint32_t cf1_last, cf1_sum, cf1_n, cf1_timer;
  bool cf1_have_last, volt_mode;
  uint32_t probe;
  uint64_t next_200ms, next_1s;
  float p, v, i;
  uint64_t e_1e5wh;          /* kWhtoday_delta units: 10^-5 Wh */
} tas_t;

static void tas_init(void *st, const alg_cfg_t *cfg, uint64_t t_us) {
  tas_t *s = st;
  memset(s, 0, sizeof *s);
  s->cfg = *cfg;
  s->k = (uint64_t)(cfg->w_per_hz * 1e7 + 0.5);
  s->load_off = true;
  s->volt_mode = true;
  s->next_200ms = t_us + 200000;
  s->next_1s = t_us + 1000000;
}

static void tas_edge(void *st, int ch, uint32_t t) {
  tas_t *s = st;
  if (ch == 0) {
    if (s->load_off) { /* first edge after load-off only arms the timer */
      s->cf_last = t;
      s->load_off = false;
      return;
    }
    s->cf_len = t - s->cf_last;
    s->cf_last = t;
    s->cf_sum += s->cf_len;
    s->cf_n++;
    s->energy_n++;
  } else {
    uint32_t len = t - s->cf1_last;
    bool had = s->cf1_have_last;
    s->cf1_last = t;
    s->cf1_have_last = true;
    if (had && s->cf1_timer > 2 && s->cf1_timer < 8 && s->cf1_n < 10) {
      s->cf1_sum += len;
      s->cf1_n++;
      if (s->cf1_n >= 10) s->cf1_timer = 8; /* enough samples: switch at the next 200 ms */
    }
  }
}

static void tas_200ms(tas_t *s) {
  if (s->cf_n) {
    float mean = (float)s->cf_sum / (float)s->cf_n;
    s->p = (float)((double)s->k / 10.0 / mean);
    s->cf_sum = 0;
    s->cf_n = 0;
    s->probe = 0;
  } else if (!s->load_off) {
    if (++s->probe >= 50) { /* HLW_POWER_PROBE_TIME 10 s without an edge */
      s->load_off = true;
      s->p = 0;
      s->cf_len = 0;
    } else if (s->cf_len) {
      s->p = (float)((double)s->k / 10.0 / (double)s->cf_len); /* reuse the last single period */
    }
  }
  s->cf1_timer++;
  if (s->cf1_timer >= 8) {
    if (s->cf1_n) {
      double mean = (double)s->cf1_sum / s->cf1_n;
      if (s->volt_mode) s->v = (float)(1e6 / mean * s->cfg.v_per_hz);
      else s->i = (float)(1e6 / mean * s->cfg.a_per_hz);
    } else if (!s->volt_mode) {
      s->i = 0;
    }
    s->volt_mode = !s->volt_mode;
    s->cf1_timer = 0;
    s->cf1_sum = 0;
    s->cf1_n = 0;
  }
}

static void tas_tick(void *st, uint64_t t_us, alg_out_t *out) {
  tas_t *s = st;
  while (t_us >= s->next_200ms) {
    tas_200ms(s);
    s->next_200ms += 200000;
  }
  while (t_us >= s->next_1s) { /* HlwEverySecond: integer maths, truncates */
    if (s->energy_n) {
      uint64_t hlw_len = 1000000u / s->energy_n;
      if (hlw_len) s->e_1e5wh += ((s->k / 36u) * 100u) / hlw_len;
      s->energy_n = 0;
    }
    s->next_1s += 1000000;
  }
  out->p_w = s->p;
  out->v_v = s->v;
  out->i_a = s->p > 0 ? s->i : 0.0f;
  out->e_uwh = s->e_1e5wh * 10u;
  out->sel = s->volt_mode == s->cfg.sel_high_is_voltage;
  out->flags = 0;
}

const alg_t alg_tasmota = {"tasmota", 11.0, 0.0, tas_init, tas_edge, tas_tick};
