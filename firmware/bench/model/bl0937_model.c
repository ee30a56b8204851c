/* BL0937 chip model: integrate-and-fire CF and CF1 with ripple, anti-creep, SEL settle lag. */
#include "bl0937_model.h"

#include <string.h>

/* Ripple is integrated exactly per 250 µs cell (40 cells per 100 Hz cycle); within a cell the rate is
 * constant, so an edge time is one division. Fine enough: a cell is < 1/1000 of the slowest settle. */
#define CELL_NS 250000u
#define TWO_PI 6.283185307179586

/* ---- deterministic maths (no libm: glibc and picolibc round differently) ------------------------ */

static double floor_pos(double x) { /* x ≥ 0, < 2^63 */
  return (double)(uint64_t)x;
}

/* cos on any argument: reduce to [-π, π], Taylor for cos(x/4), then two double-angle steps. */
static double det_cos(double x) {
  double k = x / TWO_PI;
  double n = k >= 0 ? floor_pos(k + 0.5) : -floor_pos(-k + 0.5);
  double y = (x - n * TWO_PI) * 0.25;
  static const double inv[10] = {0, 1.0 / 2, 1.0 / 12, 1.0 / 30, 1.0 / 56, 1.0 / 90,
                                  1.0 / 132, 1.0 / 182, 1.0 / 240, 1.0 / 306}; /* 1/((2i−1)·2i) */
  double y2 = y * y, term = 1.0, sum = 1.0;
  for (int i = 1; i <= 9; i++) {
    term = -term * y2 * inv[i];
    sum += term;
  }
  double c2 = 2.0 * sum * sum - 1.0;
  return 2.0 * c2 * c2 - 1.0;
}

/* exp(-u) for u ≥ 0: Taylor at u/256, then square 8 times. */
static double det_exp_neg(double u) {
  if (u > 700.0) return 0.0;
  double y = -u / 256.0, term = 1.0, sum = 1.0;
  for (int i = 1; i <= 12; i++) {
    term = term * y / (double)i;
    sum += term;
  }
  for (int i = 0; i < 8; i++) sum *= sum;
  return sum;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t bl0937_rng_next(uint64_t s[4]) {
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

void bl0937_rng_seed(uint64_t s[4], uint64_t seed) {
  for (int i = 0; i < 4; i++) {
    uint64_t z = (seed += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    s[i] = z ^ (z >> 31);
  }
}

double bl0937_rng_uniform(uint64_t s[4]) { return (double)(bl0937_rng_next(s) >> 11) * (1.0 / 9007199254740992.0); }

double bl0937_rng_normal(uint64_t s[4]) {
  double sum = 0.0;
  for (int i = 0; i < 12; i++) sum += bl0937_rng_uniform(s);
  return sum - 6.0;
}

static double cell_gain_at(const bl0937_model_t *m, uint64_t start);
static void schedule_spurious(bl0937_model_t *m, uint64_t from);

/* ---- model ---------------------------------------------------------------------------------------- */

void bl0937_model_default_params(bl0937_model_params_t *p) {
  memset(p, 0, sizeof *p);
  p->cf_hz_per_w = 0.5858;
  p->cf1_hz_per_v = 6.381;
  p->cf1_hz_per_a = 77.70;
  p->ripple = 0.002;
  p->ripple_phase = 0.7;
  p->mains_hz = 50.0;
  p->creep_w = 0.4;
  p->i_min_a = 0.004;
  p->sel_tau_ns = 100000000u;
  p->sel_high_is_voltage = true;
}

void bl0937_model_init(bl0937_model_t *m, const bl0937_model_params_t *p, uint64_t seed, uint64_t t0_ns) {
  memset(m, 0, sizeof *m);
  m->p = *p;
  bl0937_rng_seed(m->rng, seed);
  m->now_ns = t0_ns;
  m->pf = 1.0;
  bl0937_rng_seed(m->rng1, seed ^ 0xC0FFEEull);
  m->acc[0] = bl0937_rng_uniform(m->rng);
  m->acc[1] = bl0937_rng_uniform(m->rng1);
  m->acc_t[0] = m->acc_t[1] = t0_ns;
  m->cell_start_ns = UINT64_MAX;
  /* When the ripple period is a whole number of cells (50 Hz: 40), the cell gains repeat: tabulate. */
  double period_ns = m->p.mains_hz > 0.0 ? 1e9 / (2.0 * m->p.mains_hz) : 0.0;
  uint64_t cells = (uint64_t)(period_ns / CELL_NS);
  if (cells && cells <= BL0937_MODEL_TABLE && (double)(cells * CELL_NS) == period_ns) {
    m->table_len = (uint32_t)cells;
    for (uint32_t i = 0; i < m->table_len; i++) m->table[i] = cell_gain_at(m, (uint64_t)i * CELL_NS);
  }
  schedule_spurious(m, t0_ns);
}

static double current_a(const bl0937_model_t *m) {
  return (m->v_v > 0.0 && m->pf > 0.0) ? m->p_w / (m->v_v * m->pf) : 0.0;
}

static double cf_hz(const bl0937_model_t *m) {
  if (m->p.overcurrent && current_a(m) > 30.0) return 6700.0;
  return m->p_w >= m->p.creep_w ? m->p_w * m->p.cf_hz_per_w : 0.0;
}

static double cf1_target_hz(const bl0937_model_t *m) {
  if (m->sel == m->p.sel_high_is_voltage) return m->v_v * m->p.cf1_hz_per_v;
  double i = current_a(m);
  return i >= m->p.i_min_a ? i * m->p.cf1_hz_per_a : 0.0;
}

static double cf1_hz(const bl0937_model_t *m, uint64_t t_ns) {
  double target = cf1_target_hz(m);
  if (m->p.sel_tau_ns == 0 || m->sel_change_ns == 0) return target;
  uint64_t dt = t_ns - m->sel_change_ns;
  if (dt >= 40 * m->p.sel_tau_ns) return target;
  return target + (m->cf1_from - target) * det_exp_neg((double)dt / (double)m->p.sel_tau_ns);
}

/* Mean of 1 + r·sin(ωt + φ) over the cell [start, start + CELL_NS). */
static double cell_gain_at(const bl0937_model_t *m, uint64_t start) {
  double r = m->p.ripple;
  if (r == 0.0) return 1.0;
  double f2 = 2.0 * m->p.mains_hz;
  double ca = (double)start * 1e-9 * f2, cb = (double)(start + CELL_NS) * 1e-9 * f2;
  double base = floor_pos(ca); /* keep the cos argument small for precision */
  ca -= base;
  cb -= base;
  double a = TWO_PI * ca + m->p.ripple_phase, b = TWO_PI * cb + m->p.ripple_phase;
  return 1.0 + r * (det_cos(a) - det_cos(b)) / (b - a);
}

static double cell_gain(bl0937_model_t *m, uint64_t t_ns) {
  uint64_t start = t_ns - t_ns % CELL_NS;
  if (start == m->cell_start_ns) return m->cell_gain;
  m->cell_start_ns = start;
  if (m->table_len) return m->cell_gain = m->table[(start / CELL_NS) % m->table_len];
  return m->cell_gain = cell_gain_at(m, start);
}
static uint64_t ns_until_edge(double acc, double rate_per_ns) {
  if (rate_per_ns <= 0.0) return UINT64_MAX;
  double need = 1.0 - acc;
  if (need <= 0.0) return 0;
  double dt = need / rate_per_ns;
  if (dt > 1.8e18) return UINT64_MAX;
  uint64_t n = (uint64_t)dt;
  if ((double)n < dt) n++;
  return n;
}

/* Edges per ns of a channel on the stretch that starts at t. It is constant until the next cell
 * boundary, load change or (CF1) SEL change, and each channel is integrated only at those points and
 * at its own edges: so CF never depends on CF1, on SEL, or on where the caller's time limits fall. */
static double rate_per_ns(bl0937_model_t *m, int ch, uint64_t t) {
  double g = cell_gain(m, t);
  if (ch == 0) return cf_hz(m) * g * 1e-9;
  uint64_t cell = t - t % CELL_NS;
  return cf1_hz(m, cell > m->sel_change_ns ? cell : m->sel_change_ns) * g * 1e-9;
}

static void sync_channel(bl0937_model_t *m, int ch, uint64_t t) {
  if (t > m->acc_t[ch]) m->acc[ch] += rate_per_ns(m, ch, m->acc_t[ch]) * (double)(t - m->acc_t[ch]);
  m->acc_t[ch] = t;
}

static void schedule_spurious(bl0937_model_t *m, uint64_t from) {
  if (m->p.spurious_every_ns && cf_hz(m) <= 0.0) {
    if (!m->next_spurious_ns)
      m->next_spurious_ns = from + 1 + (uint64_t)((0.5 + bl0937_rng_uniform(m->rng)) * (double)m->p.spurious_every_ns);
  } else {
    m->next_spurious_ns = 0;
  }
}

void bl0937_model_set_load(bl0937_model_t *m, double power_w, double voltage_v, double power_factor) {
  sync_channel(m, 0, m->now_ns);
  sync_channel(m, 1, m->now_ns);
  m->p_w = power_w > 0.0 ? power_w : 0.0;
  m->v_v = voltage_v > 0.0 ? voltage_v : 0.0;
  m->pf = (power_factor > 0.0 && power_factor <= 1.0) ? power_factor : 1.0;
  schedule_spurious(m, m->now_ns);
}

void bl0937_model_set_sel(bl0937_model_t *m, bool level) {
  if (level == m->sel) return;
  sync_channel(m, 1, m->now_ns);
  m->cf1_from = cf1_hz(m, m->now_ns);
  m->sel = level;
  m->sel_change_ns = m->now_ns ? m->now_ns : 1; /* 0 means "never changed" */
}

static void emit(bl0937_model_t *m, bl0937_channel_t ch, uint64_t t, uint64_t t_limit_ns, bl0937_edge_t *out) {
  if (m->p.phase_noise_ns) {
    double n = bl0937_rng_normal(ch == BL0937_CH_CF ? m->rng : m->rng1) * (double)m->p.phase_noise_ns;
    if (n >= 0.0) {
      t += (uint64_t)n;
    } else {
      uint64_t d = (uint64_t)(-n);
      t = d < t ? t - d : 0;
    }
    if (t > t_limit_ns) t = t_limit_ns;
  }
  if (m->emitted[ch] && t <= m->last_edge_ns[ch]) t = m->last_edge_ns[ch] + 1;
  m->last_edge_ns[ch] = t;
  m->emitted[ch]++;
  out->ch = ch;
  out->t_ns = t;
}

bool bl0937_model_next_edge(bl0937_model_t *m, uint64_t t_limit_ns, bl0937_edge_t *out) {
  while (m->now_ns < t_limit_ns) {
    uint64_t now = m->now_ns;
    uint64_t cell_start = now - now % CELL_NS, cell_end = cell_start + CELL_NS;
    for (int ch = 0; ch < 2; ch++) /* each channel integrates up to every cell boundary it crosses */
      if (m->acc_t[ch] < cell_start) sync_channel(m, ch, cell_start);
    uint64_t seg_end = cell_end < t_limit_ns ? cell_end : t_limit_ns;
    double r[2];
    uint64_t e[2];
    for (int ch = 0; ch < 2; ch++) {
      r[ch] = rate_per_ns(m, ch, m->acc_t[ch]);
      uint64_t d = ns_until_edge(m->acc[ch], r[ch]);
      e[ch] = d == UINT64_MAX ? UINT64_MAX : m->acc_t[ch] + d;
    }
    uint64_t es = m->next_spurious_ns ? m->next_spurious_ns : UINT64_MAX;
    if (es <= seg_end && es <= e[0] && es <= e[1]) { /* a stray CF edge while CF is silent */
      m->now_ns = es;
      m->next_spurious_ns = 0;
      schedule_spurious(m, es);
      emit(m, BL0937_CH_CF, es, t_limit_ns, out);
      return true;
    }
    int ch = e[0] <= e[1] ? 0 : 1;
    if (e[ch] <= seg_end) {
      m->acc[ch] += r[ch] * (double)(e[ch] - m->acc_t[ch]) - 1.0;
      if (m->acc[ch] < 0.0) m->acc[ch] = 0.0;
      m->acc_t[ch] = e[ch];
      m->now_ns = e[ch];
      emit(m, (bl0937_channel_t)ch, e[ch], t_limit_ns, out);
      return true;
    }
    m->now_ns = seg_end;
  }
  return false;
}

uint64_t bl0937_model_now_ns(const bl0937_model_t *m) { return m->now_ns; }

uint64_t bl0937_model_emitted(const bl0937_model_t *m, bl0937_channel_t ch) { return m->emitted[ch]; }
