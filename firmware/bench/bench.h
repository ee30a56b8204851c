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
  /* Random fault model (the soak): its own generator seeded from fault_seed, so every algorithm sees the
   * same faults. All 0 = off. */
  uint64_t fault_seed;
  double lose_prob;           /* each edge (either channel) lost with this probability */
  uint64_t bo_len_min_ns, bo_len_max_ns; /* random blackouts: length uniform in [min, max] ... */
  uint64_t bo_gap_min_ns, bo_gap_max_ns; /* ... starting uniform [min, max] after the previous one ended */
  double glitch_prob;         /* a CF edge gets a twin 3 µs later with this probability */
  uint64_t stray_every_ns;    /* mean interval of stray CF edges at random times (noise, not chip pulses) */
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

/* Single readings after settle (every tick from max(5 s, the algorithm's settle time) after a load change
 * on), and what the report policy of protocol.md §8.4 (mqttdev_report_decide, defaults) would publish of
 * them. "Off" means |reading − truth| / truth; counts are for a true load >= 5 W, where the fault rule is
 * 1 %; below 5 W (>= 1 W) the rule is 5 % and only the worst error and violations are kept. */
typedef struct {
  double scored_s;            /* time scored at >= 1 W */
  double scored5_s;           /* of which at >= 5 W */
  double worst5_pct, worst1_pct; /* worst single reading at >= 5 W, at 1–5 W */
  uint32_t over1, over10;     /* readings (ticks) off by > 1 %, > 10 % (>= 5 W) */
  uint32_t pub, pub_over1, pub_over10; /* published reports scored, and off by > 1 %, > 10 % (>= 5 W) */
  double pub_worst_pct;       /* worst published report (>= 1 W) */
  uint32_t viol, pub_viol;    /* readings / published reports breaking the rule (1 % at >= 5 W, 5 % at >= 1 W) */
} bench_spikes_t;

void bench_spikes_add(bench_spikes_t *acc, const bench_spikes_t *x);

typedef struct {
  double e_alg_wh, e_pulse_wh, e_true_wh; /* algorithm, emitted CF pulses × J, ∫P dt */
  bench_spikes_t spk;
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
  uint32_t glitch_every;       /* --load: every Nth CF edge gets a glitch twin; 0 = none */
  uint64_t stray_every_ns;     /* --load: mean interval of stray CF edges; 0 = none */
  bool quick;                  /* shorter scenarios (for the cross-build check) */
} bench_opts_t;

void bench_default_opts(bench_opts_t *o);

#define BENCH_MAX_METRICS 96
#define BENCH_SCENARIOS 7

typedef struct {
  bench_metric_t m[BENCH_MAX_METRICS];
  unsigned n;
  bench_spikes_t spk[BENCH_SCENARIOS + 1]; /* per scenario (index = number) */
  uint32_t crc_cf[BENCH_SCENARIOS + 1]; /* per scenario, CF stream CRC (algorithm independent) */
  uint32_t crc_out;          /* all reported values of all scenarios */
} bench_report_t;

/* Runs scenarios 1–7 (mask bit 0 = scenario 1) for one algorithm. Scenario 7 is the issue-15 fault model
 * on steady loads: a fridge (89 W) and a heater (2000 W), 20 min each, one lost edge per 10^4, a 10 ms
 * interrupt blackout per minute, a glitch pair per 5000 CF edges and a stray CF edge per minute. */
void bench_scenarios(const alg_t *alg, const bench_opts_t *o, unsigned mask, bench_report_t *rep);

/* World-class targets for ours: metric id, limit, how to compare. */
typedef struct {
  const char *id;
  const char *text;
  double limit;
  bool abs_value; /* compare |value| */
} bench_target_t;

extern const bench_target_t bench_targets[];
/* Section of the printed table a metric id belongs to: 0 the scenario metrics, 1 single readings. */
int bench_metric_section(const char *id);
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

/* ---- randomized soak (ours by default): seeds × power levels × fault rates ----------------------------- */

#define SOAK_BANDS 4
#define SOAK_RATES 3

typedef struct {
  double p_lo_w, p_hi_w;  /* power band (log-uniform inside) */
  double lose_prob;       /* lost-edge probability */
  unsigned cells;
  bench_spikes_t spk;
  double e_alg_wh, e_pulse_wh; /* energy counted vs emitted pulses × J, summed over the row's cells */
} soak_row_t;

typedef struct {
  soak_row_t row[SOAK_BANDS * SOAK_RATES];
  unsigned n_rows;
  bench_spikes_t total;
  unsigned cells;
  double sim_hours;       /* simulated, warm-ups included */
} soak_result_t;

/* Runs `hours` simulated hours, split evenly over power bands × lost-edge rates, in 150 s cells (+5 s
 * unscored warm-up). Each cell: a random level in its band, random interrupt blackouts 1–50 ms every
 * 1–60 s, lost edges at the row's rate, glitch pairs (p 1e-4) and stray CF edges (one per ~2 min), and a
 * random 32-bit clock offset (a third of the cells cross the wrap). */
void bench_soak(const alg_t *alg, const bench_opts_t *o, double hours, soak_result_t *out);

#endif
