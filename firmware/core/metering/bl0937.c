/* BL0937 metering: ISR rings, power by reciprocal averaging, pulse-exact energy, SEL scheduling. */
#include "metering/bl0937.h"

#include <string.h>

enum { CF_IDLE = 0, CF_LONE, CF_RUN };
enum { MODE_V = 0, MODE_I = 1 };

#define RING_MASK (BL0937_RING_LEN - 1u)
/* Edge timing slack: ISR latency/jitter on BL602 with Wi-Fi is tens of µs; an interval is "one period"
 * within ±(15 % + 150 µs), so 20 µs σ jitter at 30 A (247 µs periods) is not mistaken for a lost edge. */
#define TOL_REL 0.15f
#define TOL_ABS_US 150.0f
/* A step is declared when a tick's new edges disagree with the span by more than this (plus timing). */
#define STEP_REL 0.02f
#define STEP_ABS_US 100.0f
/* Longest gap repaired with virtual edges: 256 periods (a 10 ms blackout at 30 A is 40). */
#define REPAIR_MAX 256u
/* An edge is committed at once only if it moves the reading by at most BIAS_REL of the span (so a late
 * edge that is not recognised as late costs ≤ 0.2 %), or lies within the timing noise of one interval
 * (NOISE_ABS_US for ISR jitter and ripple, NOISE_REL for the chip's own period scatter). Everything else
 * waits for the next edge, which tells a late, lost or stray edge from a load step. */
#define BIAS_REL 0.002f
#define NOISE_ABS_US 100.0f
#define NOISE_REL 0.003f
/* The overdue-edge bound (a load switched off decays at once) waits until an edge is later than one lost
 * edge or two in a row (GRACE_PERIODS) and than one period plus the longest interrupt blackout the edge
 * can have been latched behind (GRACE_ABS_US): neither may pull a steady reading down. */
#define GRACE_PERIODS 3.2f
#define GRACE_ABS_US 60000.0f
/* CF1 segments agree when within 0.02 % or 3σ of their timing scatter. */
#define SEG_TOL_MIN 0.0002f
#define SEG_EDGE_NOISE_US 60.0f

/* ---- interrupt side ---------------------------------------------------------------------------------- */

/* Inlined into each ISR: no call, no maths, about 15 instructions on rv32. */
__attribute__((always_inline)) static inline void ring_push(bl0937_ring_t *r, uint32_t t_us) {
  uint32_t h = r->head;
  if (h - r->tail >= BL0937_RING_LEN) {
    r->dropped++;
    return;
  }
  r->t_us[h & RING_MASK] = t_us;
  __atomic_store_n(&r->head, h + 1u, __ATOMIC_RELEASE);
}

void bl0937_isr_cf(void *meter, uint32_t t_us) { ring_push(&((bl0937_t *)meter)->ring[0], t_us); }

void bl0937_isr_cf1(void *meter, uint32_t t_us) { ring_push(&((bl0937_t *)meter)->ring[1], t_us); }

/* ---- helpers ----------------------------------------------------------------------------------------- */

static float absf(float x) { return x < 0.0f ? -x : x; }

/* x ≥ 0: nearest integer k and whether |x − k| < tol. */
static bool near_int(float x, float tol, uint32_t *k) {
  if (x < 0.0f || x > 1e6f) return false;
  uint32_t r = (uint32_t)(x + 0.5f);
  *k = r;
  return absf(x - (float)r) < tol;
}

/* 32-bit ISR timestamp → 64-bit, relative to now (edges may be a little after now: ISR latency). */
static uint64_t extend(uint64_t now, uint32_t t32) {
  int32_t d = (int32_t)((uint32_t)now - t32);
  if (d > 0 && (uint64_t)d > now) return 0;
  return now - (uint64_t)(int64_t)d;
}

static uint32_t span32(uint64_t a, uint64_t b) { /* b ≥ a, spans here are seconds, never 71 min */
  uint64_t d = b - a;
  return d > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)d;
}

static uint64_t creep_window_us(const bl0937_t *m) {
  return (uint64_t)(m->cfg.gains.p_w_per_hz / m->cfg.p_zero_w * 1e6f);
}

static void update_uwh_per_pulse(bl0937_t *m) {
  float uwh = m->cfg.gains.p_w_per_hz * (1e6f / 3600.0f);
  m->uwh_q32 = (uint64_t)(uwh * 16777216.0f) << 8;
}

static void fold_energy(bl0937_t *m) {
  while (m->pulses_folded != m->pulses) {
    uint64_t n = m->pulses - m->pulses_folded;
    if (n > 1000000u) n = 1000000u; /* keeps n × µWh·2^32 inside 64 bits */
    uint64_t acc = m->energy_frac + n * m->uwh_q32;
    m->energy_uwh += acc >> 32;
    m->energy_frac = acc & 0xFFFFFFFFu;
    m->pulses_folded += n;
  }
}

/* ---- configuration ------------------------------------------------------------------------------------ */

bool bl0937_gains_from_frontend(float shunt_ohm, float divider_ratio, float vref_v, bl0937_gains_t *out) {
  if (!(shunt_ohm > 0.0f) || !(divider_ratio > 0.0f) || !(vref_v > 0.0f)) return false;
  out->p_w_per_hz = vref_v * vref_v * divider_ratio / (1721506.0f * shunt_ohm);
  out->v_per_hz = vref_v * divider_ratio / 15397.0f;
  out->a_per_hz = vref_v / (94638.0f * shunt_ohm);
  return true;
}

void bl0937_default_config(bl0937_config_t *c) {
  memset(c, 0, sizeof *c);
  (void)bl0937_gains_from_frontend(0.001f, 1981.0f, 1.218f, &c->gains);
  c->sel_high_is_voltage = true;
  c->sel_settle_us = 300000u;
  c->v_segment_us = 100000u;
  c->i_segment_us = 250000u;
  c->v_max_us = 2000000u;
  c->i_max_us = 5000000u;
  c->i_refresh_us = 8000000u;
  c->stale_us = 15000000u;
  c->span_max_us = 1000000u;
  c->glitch_us = 100u;
  c->p_zero_w = 0.45f;
  c->p_max_w = 8000.0f;
}

static void sel_enter(bl0937_t *m, uint8_t mode, uint64_t now) {
  m->mode = mode;
  m->mode_start_us = now;
  m->cf1_have_last = false;
  m->seg_a.n = 0;
  m->seg_b.n = 0;
}

void bl0937_init(bl0937_t *m, const bl0937_config_t *cfg, uint64_t now_us) {
  memset(m, 0, sizeof *m);
  m->cfg = *cfg;
  if (!(m->cfg.p_zero_w > 0.0f)) m->cfg.p_zero_w = 0.45f;
  if (m->cfg.span_max_us < 1000u) m->cfg.span_max_us = 1000u;
  m->now_us = now_us;
  update_uwh_per_pulse(m);
  sel_enter(m, MODE_V, now_us);
}

void bl0937_set_energy_uwh(bl0937_t *m, uint64_t total_uwh) {
  fold_energy(m);
  m->energy_uwh = total_uwh;
  m->energy_frac = 0;
}

uint64_t bl0937_energy_uwh(const bl0937_t *m) { return m->energy_uwh; }

void bl0937_set_gains(bl0937_t *m, const bl0937_gains_t *g) {
  fold_energy(m);
  m->cfg.gains = *g;
  update_uwh_per_pulse(m);
}

void bl0937_get_gains(const bl0937_t *m, bl0937_gains_t *g) { *g = m->cfg.gains; }

/* ---- CF: power window ------------------------------------------------------------------------------------ */

static void cf_commit(bl0937_t *m, uint64_t t, uint32_t missing) {
  m->pulses += missing + 1u;
  m->idx += missing + 1u;
  m->last_t = t;
}

/* A real edge that starts a new span (after a load step). */
static void cf_restart(bl0937_t *m, uint64_t t) {
  cf_commit(m, t, 0);
  m->anchor.t_us = t;
  m->anchor.idx = m->idx;
  m->cp_count = 0;
}

static bool cf_period_us(const bl0937_t *m, float *p) {
  uint32_t n = m->idx - m->anchor.idx;
  if (n == 0 || m->last_t <= m->anchor.t_us) return false;
  *p = (float)span32(m->anchor.t_us, m->last_t) / (float)n;
  return true;
}

/* How far (µs) an interval may be from the period p and still be committed at once, for an edge at t. Never
 * wider than "one period" (TOL_*) nor than what the tick's step test would call a step for a single
 * interval (STEP_*), so an edge the step test would act on has always been through cf_resolve first. */
static float commit_tol_us(const bl0937_t *m, float p, uint64_t t) {
  float one = TOL_REL * p + TOL_ABS_US, step = STEP_REL * p + STEP_ABS_US;
  float lim = one < step ? one : step;
  float bias = BIAS_REL * (float)span32(m->anchor.t_us, t), noise = NOISE_ABS_US + NOISE_REL * p;
  float tol = bias > noise ? bias : noise;
  return tol < lim ? tol : lim;
}

/* The edge after an anomalous one decides what the anomaly was. t0 last committed, t1 pending, t2 new; x1, x2
 * the two intervals in periods. A steady train puts t2 on the old grid (t0→t2 ≈ k periods) right after t1:
 *  - t1 late (latched through an interrupt blackout, or delayed) or lost edges before it: x1 > 1, x2 ≤ 1,
 *    and x1 − x2 > the single-interval tolerance. A load that dropped by f gives x1 < f = x2 instead, so
 *    the test cannot take a step down for a steady train, however coarse the timing (30 A, 20 µs jitter).
 *    t1 itself is not used as a span end (its time is wrong); the k pulses are counted.
 *  - t1 early with t1→t2 completing one period: t1 may be a spurious edge, or the first edge of a load that
 *    doubled, and only the interval after t2 can tell (cf_resolve3).
 * Anything else is a load step: t1 is the first edge at the new rate. */
static void cf_resolve(bl0937_t *m, uint64_t t2, float p) {
  uint64_t t1 = m->cf_pending_t[0];
  float x1 = (float)span32(m->last_t, t1) / p, x2 = (float)span32(t1, t2) / p;
  float one = TOL_REL + TOL_ABS_US / p;
  float tolc = commit_tol_us(m, p, t1) / p;
  float tolp = 2.0f * tolc < one ? 2.0f * tolc : one; /* the pair t0→t2: two ends' worth of timing */
  if (tolp > 0.45f) tolp = 0.45f;                      /* k must stay unambiguous */
  uint32_t k = 0, k1 = 0;
  bool on_grid = near_int(x1 + x2, tolp, &k);
  if (x1 > 1.0f && x1 - x2 > tolc && on_grid && k >= 2u && k <= REPAIR_MAX) {
    m->repaired += k - 2u + (x2 > 1.0f - tolc ? 1u : 0u); /* lost edges; a late edge is not "repaired" */
    cf_commit(m, t2, k - 1u);
  } else if (x1 < 1.0f && on_grid && k == 1u) {
    m->cf_pending_t[1] = t2;
    m->cf_pending = 2;
    return;
  } else if (x1 > 1.0f && ((near_int(x1, tolp, &k1) && k1 >= 2u && k1 <= REPAIR_MAX) ||
                             (on_grid && k >= 2u && k <= REPAIR_MAX))) {
    /* t1 on the grid after lost edges and t2 anomalous too (another lost, late or stray edge), or t1 late
     * and t2 on the grid after a lost edge: t3 decides (cf_resolve_grid). A load that dropped right after
     * t0 looks the same until then. */
    m->cf_pending_t[1] = t2;
    m->cf_pending = 3;
    return;
  } else if (x1 < 1.0f) {
    /* t1 early and not completed to a period by t2: a stray edge followed by a late one, or a faster load.
     * t3 decides (cf_resolve_early). */
    m->cf_pending_t[1] = t2;
    m->cf_pending = 4;
    return;
  } else {
    cf_restart(m, t1); /* a load step: t1 is the first edge at the new rate */
    cf_commit(m, t2, 0);
  }
  m->cf_pending = 0;
}

static void cf_run_edge(bl0937_t *m, uint64_t t);

/* t0, t1 after a gap (x1 > 1), t2 anomalous, t3 new. The train continues if either
 *  - t1 is on the grid and (t1, t2, t3) is a late/lost pattern from t1 on, or t2 a stray edge that t3
 *    completes to one period (and t2→t3 does not repeat t1→t2, which would be a faster load); or
 *  - t2 is on the grid (t1 was late, an edge after it lost) and t3 follows it one period later.
 * Otherwise the load stepped at t1. */
static void cf_resolve_grid(bl0937_t *m, uint64_t t3, float p) {
  uint64_t t1 = m->cf_pending_t[0], t2 = m->cf_pending_t[1];
  float x1 = (float)span32(m->last_t, t1) / p, y2 = (float)span32(t1, t2) / p, y3 = (float)span32(t2, t3) / p;
  float one = TOL_REL + TOL_ABS_US / p, tolc = commit_tol_us(m, p, t1) / p;
  float tolp = 2.0f * tolc < one ? 2.0f * tolc : one;
  if (tolp > 0.45f) tolp = 0.45f;
  uint32_t k1 = 0, k = 0, k2 = 0, one_k = 0;
  m->cf_pending = 0;
  bool t1_grid = near_int(x1, tolp, &k1) && k1 >= 2u && k1 <= REPAIR_MAX;
  if (t1_grid && y2 > 1.0f && y2 - y3 > tolc && near_int(y2 + y3, tolp, &k) && k >= 2u && k <= REPAIR_MAX) {
    m->repaired += k1 - 1u + k - 2u + (y3 > 1.0f - tolc ? 1u : 0u);
    cf_commit(m, t1, k1 - 1u);
    cf_commit(m, t3, k - 1u);
    return;
  }
  if (t1_grid && y2 < 1.0f && near_int(y2 + y3, tolp, &one_k) && one_k == 1u &&
      !(absf(y3 - 1.0f) > one && absf(y3 - y2) <= tolp)) {
    m->repaired += k1 - 1u;
    m->spurious++;
    cf_commit(m, t1, k1 - 1u);
    cf_commit(m, t3, 0);
    return;
  }
  if (near_int(x1 + y2, tolp, &k2) && k2 >= 2u && k2 <= REPAIR_MAX && absf(y3 - 1.0f) <= tolc) {
    m->repaired += k2 - 2u;
    cf_commit(m, t2, k2 - 1u);
    cf_commit(m, t3, 0);
    return;
  }
  cf_restart(m, t1);
  cf_commit(m, t2, 0);
  cf_run_edge(m, t3);
}

/* t0, t1 early, t2 not completing t1's period, t3 new: if t3 is back on the old grid right after t2, t1
 * was a stray edge and t2 a late one (latched through a blackout); the k pulses from t0 to t3 are counted.
 * A faster load puts t3 one new period after t2 instead: off the grid, or (at coarse timing) on it with
 * the right count, and the tick's step test sees the new rate. */
static void cf_resolve_early(bl0937_t *m, uint64_t t3, float p) {
  uint64_t t1 = m->cf_pending_t[0], t2 = m->cf_pending_t[1];
  float one = TOL_REL + TOL_ABS_US / p, tolc = commit_tol_us(m, p, t1) / p;
  float tolp = 2.0f * tolc < one ? 2.0f * tolc : one;
  if (tolp > 0.45f) tolp = 0.45f;
  float s3 = (float)span32(m->last_t, t3) / p, y3 = (float)span32(t2, t3) / p;
  uint32_t k = 0;
  m->cf_pending = 0;
  if (near_int(s3, tolp, &k) && k >= 2u && k <= REPAIR_MAX && y3 <= 1.0f + tolc) {
    m->spurious++;
    cf_commit(m, t3, k - 1u);
    return;
  }
  cf_restart(m, t1);
  cf_commit(m, t2, 0);
  cf_run_edge(m, t3);
}

/* t0, t1, t2 with t1 + t2 one period: t1 was the first edge of a faster load only if t2→t3 repeats t1→t2
 * (the new rate). Otherwise t1 was spurious and t2 is on the old grid; t3 then goes through the usual
 * checks against it (a late or lost edge right after a stray one is still recognised). */
static void cf_resolve3(bl0937_t *m, uint64_t t3, float p) {
  uint64_t t1 = m->cf_pending_t[0], t2 = m->cf_pending_t[1];
  float one = TOL_REL + TOL_ABS_US / p, tolc = commit_tol_us(m, p, t1) / p;
  float tolp = 2.0f * tolc < one ? 2.0f * tolc : one; /* two edges' timing: tight where timing is fine */
  float y = (float)span32(t2, t3) / p, x2 = (float)span32(t1, t2) / p;
  m->cf_pending = 0;
  if (absf(y - 1.0f) > one && absf(y - x2) <= tolp) {
    cf_restart(m, t1);
    cf_commit(m, t2, 0);
  } else {
    m->spurious++;
    cf_commit(m, t2, 0);
  }
  cf_run_edge(m, t3);
}

static void cf_edge(bl0937_t *m, uint64_t t) {
  if (m->cf_have_raw && (int64_t)(t - m->cf_raw_last) < (int64_t)m->cfg.glitch_us) {
    m->glitches++;
    return;
  }
  m->cf_have_raw = true;
  m->cf_raw_last = t;

  if (m->cf_state == CF_IDLE) { /* a lone edge counts only once a neighbour confirms it (anti-creep) */
    m->cf_state = CF_LONE;
    m->last_t = t;
    m->anchor.t_us = t;
    m->anchor.idx = m->idx;
    m->cp_count = 0;
    return;
  }
  if (m->cf_state == CF_LONE) {
    if (t - m->last_t <= creep_window_us(m)) {
      m->pulses++; /* the lone edge, now confirmed */
      cf_commit(m, t, 0);
      m->cf_state = CF_RUN;
    } else {
      m->creep_dropped++;
      m->last_t = t;
      m->anchor.t_us = t;
    }
    return;
  }
  cf_run_edge(m, t);
}

static void cf_run_edge(bl0937_t *m, uint64_t t) {
  if (m->cf_missing) { /* ring overflow: the missing edges lie in this interval */
    uint32_t extra = m->cf_missing, k = 0;
    float p0;
    /* Edges lost or collapsed by a blackout inside the overflow are not in the ISR's count: the period says
     * how many there were, if the gap is a whole number of them and not fewer than the ISR counted. */
    if (cf_period_us(m, &p0) && near_int((float)span32(m->last_t, t) / p0, 0.3f, &k) && k >= extra + 1u &&
        k <= extra + 1u + REPAIR_MAX) {
      m->repaired += k - 1u - extra;
      extra = k - 1u;
    }
    cf_commit(m, t, extra);
    m->cf_missing = 0;
    return;
  }
  float p;
  bool have_p = cf_period_us(m, &p);
  if (m->cf_pending == 4 && have_p) {
    cf_resolve_early(m, t, p);
    return;
  }
  if (m->cf_pending == 3 && have_p) {
    cf_resolve_grid(m, t, p);
    return;
  }
  if (m->cf_pending == 2 && have_p) {
    cf_resolve3(m, t, p);
    return;
  }
  if (m->cf_pending == 1 && have_p) {
    cf_resolve(m, t, p);
    return;
  }
  if (have_p) { /* also with one interval in the span: below ~3 W that is every span */
    float d = (float)span32(m->last_t, t);
    if (absf(d - p) > commit_tol_us(m, p, t)) {
      m->cf_pending = 1;
      m->cf_pending_t[0] = t;
      return;
    }
  }
  cf_commit(m, t, 0);
}

static void cf_go_idle(bl0937_t *m) {
  m->cf_state = CF_IDLE;
  m->cf_pending = 0;
  m->cp_count = 0;
  m->prov_p_w = 0.0f;
}

void bl0937_set_load_connected(bl0937_t *m, bool connected) {
  if (connected && !m->load_connected) {
    /* A pending edge is still resolved as usual (its pulse counts); a running span only holds committed edges,
     * so dropping it loses no energy. */
    if (!m->cf_pending) cf_go_idle(m);
    m->fresh_until_us = m->now_us + creep_window_us(m);
  }
  m->load_connected = connected;
}

/* Candidate span starts, one per ~span_max/32, so the span can slide without storing every edge. */
static void cf_marks(bl0937_t *m) {
  while (m->cp_count && m->cp[m->cp_first].t_us <= m->anchor.t_us) {
    m->cp_first = (m->cp_first + 1u) % BL0937_CP_LEN;
    m->cp_count--;
  }
  if (m->last_t > m->anchor.t_us) {
    uint64_t newest = m->cp_count ? m->cp[(m->cp_first + m->cp_count - 1u) % BL0937_CP_LEN].t_us : m->anchor.t_us;
    if (m->last_t - newest >= m->cfg.span_max_us / 32u) {
      if (m->cp_count == BL0937_CP_LEN) {
        m->anchor = m->cp[m->cp_first];
        m->cp_first = (m->cp_first + 1u) % BL0937_CP_LEN;
        m->cp_count--;
      }
      bl0937_mark_t *c = &m->cp[(m->cp_first + m->cp_count) % BL0937_CP_LEN];
      c->t_us = m->last_t;
      c->idx = m->idx;
      m->cp_count++;
    }
  }
  while (m->last_t - m->anchor.t_us > m->cfg.span_max_us && m->cp_count &&
         m->cp[m->cp_first].idx != m->idx) {
    m->anchor = m->cp[m->cp_first];
    m->cp_first = (m->cp_first + 1u) % BL0937_CP_LEN;
    m->cp_count--;
  }
}

static float cf_power(bl0937_t *m, uint64_t now, uint8_t *flags) {
  uint64_t creep = creep_window_us(m);
  if (m->cf_pending && now > m->cf_raw_last && now - m->cf_raw_last > creep) {
    uint64_t t1 = m->cf_pending_t[0];
    if (m->cf_pending >= 2) { /* nothing followed: take t1, t2 as the start of a new load */
      m->cf_pending = 0;
      cf_restart(m, t1);
      cf_commit(m, m->cf_pending_t[1], 0);
    } else { /* nothing followed it: it starts over as a lone edge */
      m->cf_pending = 0;
      m->cf_state = CF_LONE;
      m->last_t = t1;
      m->anchor.t_us = t1;
      m->anchor.idx = m->idx;
      m->cp_count = 0;
    }
  }
  if (m->cf_state == CF_LONE && now > m->last_t && now - m->last_t > creep) {
    m->creep_dropped++;
    cf_go_idle(m);
  }
  if (m->cf_state != CF_RUN) {
    /* one edge (maybe a load starting), or a load connected too recently to have shown its first edge */
    if (m->cf_state == CF_LONE || now < m->fresh_until_us) *flags |= BL0937_P_SETTLING;
    m->p_hz = 0.0f;
    return 0.0f;
  }
  float j = m->cfg.gains.p_w_per_hz;
  uint32_t n = m->idx - m->anchor.idx;
  float p, period_us;
  if (n && m->last_t > m->anchor.t_us) {
    float span = (float)span32(m->anchor.t_us, m->last_t);
    m->p_hz = (float)n * 1e6f / span;
    p = j * m->p_hz;
    period_us = span / (float)n;
  } else {
    m->p_hz = 0.0f; /* provisional only: not a measurement to calibrate against */
    p = m->prov_p_w;
    period_us = p > 0.0f ? j * 1e6f / p : 1e9f;
  }
  /* since any edge, pending too, or since the ISR ring last overflowed (edges were still coming then) */
  uint64_t alive = m->cf_raw_last > m->cf_alive_us ? m->cf_raw_last : m->cf_alive_us;
  uint64_t elapsed = now > alive ? now - alive : 0;
  if (elapsed > creep && !m->cf_pending) {
    cf_go_idle(m);
    m->p_hz = 0.0f;
    return 0.0f;
  }
  /* An overdue edge bounds the power from above: had the load stayed ≥ P, it would have arrived. Not before
   * a lost edge or a blackout-latched one can explain the wait (GRACE_*). */
  float grace = period_us * GRACE_PERIODS;
  if (grace < period_us + GRACE_ABS_US) grace = period_us + GRACE_ABS_US;
  if ((float)span32(0, elapsed) > grace) {
    float bound = j * 1e6f / (float)span32(0, elapsed);
    if (bound < p) {
      p = bound;
      *flags |= BL0937_P_SETTLING;
    }
  }
  if (m->cf_pending || n == 0) *flags |= BL0937_P_SETTLING;
  if (p < m->cfg.p_zero_w) p = 0.0f;
  if (p > m->cfg.p_max_w) {
    *flags |= BL0937_P_OVERRANGE;
    m->overrange++;
    p = m->p_w;
  }
  return p;
}

static void cf_process(bl0937_t *m, uint64_t now) {
  bl0937_ring_t *r = &m->ring[0];
  uint32_t h = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
  uint32_t tail = r->tail;
  uint64_t pre_last = m->last_t;
  uint32_t pre_idx = m->idx, pre_n = m->idx - m->anchor.idx;
  uint64_t pre_anchor_t = m->anchor.t_us;
  bool pre_run = m->cf_state == CF_RUN && !m->cf_pending;

  while (tail != h) {
    cf_edge(m, extend(now, r->t_us[tail & RING_MASK]));
    tail++;
  }
  __atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
  uint32_t dropped = r->dropped;
  if (dropped != m->dropped_seen[0]) { /* real pulses we have no time for: energy now, span next edge */
    uint32_t d = dropped - m->dropped_seen[0];
    m->dropped_seen[0] = dropped;
    if (m->cf_state == CF_RUN) m->cf_missing += d;
    m->cf_alive_us = now; /* the newest edges are the dropped ones: no overdue edge to bound P with */
  }

  /* Load step smaller than one edge can show: this tick's edges against the span before them. */
  if (pre_run && pre_n >= 2u && m->cf_state == CF_RUN && m->anchor.t_us == pre_anchor_t &&
      m->idx > pre_idx && m->last_t > pre_last && !m->cf_pending) {
    float span_new = (float)span32(pre_last, m->last_t);
    float p_new = span_new / (float)(m->idx - pre_idx);
    float p_win = (float)span32(pre_anchor_t, pre_last) / (float)pre_n;
    if (absf(p_new / p_win - 1.0f) > STEP_REL + STEP_ABS_US / span_new) {
      m->anchor.t_us = m->last_t;
      m->anchor.idx = m->idx;
      m->cp_count = 0;
      m->prov_p_w = m->cfg.gains.p_w_per_hz * 1e6f / p_new;
    }
  }
  if (m->cf_state == CF_RUN) cf_marks(m);
}

/* ---- CF1: SEL scheduler ------------------------------------------------------------------------------------ */

static void seg_start(bl0937_t *m, uint64_t t) {
  m->seg_b.t0_us = t;
  m->seg_b.t1_us = t;
  m->seg_b.n = 0;
  m->seg_s1 = 0.0f;
  m->seg_s2 = 0.0f;
}

static void cf1_edge(bl0937_t *m, uint64_t t) {
  if ((int64_t)(t - m->mode_start_us) < (int64_t)m->cfg.sel_settle_us) return;
  if (!m->cf1_have_last) { /* the first edge after the settle time only opens the span */
    m->cf1_have_last = true;
    m->cf1_last = t;
    seg_start(m, t);
    return;
  }
  if ((int64_t)(t - m->cf1_last) < (int64_t)m->cfg.glitch_us) {
    m->glitches++;
    return;
  }
  float d = (float)span32(m->cf1_last, t);
  m->cf1_last = t;
  if (m->seg_b.n) { /* successive differences: a settling trend does not inflate the noise estimate */
    float dd = d - m->seg_prev_d;
    m->seg_s2 += dd * dd;
  }
  m->seg_prev_d = d;
  m->seg_b.t1_us = t;
  m->seg_b.n++;
  m->seg_s1 += d;
}

/* Relative variance of a segment's mean period. Timestamp noise enters once per end, so
 * σ(mean) ≈ σ(single period)/n, measured from the period-to-period scatter (it includes ripple) once
 * there are enough periods; with few periods, a fixed 60 µs per end for ISR latency spread. */
static float seg_rel_var(const bl0937_t *m) {
  float n = (float)m->seg_b.n, mean = m->seg_s1 / n;
  if (m->seg_b.n >= 8u) { /* enough periods to measure the noise: mean square successive difference / 2 */
    float var = m->seg_s2 / (2.0f * (n - 1.0f));
    return var / (mean * mean) / (n * n);
  }
  float timing = SEG_EDGE_NOISE_US / (mean * n); /* few periods: assume the ISR timing budget */
  return timing * timing;
}

static void publish(bl0937_t *m, uint64_t now, float hz) {
  if (m->mode == MODE_V) {
    m->v_hz = hz;
    m->v = hz * m->cfg.gains.v_per_hz;
    m->v_time = now ? now : 1;
  } else {
    m->i_hz = hz;
    m->i = hz * m->cfg.gains.a_per_hz;
    m->i_time = now ? now : 1;
  }
}

static void cf1_schedule(bl0937_t *m, uint64_t now, bool load_on) {
  bool is_v = m->mode == MODE_V;
  uint32_t seg_len = is_v ? m->cfg.v_segment_us : m->cfg.i_segment_us;
  bool done = false;
  uint32_t min_n = is_v ? 2u : 1u; /* slow current trains: one period is already ms-exact */
  if (m->cf1_have_last && m->seg_b.n >= min_n && m->seg_b.t1_us - m->seg_b.t0_us >= seg_len) {
    float rel_b = seg_rel_var(m);
    if (m->seg_a.n == 0) {
      m->seg_a = m->seg_b;
      m->seg_a_rel = rel_b;
    } else {
      float pa = (float)span32(m->seg_a.t0_us, m->seg_a.t1_us) / (float)m->seg_a.n;
      float pb = (float)span32(m->seg_b.t0_us, m->seg_b.t1_us) / (float)m->seg_b.n;
      float dev = pb / pa - 1.0f;
      float tol2 = 18.0f * (rel_b > m->seg_a_rel ? rel_b : m->seg_a_rel); /* (3σ·√2)² */
      if (tol2 < SEG_TOL_MIN * SEG_TOL_MIN) tol2 = SEG_TOL_MIN * SEG_TOL_MIN;
      if (dev * dev <= tol2) {
        float span = (float)span32(m->seg_a.t0_us, m->seg_b.t1_us);
        publish(m, now, (float)(m->seg_a.n + m->seg_b.n) * 1e6f / span);
        done = true;
      }
      m->seg_a = m->seg_b; /* agreed or still settling: the older half is dropped */
      m->seg_a_rel = rel_b;
    }
    seg_start(m, m->seg_b.t1_us);
  }
  uint64_t in_mode = now > m->mode_start_us ? now - m->mode_start_us : 0;
  if (is_v) {
    /* Voltage is the default mode: it refreshes every segment once settled. Current is measured when the
     * load changed since the last current reading, or when that reading is getting old. */
    bool i_due = load_on && (!m->i_time || now - m->i_time > m->cfg.i_refresh_us ||
                             absf(m->p_w - m->p_at_i) > 0.03f * m->p_at_i);
    if ((done || in_mode > m->cfg.v_max_us) && i_due) sel_enter(m, MODE_I, now);
  } else {
    if (done) m->p_at_i = m->p_w;
    if (done || !load_on) {
      sel_enter(m, MODE_V, now);
    } else if (in_mode > m->cfg.i_max_us) {
      if (!m->cf1_have_last) {
        publish(m, now, 0.0f); /* not one edge: below the chip's current floor */
      } else if (m->seg_a.n) { /* never settled within the cap: the newest segment is the best there is */
        publish(m, now, (float)m->seg_a.n * 1e6f / (float)span32(m->seg_a.t0_us, m->seg_a.t1_us));
      }
      m->p_at_i = m->p_w;
      sel_enter(m, MODE_V, now);
    }
  }
}

static void cf1_process(bl0937_t *m, uint64_t now) {
  bl0937_ring_t *r = &m->ring[1];
  uint32_t h = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
  uint32_t tail = r->tail;
  while (tail != h) {
    cf1_edge(m, extend(now, r->t_us[tail & RING_MASK]));
    tail++;
  }
  __atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
  uint32_t dropped = r->dropped;
  if (dropped != m->dropped_seen[1]) { /* a hole in the CF1 train: restart the segments */
    m->dropped_seen[1] = dropped;
    m->cf1_have_last = false;
    m->seg_a.n = 0;
  }
}

/* ---- tick ------------------------------------------------------------------------------------------------- */

bool bl0937_tick(bl0937_t *m, uint64_t now_us, bl0937_reading_t *out) {
  m->now_us = now_us;
  uint8_t flags = 0;
  cf_process(m, now_us);
  uint64_t now_eff = now_us > m->cf_raw_last ? now_us : m->cf_raw_last;
  m->p_w = cf_power(m, now_eff, &flags);
  fold_energy(m);

  cf1_process(m, now_us);
  cf1_schedule(m, now_us, m->p_w > 0.0f);

  if (m->v_time) {
    flags |= BL0937_V_VALID;
    if (now_us - m->v_time > m->cfg.stale_us) flags |= BL0937_V_STALE;
  }
  if (m->i_time) {
    flags |= BL0937_I_VALID;
    if (now_us - m->i_time > m->cfg.stale_us && m->p_w > 0.0f) flags |= BL0937_I_STALE;
  }
  bool sel = (m->mode == MODE_V) == m->cfg.sel_high_is_voltage;
  if (out) {
    out->power_w = m->p_w;
    out->voltage_v = m->v;
    out->current_a = m->p_w > 0.0f ? m->i : 0.0f;
    out->energy_uwh = m->energy_uwh;
    out->pulses = m->pulses;
    out->sel_level = sel;
    out->flags = flags;
    out->load_connected = m->load_connected;
  }
  return sel;
}

void bl0937_get_stats(const bl0937_t *m, bl0937_stats_t *out) {
  out->glitches = m->glitches;
  out->spurious = m->spurious;
  out->repaired = m->repaired;
  out->creep_dropped = m->creep_dropped;
  out->overrange = m->overrange;
  out->ring_dropped = m->ring[0].dropped + m->ring[1].dropped;
}

bool bl0937_calibrate(bl0937_t *m, bl0937_quantity_t q, float true_value) {
  if (!(true_value > 0.0f)) return false;
  bl0937_gains_t g = m->cfg.gains;
  switch (q) {
    case BL0937_POWER:
      if (m->cf_state != CF_RUN || !(m->p_hz > 0.0f)) return false;
      g.p_w_per_hz = true_value / m->p_hz;
      break;
    case BL0937_VOLTAGE:
      if (!m->v_time || m->now_us - m->v_time > m->cfg.stale_us || !(m->v_hz > 0.0f)) return false;
      g.v_per_hz = true_value / m->v_hz;
      m->v = true_value;
      break;
    case BL0937_CURRENT:
      if (!m->i_time || m->now_us - m->i_time > m->cfg.stale_us || !(m->i_hz > 0.0f)) return false;
      g.a_per_hz = true_value / m->i_hz;
      m->i = true_value;
      break;
    default:
      return false;
  }
  bl0937_set_gains(m, &g);
  return true;
}
