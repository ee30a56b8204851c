/* bench.h — MCU model, runner and scenarios of the metering benchmark (portable: no files, no argv, so
 * the same code runs on the host and on rv32imafc under qemu).
 *
 * One run = chip model → MCU model (ISR latency + half-normal jitter, 32-bit µs counter with a chosen
 * offset, blackouts that latch ≤ 1 edge per channel, every Nth edge lost, optional glitch twins) →
 * algorithm, ticked every 10 ms (configurable); the algorithm's SEL request goes back to the chip model.
 */
#ifndef OBL_BENCH_H
#define OBL_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "alg.h"
#include "bl0937_model.h"

typedef struct {
  uint64_t lat_ns;            /* fixed ISR entry latency; 2 µs */
  uint64_t jitter_ns;         /* σ of the half-normal extra latency; 5 µs */
  uint64_t blackout_every_ns; /* interrupts masked for blackout_len_ns once per period; 0 = never */
  uint64_t blackout_len_ns;
  uint32_t lose_every;        /* every Nth edge of a channel is lost; 0 = none */
  uint32_t glitch_every;      /* every Nth CF edge gets a twin 3 µs later; 0 = none */
  uint64_t clock_offset_us;   /* MCU µs counter at model time 0 (puts the 32-bit wrap where wanted) */
} mcu_params_t;

void mcu_default_params(mcu_params_t *p);

typedef struct {
  double t_s, p_w, v_v, pf; /* from t_s on (piecewise constant) */
} bench_point_t;

typedef struct {
  double t_s;        /* since run start */
  double dt_s;       /* tick period */
  double p_w, v_v, i_a; /* truth */
  const alg_out_t *out;
} bench_sample_t;

typedef void (*bench_sample_fn)(void *ctx, const bench_sample_t *s);

typedef struct {
  const bench_point_t *pts;
  unsigned n_pts;
  double duration_s;
  bl0937_model_params_t chip;
  mcu_params_t mcu;
  uint64_t seed;
  uint32_t sel_settle_us; /* passed to ours; 0 = its default */
  double warmup_s;        /* the first point's load runs this long first, unscored (algorithm boot) */
  uint32_t tick_us;       /* algorithm tick period; 0 = 10 ms */
} bench_run_cfg_t;

typedef struct {
  double e_alg_wh, e_pulse_wh, e_true_wh; /* algorithm, emitted CF pulses × J, ∫P dt */
  uint64_t cf_emitted, cf1_emitted;
  uint32_t crc_cf;        /* CRC-32 of the chip's CF edge times (independent of the algorithm) */
  uint32_t crc_delivered; /* CRC-32 of every (channel, µs timestamp) the algorithm received */
  uint32_t crc_out;       /* CRC-32 of every reported value (bit patterns), for host == target checks */
} bench_run_result_t;

void bench_run(const alg_t *alg, const bench_run_cfg_t *cfg, bench_sample_fn fn, void *ctx,
               bench_run_result_t *res);

uint32_t bench_crc32(uint32_t crc, const void *data, unsigned len);

/* ---- scenarios and metrics (§4) ------------------------------------------------------------------------ */

#define BENCH_NEVER (-1.0) /* a settle time that never happened inside the window */

typedef struct {
  const char *id;     /* stable key for --json */
  const char *label;  /* printed row label */
  const char *unit;
  double value;
} bench_metric_t;

typedef struct {
  uint64_t seed;
  uint64_t jitter_ns;          /* default 5 µs */
  double ripple;               /* default 0.002 */
  uint64_t blackout_every_ns;  /* scenario 4 default 60 s */
  uint64_t blackout_len_ns;    /* 10 ms */
  uint32_t lose_every;         /* scenario 4 default 10 000 */
  double gain_p, gain_v, gain_i; /* chip Hz/W, Hz/V, Hz/A */
  uint64_t sel_tau_ns;         /* chip CF1 settle; 100 ms */
  uint32_t sel_settle_us;      /* ours' settle parameter; 0 = default */
  uint32_t tick_us;            /* tick period; 0 = 10 ms */
  bool quick;                  /* shorter scenarios (for the cross-build check) */
} bench_opts_t;

void bench_default_opts(bench_opts_t *o);

#define BENCH_MAX_METRICS 32

typedef struct {
  bench_metric_t m[BENCH_MAX_METRICS];
  unsigned n;
  uint32_t crc_cf[7];        /* per scenario, CF stream CRC (algorithm independent) */
  uint32_t crc_out;          /* all reported values of all scenarios */
} bench_report_t;

/* Runs scenarios 1–6 (mask bit 0 = scenario 1) for one algorithm. */
void bench_scenarios(const alg_t *alg, const bench_opts_t *o, unsigned mask, bench_report_t *rep);

/* World-class targets for ours: metric id, limit, how to compare. */
typedef struct {
  const char *id;
  const char *text;
  double limit;
  bool abs_value; /* compare |value| */
} bench_target_t;

extern const bench_target_t bench_targets[];
extern const unsigned bench_target_count;
/* value ≤ limit (BENCH_NEVER fails) */
bool bench_target_pass(const bench_target_t *t, double value);

/* Scratch buffer for percentiles: samples of |relative error|. */
typedef struct {
  float *v;
  unsigned n, cap;
  double sum, sum2, max;
} bench_stats_t;
void stats_reset(bench_stats_t *s);
void stats_add(bench_stats_t *s, double x);
double stats_p95(bench_stats_t *s);
double stats_rms(const bench_stats_t *s);
double stats_mean(const bench_stats_t *s);

#endif
