/* The randomized soak: many short steady runs, each with its own seed, level and fault mix, so a rare
 * combination (a blackout that ends just before a tick, a lost edge next to a glitch pair, the timer wrap
 * in the middle of a gap) shows up as a violation instead of hiding in a p95. */
#include <string.h>

#include "bench.h"

#define CELL_S 150.0
#define WARM_S 5.0

static const double band_lo[SOAK_BANDS] = {0.5, 5.0, 50.0, 500.0};
static const double band_hi[SOAK_BANDS] = {5.0, 50.0, 500.0, 3680.0};
static const double rates[SOAK_RATES] = {1e-5, 1e-4, 1e-3};

/* exp() without libm (host and rv32 agree): x in [0, 10]. */
static double exp_d(double x) {
  int halvings = 0;
  while (x > 0.5) {
    x *= 0.5;
    halvings++;
  }
  double term = 1, sum = 1;
  for (int k = 1; k < 20; k++) {
    term *= x / k;
    sum += term;
  }
  while (halvings--) sum *= sum;
  return sum;
}

static double ln_d(double y) { /* Newton on exp, y > 0 */
  double x = 0;
  while (y > 8) {
    y /= 2.718281828459045;
    x += 1;
  }
  double z = y - 1;
  for (int i = 0; i < 60; i++) z -= 1 - y / exp_d(z);
  return x + z;
}

void bench_soak(const alg_t *alg, const bench_opts_t *o, double hours, soak_result_t *out) {
  memset(out, 0, sizeof *out);
  unsigned groups = SOAK_BANDS * SOAK_RATES;
  unsigned cells_per = (unsigned)(hours * 3600.0 / (CELL_S + WARM_S) / groups + 0.999);
  if (!cells_per) cells_per = 1;
  uint64_t rng[4];
  bl0937_rng_seed(rng, o->seed * 7919ull + 0x50A4ull);
  for (unsigned b = 0; b < SOAK_BANDS; b++) {
    for (unsigned q = 0; q < SOAK_RATES; q++) {
      soak_row_t *row = &out->row[out->n_rows++];
      row->p_lo_w = band_lo[b];
      row->p_hi_w = band_hi[b];
      row->lose_prob = rates[q];
      double lr = ln_d(band_hi[b] / band_lo[b]);
      for (unsigned c = 0; c < cells_per; c++) {
        double level = band_lo[b] * exp_d(lr * bl0937_rng_uniform(rng));
        bench_point_t pts[1] = {{0, level, 230, 1}};
        bench_run_cfg_t cfg;
        memset(&cfg, 0, sizeof cfg);
        bl0937_model_default_params(&cfg.chip);
        cfg.chip.cf_hz_per_w = o->gain_p;
        cfg.chip.cf1_hz_per_v = o->gain_v;
        cfg.chip.cf1_hz_per_a = o->gain_i;
        cfg.chip.ripple = o->ripple;
        cfg.chip.sel_tau_ns = 0; /* only P is scored: CF1 settles at once (the model's costliest part) */
        mcu_default_params(&cfg.mcu);
        cfg.mcu.jitter_ns = o->jitter_ns;
        cfg.seed = bl0937_rng_next(rng);
        cfg.mcu.fault_seed = bl0937_rng_next(rng);
        cfg.mcu.lose_prob = rates[q];
        cfg.mcu.bo_len_min_ns = 1000000ull;
        cfg.mcu.bo_len_max_ns = 50000000ull;
        cfg.mcu.bo_gap_min_ns = 1000000000ull;
        cfg.mcu.bo_gap_max_ns = 60000000000ull;
        cfg.mcu.glitch_prob = 1e-4;
        cfg.mcu.stray_every_ns = 120000000000ull;
        /* a third of the cells cross the 32-bit µs wrap somewhere in their 155 s */
        uint64_t wrap_at_us = (uint64_t)(bl0937_rng_uniform(rng) * 3.0 * (CELL_S + WARM_S) * 1e6);
        cfg.mcu.clock_offset_us = 0x100000000ull - 1000000ull - wrap_at_us;
        cfg.sel_settle_us = o->sel_settle_us;
        cfg.tick_us = o->tick_us;
        cfg.pts = pts;
        cfg.n_pts = 1;
        cfg.duration_s = CELL_S;
        cfg.warmup_s = WARM_S + alg->boot_s;
        bench_run_result_t res;
        bench_run(alg, &cfg, NULL, NULL, &res);
        bench_spikes_add(&row->spk, &res.spk);
        row->e_alg_wh += res.e_alg_wh;
        row->e_pulse_wh += res.e_pulse_wh;
        row->cells++;
        out->sim_hours += (CELL_S + WARM_S) / 3600.0;
      }
      bench_spikes_add(&out->total, &row->spk);
      out->cells += row->cells;
    }
  }
}
