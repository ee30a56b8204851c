/* obl_metering under edge faults (issue #15): one lost edge, an edge latched through an interrupt blackout,
 * a glitch pair, a stray edge — each alone, at power levels across the CF range and across the 32-bit µs
 * wrap — never moves ANY reading (every 10 ms tick, not a percentile) by more than 1 % at >= 5 W (5 % at
 * >= 1 W), and the pulse count stays exact. Edges are synthesised with exact integer periods, so the expected
 * power is known to the last digit. PORTABLE (also runs on rv32 under qemu). */
#include <string.h>

#include "metering/bl0937.h"
#include "unit.h"

#define J_PER_PULSE 1.70715 /* default gain: W per CF Hz */

typedef struct {
  uint32_t lose_every;   /* every Nth edge lost (0 = none) ... */
  uint32_t lose_second;  /* ... and, if set, also the edge 2 after it (lost, real, lost) */
  uint64_t blackout_every_ns, blackout_len_ns, blackout_phase_ns; /* interrupts masked: ≤ 1 edge latched */
  uint32_t stray_every;  /* a stray edge after every Nth edge, at stray_frac of the period ... */
  double stray_frac;
  bool stray_again;      /* ... and another one period later, at stray_frac − 5 % */
  uint32_t twin_every;   /* every Nth edge gets a twin twin_gap_ns later */
  uint64_t twin_gap_ns;
  uint64_t stray_before_blackout_ns; /* a stray edge this long before each blackout (0 = none) */
} faults_t;

static bl0937_t M;
static bl0937_reading_t R;

/* Runs `seconds` of a steady `watts` load with faults; returns the worst |relative error| of any reading
 * from `settle_s` on, and checks the pulse count. */
static double run_faulty(double watts, const faults_t *f, uint64_t clock_off_us, double seconds, double settle_s,
                         uint64_t *pulses_sent, uint64_t *pulses_counted) {
  bl0937_config_t c;
  bl0937_default_config(&c);
  bl0937_init(&M, &c, clock_off_us);
  uint64_t period = (uint64_t)(1e9 / (watts / J_PER_PULSE) + 0.5);
  double want = J_PER_PULSE * 1e9 / (double)period;
  uint64_t next = period / 3, t_ns = 0, n = 0, latched_at = 0;
  bool latched = false;
  double worst = 0;
  uint64_t stray_at = UINT64_MAX; /* the next stray edge, delivered in time order */
  uint64_t next_pre = f->stray_before_blackout_ns ? f->blackout_phase_ns - f->stray_before_blackout_ns : UINT64_MAX;
  uint64_t ticks = (uint64_t)(seconds * 100.0);
#define STAMP(ns) ((uint32_t)((ns) / 1000u + clock_off_us))
  for (uint64_t k = 0; k < ticks; k++) {
    uint64_t end = t_ns + 10000000u;
    while (next <= end || stray_at <= end) {
      if (stray_at <= next && stray_at <= end) { /* a stray edge is due before the next real one */
        bl0937_isr_cf(&M, STAMP(stray_at));
        stray_at = UINT64_MAX;
        continue;
      }
      if (next > end) break;
      if (next_pre <= next) { /* noise just before interrupts get masked */
        bl0937_isr_cf(&M, STAMP(next_pre));
        next_pre += f->blackout_every_ns;
      }
      n++;
      uint64_t e = next;
      next += period;
      if (latched && latched_at <= e) { /* the blackout ended before this edge */
        bl0937_isr_cf(&M, STAMP(latched_at));
        latched = false;
      }
      bool lost = f->lose_every && n > f->lose_every && (n % f->lose_every == 0 || (f->lose_second && n % f->lose_every == 2));
      if (lost) continue;
      if (f->blackout_every_ns) {
        uint64_t ph = (e + f->blackout_every_ns - f->blackout_phase_ns) % f->blackout_every_ns;
        if (e >= f->blackout_phase_ns && ph < f->blackout_len_ns) {
          if (!latched) latched_at = e - ph + f->blackout_len_ns;
          latched = true;
          continue;
        }
      }
      bl0937_isr_cf(&M, STAMP(e));
      if (f->twin_every && n % f->twin_every == 0) bl0937_isr_cf(&M, STAMP(e + f->twin_gap_ns));
      if (f->stray_every && n % f->stray_every == 0) stray_at = e + (uint64_t)(f->stray_frac * (double)period);
      if (f->stray_again && n > f->stray_every && n % f->stray_every == 1) stray_at = e + (uint64_t)((f->stray_frac - 0.05) * (double)period);
    }
    if (latched && latched_at <= end) {
      bl0937_isr_cf(&M, STAMP(latched_at));
      latched = false;
    }
    t_ns = end;
    bl0937_tick(&M, t_ns / 1000u + clock_off_us, &R);
    if ((double)t_ns * 1e-9 >= settle_s) {
      double e = ((double)R.power_w - want) / want;
      if (e < 0) e = -e;
      if (e > worst) worst = e;
    }
  }
#undef STAMP
  *pulses_sent = n;
  *pulses_counted = R.pulses;
  return worst;
}

static double limit_for(double watts) { return watts >= 5.0 ? 0.01 : 0.05; }

/* Levels across the CF range: 0.59 Hz … 2156 Hz. */
static const double levels[] = {1, 2, 5, 20, 89, 300, 2000, 3680};
#define N_LEVELS (sizeof levels / sizeof levels[0])

static void check_levels_upto(const faults_t *f, double seconds, uint64_t clock_off_us, const char *what,
                              double max_w) {
  for (unsigned i = 0; i < N_LEVELS && levels[i] <= max_w; i++) {
    uint64_t sent, counted;
    double worst = run_faulty(levels[i], f, clock_off_us, seconds, 8.0, &sent, &counted);
    if (worst > limit_for(levels[i]))
      unit_fail(__FILE__, __LINE__, "%s at %g W: a reading %.3f %% off", what, levels[i], worst * 100.0);
    /* Energy: every pulse the chip emitted, lost/latched ones included, strays and twins excluded; the
     * newest edges (with lost ones between them) may still wait for the next one to confirm them. */
    if (counted + 5u < sent || counted > sent)
      unit_fail(__FILE__, __LINE__, "%s at %g W: %lu pulses counted of %lu", what, levels[i], (unsigned long)counted,
                (unsigned long)sent);
  }
}

static void check_levels(const faults_t *f, double seconds, uint64_t clock_off_us, const char *what) {
  check_levels_upto(f, seconds, clock_off_us, what, 1e9);
}

static void test_one_lost_edge_never_moves_the_reading(void) {
  faults_t f = {0};
  f.lose_every = 11; /* each loss is a single fault: the neighbours are on time */
  check_levels(&f, 60.0, 0, "lost edge");
}

static void test_lost_real_lost_never_moves_the_reading(void) {
  faults_t f = {0};
  f.lose_every = 13;
  f.lose_second = 1; /* edges n and n+2 lost: the edge between them is on the grid, the one after too */
  check_levels(&f, 60.0, 0, "lost, real, lost");
}

static void test_blackout_latched_edge_never_moves_the_reading(void) {
  static const uint64_t lens_ms[] = {2, 10, 50};
  for (unsigned i = 0; i < 3; i++) {
    faults_t f = {0};
    f.blackout_every_ns = 7300000000ull; /* not a multiple of any period: every phase gets hit */
    f.blackout_len_ns = lens_ms[i] * 1000000ull;
    f.blackout_phase_ns = 9000000000ull;
    check_levels(&f, 60.0, 0, lens_ms[i] == 2 ? "2 ms blackout" : lens_ms[i] == 10 ? "10 ms blackout" : "50 ms blackout");
  }
}

/* Two stray edges in consecutive periods at nearly the same phase: t2→t3 then almost repeats t1→t2, as
 * the first edges of a doubled load would (the 100-hour soak found it at 1.1 W). Where the timing resolves
 * a 5 % difference (up to ~20 W: the pair tolerance is ~1 % of a period there) it must not move the reading;
 * from ~90 W on it is inside the timing tolerance and this double fault still reads as a doubling
 * (docs/metering.md, "What it does not cover"). */
static void test_two_stray_edges_in_a_row_never_move_the_reading(void) {
  static const double fracs[] = {0.25, 0.5, 0.8};
  for (unsigned i = 0; i < 3; i++) {
    faults_t f = {0};
    f.stray_every = 23;
    f.stray_frac = fracs[i];
    f.stray_again = true;
    check_levels_upto(&f, 60.0, 0, "two stray edges in a row", 20.0);
  }
}

/* Two faults in a row, as the simulated plug produced them: a stray edge, then the next real edge latched
 * through a blackout (so t1 is early and t2 late against the old grid). */
static void test_stray_then_latched_edge_never_moves_the_reading(void) {
  static const uint64_t before_ns[] = {1000000, 7000000};
  for (unsigned i = 0; i < 2; i++) {
    faults_t f = {0};
    f.blackout_every_ns = 7300000000ull;
    f.blackout_len_ns = 20000000ull;
    f.blackout_phase_ns = 9000000000ull;
    f.stray_before_blackout_ns = before_ns[i];
    check_levels(&f, 60.0, 0, "stray, then a latched edge");
  }
}

static void test_stray_edge_never_moves_the_reading(void) {
  static const double fracs[] = {0.05, 0.5, 0.9};
  for (unsigned i = 0; i < 3; i++) {
    faults_t f = {0};
    f.stray_every = 29;
    f.stray_frac = fracs[i];
    check_levels(&f, 60.0, 0, "stray edge");
  }
}

/* A glitch pair: a real edge and a twin (contact bounce, ringing) 3 µs later, inside the 100 µs glitch
 * filter, or 150 µs later, outside it — then the twin is a stray edge right after a real one. */
static void test_glitch_pair_never_moves_the_reading(void) {
  static const uint64_t gaps_ns[] = {3000, 90000, 150000};
  for (unsigned i = 0; i < 3; i++) {
    faults_t f = {0};
    f.twin_every = 17;
    f.twin_gap_ns = gaps_ns[i];
    check_levels(&f, 60.0, 0, "glitch pair");
  }
}

static void test_faults_across_the_timer_wrap(void) {
  const uint64_t wrap_20s = 0x100000000ull - 20000000ull; /* the 32-bit µs counter wraps 20 s in */
  faults_t f = {0};
  f.lose_every = 11;
  check_levels(&f, 40.0, wrap_20s, "lost edge across the wrap");
  memset(&f, 0, sizeof f);
  f.blackout_every_ns = 1900000000ull;
  f.blackout_len_ns = 20000000ull;
  f.blackout_phase_ns = 9000000000ull;
  check_levels(&f, 40.0, wrap_20s, "blackout across the wrap");
  memset(&f, 0, sizeof f);
  f.stray_every = 13;
  f.stray_frac = 0.4;
  f.twin_every = 7;
  f.twin_gap_ns = 3000;
  check_levels(&f, 40.0, wrap_20s, "stray edges and glitch pairs across the wrap");
}

/* A tick that comes late (the task was starved): the ISR ring fills and the newest edges are dropped. They
 * still count as energy, and the reading after the stall must not take them for a load that went off. */
static void test_a_stalled_tick_never_moves_the_reading(void) {
  static const double w[] = {300, 2000, 3680};
  for (unsigned i = 0; i < 3; i++) {
    bl0937_config_t c;
    bl0937_default_config(&c);
    bl0937_init(&M, &c, 0);
    uint64_t p = (uint64_t)(1e9 / (w[i] / J_PER_PULSE) + 0.5), t = p / 3, now = 0, sent = 0;
    double want = J_PER_PULSE * 1e9 / (double)p, worst = 0;
    for (unsigned k = 0; k < 1500; k++) {
      bool stall = k % 300 == 150;
      uint64_t from = now;
      now += stall ? 900000000u : 10000000u; /* every 3 s a 0.9 s stall: > 256 edges */
      bool latched = false;
      for (; t <= now; t += p, sent++) {
        /* every other stall also hides a lost edge and a 20 ms blackout among the edges the ring drops */
        if (stall && k % 600 == 450) {
          if (t >= from + 600000000u && t < from + 600000000u + p) continue; /* lost */
          if (t >= from + 700000000u && t < from + 720000000u) {             /* masked, one latched */
            latched = true;
            continue;
          }
          if (latched) {
            bl0937_isr_cf(&M, (uint32_t)((from + 720000000u) / 1000u));
            latched = false;
          }
        }
        bl0937_isr_cf(&M, (uint32_t)(t / 1000u));
      }
      bl0937_tick(&M, now / 1000u, &R);
      double e = ((double)R.power_w - want) / want;
      if (k > 500 && (e > worst || -e > worst)) worst = e < 0 ? -e : e;
    }
    if (worst > 0.01) unit_fail(__FILE__, __LINE__, "stalled tick at %g W: a reading %.3f %% off", w[i], worst * 100.0);
    CHECK(R.pulses + 2u >= sent && R.pulses <= sent);
  }
}

/* The fault handling must not swallow real steps: a load that halves exactly on an edge looks like lost
 * edges on the old grid until the edge after tells them apart. */
static void test_a_halved_load_is_not_taken_for_lost_edges(void) {
  static const double from[] = {20, 300, 3680};
  for (unsigned i = 0; i < 3; i++) {
    bl0937_config_t c;
    bl0937_default_config(&c);
    bl0937_init(&M, &c, 0);
    uint64_t p1 = (uint64_t)(1e9 / (from[i] / J_PER_PULSE) + 0.5), t = p1 / 3, now = 0, sent = 0;
    for (; now < 10000000000ull; now += 10000000u) {
      for (; t <= now; t += p1, sent++) bl0937_isr_cf(&M, (uint32_t)(t / 1000u));
      bl0937_tick(&M, now / 1000u, &R);
    }
    uint64_t p2 = 2 * p1; /* from the last edge on, half the rate */
    t = t - p1 + p2;
    for (; now < 20000000000ull; now += 10000000u) {
      for (; t <= now; t += p2, sent++) bl0937_isr_cf(&M, (uint32_t)(t / 1000u));
      bl0937_tick(&M, now / 1000u, &R);
    }
    CHECK_NEAR(R.power_w / (J_PER_PULSE * 1e9 / (double)p2), 1.0, 1e-3);
    CHECK(R.pulses + 1u >= sent && R.pulses <= sent);
  }
}

int main(void) {
  RUN(test_one_lost_edge_never_moves_the_reading);
  RUN(test_lost_real_lost_never_moves_the_reading);
  RUN(test_blackout_latched_edge_never_moves_the_reading);
  RUN(test_stray_edge_never_moves_the_reading);
  RUN(test_stray_then_latched_edge_never_moves_the_reading);
  RUN(test_two_stray_edges_in_a_row_never_move_the_reading);
  RUN(test_glitch_pair_never_moves_the_reading);
  RUN(test_faults_across_the_timer_wrap);
  RUN(test_a_stalled_tick_never_moves_the_reading);
  RUN(test_a_halved_load_is_not_taken_for_lost_edges);
  return unit_report();
}
