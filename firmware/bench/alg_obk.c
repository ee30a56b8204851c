/* OpenBeken drv_bl0937 (main), from bl0937.md §2.3: 1 s counts, SEL toggled every second without a
 * settle discard, PowerMax 3680 W holds the last value, energy += P × elapsed. */
#include <string.h>

#include "alg.h"

typedef struct {
  alg_cfg_t cfg;
  uint32_t p_pulses, vc_pulses;
  bool volt_mode;
  uint64_t last_s;
  float p, v, i;
  double e_wh;
} obk_t;

static void obk_init(void *st, const alg_cfg_t *cfg, uint64_t t_us) {
  obk_t *s = st;
  memset(s, 0, sizeof *s);
  s->cfg = *cfg;
  s->volt_mode = true;
  s->last_s = t_us;
}

static void obk_edge(void *st, int ch, uint32_t t) {
  obk_t *s = st;
  (void)t;
  if (ch == 0) s->p_pulses++;
  else s->vc_pulses++;
}

static void obk_tick(void *st, uint64_t t_us, alg_out_t *out) {
  obk_t *s = st;
  if (t_us - s->last_s >= 1000000u) {
    uint64_t ms = (t_us - s->last_s) / 1000u;
    double hz_p = s->p_pulses * 1000.0 / (double)ms, hz_vc = s->vc_pulses * 1000.0 / (double)ms;
    float p = (float)(hz_p * s->cfg.w_per_hz);
    if (p <= 3680.0f) s->p = p; /* PowerMax: larger readings keep the last value */
    if (s->volt_mode) s->v = (float)(hz_vc * s->cfg.v_per_hz);
    else s->i = (float)(hz_vc * s->cfg.a_per_hz);
    s->e_wh += s->p * (double)ms / 3600000.0;
    s->p_pulses = 0;
    s->vc_pulses = 0;
    s->volt_mode = !s->volt_mode;
    s->last_s = t_us;
  }
  out->p_w = s->p;
  out->v_v = s->v;
  out->i_a = s->i;
  out->e_uwh = (uint64_t)(s->e_wh * 1e6);
  out->sel = s->volt_mode == s->cfg.sel_high_is_voltage;
  out->flags = 0;
}

const alg_t alg_obk = {"openbeken", 2.0, 0.0, obk_init, obk_edge, obk_tick};
