/* The runner: chip model → MCU model → algorithm, every 10 ms, SEL fed back. */
#include <string.h>

#include "bench.h"
#include "mqttdev/report.h"

void mcu_default_params(mcu_params_t *p) {
  memset(p, 0, sizeof *p);
  p->lat_ns = 2000;
  p->jitter_ns = 5000;
}

static uint32_t crc_table[256];

uint32_t bench_crc32(uint32_t crc, const void *data, unsigned len) {
  if (!crc_table[1]) { /* byte-at-a-time table: every edge and tick is hashed */
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
      crc_table[i] = c;
    }
  }
  const uint8_t *b = data;
  crc = ~crc;
  for (unsigned i = 0; i < len; i++) crc = (crc >> 8) ^ crc_table[(crc ^ b[i]) & 0xFFu];
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
  uint64_t frng[4];          /* random fault model */
  uint64_t bo_start, bo_end; /* current/next random blackout [start, end) */
  uint64_t next_stray;
} mcu_t;

static uint64_t uniform_ns(uint64_t r[4], uint64_t lo, uint64_t hi) {
  return lo + (uint64_t)(bl0937_rng_uniform(r) * (double)(hi - lo));
}

/* The random blackout covering t (scheduling the next ones as time passes), or false. */
static bool mcu_random_blackout(mcu_t *m, uint64_t t_ns, uint64_t *end) {
  if (!m->p->bo_len_max_ns) return false;
  while (t_ns >= m->bo_end) {
    m->bo_start = m->bo_end + uniform_ns(m->frng, m->p->bo_gap_min_ns, m->p->bo_gap_max_ns);
    m->bo_end = m->bo_start + uniform_ns(m->frng, m->p->bo_len_min_ns, m->p->bo_len_max_ns);
  }
  if (t_ns < m->bo_start) return false;
  *end = m->bo_end;
  return true;
}

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

static void mcu_edge_in(mcu_t *m, int ch, uint64_t t_ns, bool stray);

static void mcu_edge(mcu_t *m, int ch, uint64_t t_ns) {
  while (ch == 0 && m->p->stray_every_ns && m->next_stray <= t_ns) { /* noise on the CF line */
    uint64_t ts = m->next_stray;
    m->next_stray += 1000 + (uint64_t)(2.0 * bl0937_rng_uniform(m->frng) * (double)m->p->stray_every_ns);
    mcu_edge_in(m, 0, ts, true);
  }
  mcu_edge_in(m, ch, t_ns, false);
}

static void mcu_edge_in(mcu_t *m, int ch, uint64_t t_ns, bool stray) {
  mcu_flush(m, t_ns);
  if (!stray) {
    m->count[ch]++;
    if (m->p->lose_every && m->count[ch] % m->p->lose_every == 0) return;
    if (m->p->lose_prob > 0 && bl0937_rng_uniform(m->frng) < m->p->lose_prob) return;
  }
  uint64_t bo_end;
  if (mcu_random_blackout(m, t_ns, &bo_end)) { /* masked: the pin latches one edge, the rest are lost */
    if (!m->latched[ch]) {
      m->latched[ch] = true;
      m->latch_end[ch] = bo_end;
    }
    return;
  }
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
  bool twin = ch == 0 && !stray && m->p->glitch_every && m->count[0] % m->p->glitch_every == 0;
  if (ch == 0 && m->p->glitch_prob > 0 && bl0937_rng_uniform(m->frng) < m->p->glitch_prob) twin = true;
  if (twin) {
    m->last_isr[0] = isr + 3000;
    mcu_emit(m, 0, isr + 3000);
  }
}

void bench_spikes_add(bench_spikes_t *a, const bench_spikes_t *x) {
  a->scored_s += x->scored_s;
  a->scored5_s += x->scored5_s;
  if (x->worst5_pct > a->worst5_pct) a->worst5_pct = x->worst5_pct;
  if (x->worst1_pct > a->worst1_pct) a->worst1_pct = x->worst1_pct;
  if (x->pub_worst_pct > a->pub_worst_pct) a->pub_worst_pct = x->pub_worst_pct;
  a->over1 += x->over1;
  a->over10 += x->over10;
  a->pub += x->pub;
  a->pub_over1 += x->pub_over1;
  a->pub_over10 += x->pub_over10;
  a->viol += x->viol;
  a->pub_viol += x->pub_viol;
}

/* What the plug would publish (protocol.md §8.4, the firmware's own decision function) and how far the
 * readings are off once settled. */
typedef struct {
  mqttdev_report_cfg_t rc;
  mqttdev_snapshot_t last;
  uint64_t last_ms;
  double settle_s, change_s;
} spike_acc_t;

static void spike_sample(spike_acc_t *a, bench_spikes_t *s, double t_s, double dt_s, double truth, float p_w) {
  mqttdev_snapshot_t now = {true, 0, p_w, 0, false}; /* scored from settle_s on: settled */
  uint64_t now_ms = (uint64_t)(t_s * 1000.0 + 0.5);
  bool published = mqttdev_report_decide(&a->rc, &a->last, a->last_ms, &now, now_ms) != MQTTDEV_REPORT_NONE;
  if (published) {
    a->last = now;
    a->last_ms = now_ms;
  }
  if (truth < 1.0 || t_s - a->change_s < a->settle_s) return;
  double e = ((double)p_w - truth) / truth * 100.0;
  if (e < 0) e = -e;
  bool big = truth >= 5.0, bad = e > (big ? 1.0 : 5.0);
  s->scored_s += dt_s;
  if (big) {
    s->scored5_s += dt_s;
    if (e > s->worst5_pct) s->worst5_pct = e;
    if (e > 1.0) s->over1++;
    if (e > 10.0) s->over10++;
  } else if (e > s->worst1_pct) {
    s->worst1_pct = e;
  }
  if (bad) s->viol++;
  if (!published) return;
  s->pub++;
  if (e > s->pub_worst_pct) s->pub_worst_pct = e;
  if (big && e > 1.0) s->pub_over1++;
  if (big && e > 10.0) s->pub_over10++;
  if (bad) s->pub_viol++;
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
  bl0937_rng_seed(mcu.frng, cfg->mcu.fault_seed ^ 0xFA017ull);
  if (cfg->mcu.stray_every_ns) mcu.next_stray = uniform_ns(mcu.frng, 0, 2 * cfg->mcu.stray_every_ns);
  spike_acc_t spk;
  memset(&spk, 0, sizeof spk);
  mqttdev_report_defaults(&spk.rc);
  spk.settle_s = alg->settle_s > 5.0 ? alg->settle_s : 5.0;

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
      if (bp->p_w != p) spk.change_s = bp->t_s;
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
    if (t > warm_ns) spike_sample(&spk, &res->spk, (double)(t - warm_ns) * 1e-9, (double)tick_ns * 1e-9, p, out.p_w);
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
