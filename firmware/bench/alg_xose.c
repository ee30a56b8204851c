/* xoseperez/hlw8012 interrupt mode, from bl0937.md §2.4: single CF period, CF1 period stored and SEL
 * toggled inside the ISR once 2 s passed in a mode, readers zero after 2 s without an edge. */
#include <string.h>

#include "alg.h"

typedef struct {
  alg_cfg_t cfg;
  uint32_t cf_last, cf_width, cf1_last, cf1_mode_start;
  uint32_t v_width, i_width;
  bool cf_seen, cf1_seen, volt_mode;
  uint64_t pulses;
} xose_t;

static void xose_init(void *st, const alg_cfg_t *cfg, uint64_t t_us) {
  xose_t *s = st;
  memset(s, 0, sizeof *s);
  s->cfg = *cfg;
  s->volt_mode = true;
  s->cf1_mode_start = (uint32_t)t_us;
}

static void xose_edge(void *st, int ch, uint32_t t) {
  xose_t *s = st;
  if (ch == 0) {
    if (s->cf_seen) s->cf_width = t - s->cf_last;
    s->cf_last = t;
    s->cf_seen = true;
    s->pulses++;
  } else {
    if (s->cf1_seen && t - s->cf1_mode_start > 2000000u) { /* PULSE_TIMEOUT */
      if (s->volt_mode) s->v_width = t - s->cf1_last;
      else s->i_width = t - s->cf1_last;
      s->volt_mode = !s->volt_mode;
      s->cf1_mode_start = t;
    }
    s->cf1_last = t;
    s->cf1_seen = true;
  }
}

static void xose_tick(void *st, uint64_t t_us, alg_out_t *out) {
  xose_t *s = st;
  uint32_t now = (uint32_t)t_us;
  if (s->cf_seen && (int32_t)(now - s->cf_last) > 2000000) s->cf_width = 0;
  out->p_w = s->cf_width ? (float)(s->cfg.w_per_hz * 1e6 / s->cf_width) : 0.0f;
  out->v_v = s->v_width ? (float)(s->cfg.v_per_hz * 1e6 / s->v_width) : 0.0f;
  out->i_a = (s->i_width && out->p_w > 0) ? (float)(s->cfg.a_per_hz * 1e6 / s->i_width) : 0.0f;
  out->e_uwh = (uint64_t)((double)s->pulses * s->cfg.w_per_hz / 3600.0 * 1e6);
  out->sel = s->volt_mode == s->cfg.sel_high_is_voltage;
  out->flags = 0;
}

const alg_t alg_xose = {"xoseperez", 3.0, 0.0, xose_init, xose_edge, xose_tick};
