/* Ours: the real obl_metering core, through the bench interface. */
#include "alg.h"
#include "metering/bl0937.h"

_Static_assert(sizeof(bl0937_t) <= ALG_STATE_MAX, "state buffer too small");

static void ours_init(void *st, const alg_cfg_t *cfg, uint64_t t_us) {
  bl0937_config_t c;
  bl0937_default_config(&c);
  c.gains.p_w_per_hz = (float)cfg->w_per_hz;
  c.gains.v_per_hz = (float)cfg->v_per_hz;
  c.gains.a_per_hz = (float)cfg->a_per_hz;
  c.sel_high_is_voltage = cfg->sel_high_is_voltage;
  if (cfg->sel_settle_us) c.sel_settle_us = cfg->sel_settle_us;
  bl0937_init((bl0937_t *)st, &c, t_us);
}

static void ours_edge(void *st, int ch, uint32_t t_us) {
  if (ch == 0) bl0937_isr_cf(st, t_us);
  else bl0937_isr_cf1(st, t_us);
}

static void ours_tick(void *st, uint64_t t_us, alg_out_t *out) {
  bl0937_reading_t r;
  bl0937_tick((bl0937_t *)st, t_us, &r);
  out->p_w = r.power_w;
  out->v_v = r.voltage_v;
  out->i_a = r.current_a;
  out->e_uwh = r.energy_uwh;
  out->sel = r.sel_level;
  out->flags = (uint8_t)(((r.flags & BL0937_V_STALE) ? ALG_V_STALE : 0) | ((r.flags & BL0937_I_STALE) ? ALG_I_STALE : 0));
}

const alg_t alg_ours = {"ours", 5.0, 0.0, ours_init, ours_edge, ours_tick};
