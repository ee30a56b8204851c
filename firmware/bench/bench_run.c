/* The runner: chip model → MCU model → algorithm, every 10 ms, SEL fed back. */
#include <string.h>

#include "bench.h"


void mcu_default_params(mcu_params_t *p) {
  memset(p, 0, sizeof *p);
  p->lat_ns = 2000;
  p->jitter_ns = 5000;
}

uint32_t bench_crc32(uint32_t crc, const void *data, unsigned len) {
  const uint8_t *b = data;
  crc = ~crc;
  for (unsigned i = 0; i < len; i++) {
    crc ^= b[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

typedef struct {
  const mcu_params_t *p;
  const alg_t *alg;
  void *st;
  uint64_t rng[2][4]; /* per channel: every algorithm sees the same CF timestamps whatever its SEL */
  uint32_t count[2];
  bool latched[2];
  uint64_t latch_end[2];
  uint64_t last_isr[2];
  uint32_t crc;
} mcu_t;

static void mcu_emit(mcu_t *m, int ch, uint64_t isr_ns) {
  uint32_t us = (uint32_t)(isr_ns / 1000u + m->p->clock_offset_us);
  uint8_t rec[5] = {(uint8_t)ch, (uint8_t)us, (uint8_t)(us >> 8), (uint8_t)(us >> 16), (uint8_t)(us >> 24)};
  m->crc = bench_crc32(m->crc, rec, sizeof rec);
  m->alg->edge(m->st, ch, us);
}

static void mcu_flush(mcu_t *m, uint64_t t_ns) {
  for (int ch = 0; ch < 2; ch++) {
    if (m->latched[ch] && m->latch_end[ch] <= t_ns) {
      m->latched[ch] = false;
      uint64_t isr = m->latch_end[ch] + m->p->lat_ns;
      if (isr <= m->last_isr[ch]) isr = m->last_isr[ch] + 1000;
      m->last_isr[ch] = isr;
      mcu_emit(m, ch, isr);
    }
  }
}

static void mcu_edge(mcu_t *m, int ch, uint64_t t_ns) {
  mcu_flush(m, t_ns);
  m->count[ch]++;
  if (m->p->lose_every && m->count[ch] % m->p->lose_every == 0) return;
  if (m->p->blackout_every_ns) {
    uint64_t every = m->p->blackout_every_ns, start = every / 2; /* blackouts mid-period, not at t = 0 */
    if (t_ns >= start) {
      uint64_t phase = (t_ns - start) % every;
      if (phase < m->p->blackout_len_ns) { /* masked: the pin latches one edge, the rest are lost */
        if (!m->latched[ch]) {
          m->latched[ch] = true;
          m->latch_end[ch] = t_ns - phase + m->p->blackout_len_ns;
        }
        return;
      }
    }
  }
  uint64_t isr = t_ns + m->p->lat_ns;
  if (m->p->jitter_ns) {
    double j = bl0937_rng_normal(m->rng[ch]) * (double)m->p->jitter_ns;
    isr += (uint64_t)(j < 0 ? -j : j);
  }
  if (isr <= m->last_isr[ch]) isr = m->last_isr[ch] + 1000; /* one ISR at a time per pin */
  m->last_isr[ch] = isr;
  mcu_emit(m, ch, isr);
  if (ch == 0 && m->p->glitch_every && m->count[0] % m->p->glitch_every == 0) {
    m->last_isr[0] = isr + 3000;
    mcu_emit(m, 0, isr + 3000);
  }
}

static _Alignas(16) unsigned char alg_state[ALG_STATE_MAX];

static uint32_t crc_float(uint32_t crc, float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return bench_crc32(crc, &u, 4);
}

void bench_run(const alg_t *alg, const bench_run_cfg_t *cfg, bench_sample_fn fn, void *ctx,
               bench_run_result_t *res) {
  memset(res, 0, sizeof *res);
  bl0937_model_t chip;
  bl0937_model_init(&chip, &cfg->chip, cfg->seed, 0);
  mcu_t mcu;
  memset(&mcu, 0, sizeof mcu);
  mcu.p = &cfg->mcu;
  mcu.alg = alg;
  mcu.st = alg_state;
  bl0937_rng_seed(mcu.rng[0], cfg->seed ^ 0x5EEDull);
  bl0937_rng_seed(mcu.rng[1], cfg->seed ^ 0x5EED1ull);

  alg_cfg_t ac;
  memset(&ac, 0, sizeof ac);
  ac.w_per_hz = 1.0 / cfg->chip.cf_hz_per_w;
  ac.v_per_hz = 1.0 / cfg->chip.cf1_hz_per_v;
  ac.a_per_hz = 1.0 / cfg->chip.cf1_hz_per_a;
  ac.sel_high_is_voltage = cfg->chip.sel_high_is_voltage;
  ac.sel_settle_us = cfg->sel_settle_us;
  memset(alg_state, 0, sizeof alg_state);
  alg->init(alg_state, &ac, cfg->mcu.clock_offset_us);

  /* Warm-up: the profile is shifted by warmup_s, the first point's load is applied from t = 0, and
   * samples and energies start after it. */
  uint64_t warm_ns = (uint64_t)(cfg->warmup_s * 1e9 + 0.5);
  uint64_t end_ns = warm_ns + (uint64_t)(cfg->duration_s * 1e9 + 0.5);
  if (warm_ns && cfg->n_pts) bl0937_model_set_load(&chip, cfg->pts[0].p_w, cfg->pts[0].v_v, cfg->pts[0].pf);
  uint64_t cf_at_warm = 0, e_at_warm = 0;
  unsigned next_pt = 0;
  double p = 0, v = 0, pf = 1, last_change_s = 0;
  uint32_t crc_cf = 0, crc_out = 0;
  alg_out_t out;
  memset(&out, 0, sizeof out);

  uint64_t tick_ns = cfg->tick_us ? (uint64_t)cfg->tick_us * 1000u : 10000000u;
  for (uint64_t t = tick_ns; t <= end_ns; t += tick_ns) {
    for (;;) {
      uint64_t limit = t;
      bool change = false;
      if (next_pt < cfg->n_pts) {
        uint64_t tc = warm_ns + (uint64_t)(cfg->pts[next_pt].t_s * 1e9 + 0.5);
        if (tc <= t) {
          limit = tc;
          change = true;
        }
      }
      bl0937_edge_t e;
      while (bl0937_model_next_edge(&chip, limit, &e)) {
        if (e.ch == BL0937_CH_CF) crc_cf = bench_crc32(crc_cf, &e.t_ns, 8); /* little-endian hosts and rv32 */
        mcu_edge(&mcu, (int)e.ch, e.t_ns);
      }
      if (!change) break;
      const bench_point_t *bp = &cfg->pts[next_pt++];
      if (next_pt > 1) res->e_true_wh += p * (bp->t_s - last_change_s) / 3600.0;
      last_change_s = bp->t_s;
      p = bp->p_w;
      v = bp->v_v;
      pf = bp->pf;
      bl0937_model_set_load(&chip, p, v, pf);
    }
    mcu_flush(&mcu, t);
    alg->tick(alg_state, t / 1000u + cfg->mcu.clock_offset_us, &out);
    bl0937_model_set_sel(&chip, out.sel);
    crc_out = crc_float(crc_out, out.p_w);
    crc_out = crc_float(crc_out, out.v_v);
    crc_out = crc_float(crc_out, out.i_a);
    crc_out = bench_crc32(crc_out, &out.e_uwh, 8);
    if (t == warm_ns) {
      cf_at_warm = bl0937_model_emitted(&chip, BL0937_CH_CF);
      e_at_warm = out.e_uwh;
    }
    if (fn && t > warm_ns) {
      bench_sample_t s = {(double)(t - warm_ns) * 1e-9, (double)tick_ns * 1e-9, p, v,
                          (v > 0 && pf > 0) ? p / (v * pf) : 0.0, &out};
      fn(ctx, &s);
    }
  }
  res->e_true_wh += p * (cfg->duration_s - last_change_s) / 3600.0;
  res->e_alg_wh = (double)(out.e_uwh - e_at_warm) * 1e-6;
  res->cf_emitted = bl0937_model_emitted(&chip, BL0937_CH_CF) - cf_at_warm;
  res->cf1_emitted = bl0937_model_emitted(&chip, BL0937_CH_CF1);
  res->e_pulse_wh = (double)res->cf_emitted / cfg->chip.cf_hz_per_w / 3600.0;
  res->crc_cf = crc_cf;
  res->crc_delivered = mcu.crc;
  res->crc_out = crc_out;
}
