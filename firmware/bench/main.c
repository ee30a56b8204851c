/* obl-bench: runs scenarios 1–6 (or a user load profile) for every algorithm, prints each metric side
 * by side, then our world-class targets PASS/FAIL and "N passed, M failed". Exit 1 if any failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static void usage(void) {
  puts("usage: obl-bench [options]\n"
       "  --json               JSON instead of the table\n"
       "  --scenario N         run only scenario N (1-7; 7 = the fault model on a fridge and a heater); repeatable\n"
       "  --alg NAME           run only this algorithm (ours, tasmota, openbeken, esphome-1s, esphome-60s,\n"
       "                       xoseperez, tuya)\n"
       "  --load FILE.csv      user case: rows 'time_s,power_w,voltage_v,power_factor' (piecewise constant)\n"
       "  --duration S         length of the --load run (default: last row + 60 s)\n"
       "  --seed N             base seed (default 1)\n"
       "  --jitter-us X        ISR jitter sigma, half-normal (default 5)\n"
       "  --ripple PCT         CF/CF1 residual 100 Hz ripple in percent (default 0.2)\n"
       "  --blackout-period S  interrupt blackout every S seconds (scenario 4 / --load; default 60)\n"
       "  --blackout-ms MS     blackout length (default 10)\n"
       "  --lost-every N       lose every Nth edge (scenario 4 / --load; default 10000, 0 = none)\n"
       "  --gain-p HZ_PER_W    chip CF gain (default 0.5858); --gain-v HZ_PER_V (6.381); --gain-i HZ_PER_A (77.70)\n"
       "  --sel-tau-ms MS      chip CF1 settle time constant after SEL toggles (default 100)\n"
       "  --settle-ms MS       our SEL settle (discard) time (default 300)\n"
       "  --tick-ms MS         how often every algorithm is ticked (default 10; must divide 1000)\n"
       "  --glitch-every N     --load: every Nth CF edge gets a twin 3 us later (default 0 = none)\n"
       "  --stray-every S      --load: a stray CF edge about every S seconds (default 0 = none)\n"
       "  --soak-hours H       simulated hours of the randomized soak (default 10, run next to the scenarios)\n"
       "  --soak-full          the full soak: 100 h\n"
       "  --no-soak            skip the soak");
}

/* ---- user load profile ---------------------------------------------------------------------------- */

#define MAX_PTS 4096
static bench_point_t user_pts[MAX_PTS];

static int load_csv(const char *path, unsigned *n) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "obl-bench: cannot open %s\n", path);
    return -1;
  }
  char line[256];
  unsigned k = 0, lineno = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    if (line[0] == '#' || line[0] == '\n' || line[0] == '\r') continue;
    bench_point_t p = {0, 0, 230, 1};
    int got = sscanf(line, "%lf , %lf , %lf , %lf", &p.t_s, &p.p_w, &p.v_v, &p.pf);
    if (got < 2) {
      if (k == 0 && lineno == 1) continue; /* header */
      fprintf(stderr, "obl-bench: %s:%u: expected time_s,power_w[,voltage_v[,power_factor]]\n", path, lineno);
      fclose(f);
      return -1;
    }
    if (p.t_s < 0 || p.p_w < 0 || p.v_v <= 0 || p.pf <= 0 || p.pf > 1 || (k && p.t_s < user_pts[k - 1].t_s)) {
      fprintf(stderr, "obl-bench: %s:%u: bad value (times ascending, P >= 0, V > 0, 0 < PF <= 1)\n", path, lineno);
      fclose(f);
      return -1;
    }
    if (k == MAX_PTS) {
      fprintf(stderr, "obl-bench: %s: more than %d rows\n", path, MAX_PTS);
      fclose(f);
      return -1;
    }
    user_pts[k++] = p;
  }
  fclose(f);
  if (!k) {
    fprintf(stderr, "obl-bench: %s: no rows\n", path);
    return -1;
  }
  *n = k;
  return 0;
}

typedef struct {
  bench_stats_t p;
  double last_change_s, settle_s;
  double prev_p;
  double v_err_max, i_err_max;
} user_ctx_t;

static void user_sample(void *ctx, const bench_sample_t *s) {
  user_ctx_t *c = ctx;
  if (s->p_w != c->prev_p) {
    c->prev_p = s->p_w;
    c->last_change_s = s->t_s;
  }
  if (s->t_s - c->last_change_s < c->settle_s || s->p_w < 1.0) return;
  stats_add(&c->p, (s->out->p_w - s->p_w) / s->p_w * 100.0);
}

static void run_user(const bench_opts_t *o, unsigned n_pts, double duration, const alg_t *only, bool json) {
  if (json) printf("{\"load\": [\n");
  else
    printf("%-14s %10s %10s %13s %13s %10s %10s %10s %10s %10s\n", "algorithm", "P p95 %", "P max %", "E vs pulses %",
           "E vs int P %", "rd/h >1%", "rd/h >10%", "pub/h >1%", "pub/h>10%", "pub max %");
  bool first = true;
  for (unsigned a = 0; a < alg_count; a++) {
    const alg_t *alg = alg_all[a];
    if (only && only != alg) continue;
    bench_run_cfg_t cfg;
    memset(&cfg, 0, sizeof cfg);
    bl0937_model_default_params(&cfg.chip);
    cfg.chip.cf_hz_per_w = o->gain_p;
    cfg.chip.cf1_hz_per_v = o->gain_v;
    cfg.chip.cf1_hz_per_a = o->gain_i;
    cfg.chip.ripple = o->ripple;
    cfg.chip.sel_tau_ns = o->sel_tau_ns;
    mcu_default_params(&cfg.mcu);
    cfg.mcu.jitter_ns = o->jitter_ns;
    cfg.mcu.blackout_every_ns = o->blackout_every_ns;
    cfg.mcu.blackout_len_ns = o->blackout_len_ns;
    cfg.mcu.lose_every = o->lose_every;
    cfg.seed = o->seed;
    cfg.sel_settle_us = o->sel_settle_us;
    cfg.tick_us = o->tick_us;
    cfg.mcu.glitch_every = o->glitch_every;
    cfg.mcu.stray_every_ns = o->stray_every_ns;
    cfg.mcu.fault_seed = o->seed;
    cfg.pts = user_pts;
    cfg.n_pts = n_pts;
    cfg.duration_s = duration;
    cfg.warmup_s = alg->boot_s;
    user_ctx_t c;
    memset(&c, 0, sizeof c);
    stats_reset(&c.p);
    c.settle_s = alg->settle_s > 5 ? alg->settle_s : 5;
    c.prev_p = -1;
    bench_run_result_t res;
    bench_run(alg, &cfg, user_sample, &c, &res);
    double p95 = stats_p95(&c.p), mx = c.p.max;
    double ep = res.e_pulse_wh > 0 ? (res.e_alg_wh - res.e_pulse_wh) / res.e_pulse_wh * 100 : 0;
    double et = res.e_true_wh > 0 ? (res.e_alg_wh - res.e_true_wh) / res.e_true_wh * 100 : 0;
    const bench_spikes_t *k = &res.spk;
    double h5 = k->scored5_s / 3600.0;
    double r1 = h5 > 0 ? k->over1 / h5 : 0, r10 = h5 > 0 ? k->over10 / h5 : 0;
    double p1 = h5 > 0 ? k->pub_over1 / h5 : 0, p10 = h5 > 0 ? k->pub_over10 / h5 : 0;
    if (json) {
      printf("%s  {\"alg\": \"%s\", \"p_samples\": %u, \"p_p95_pct\": %.6g, \"p_max_pct\": %.6g, "
             "\"e_vs_pulse_pct\": %.6g, \"e_vs_true_pct\": %.6g, \"e_wh\": %.9g, \"readings_over1_per_h\": %.6g, "
             "\"readings_over10_per_h\": %.6g, \"published_over1_per_h\": %.6g, \"published_over10_per_h\": %.6g, "
             "\"published_max_pct\": %.6g}",
             first ? "" : ",\n", alg->name, c.p.n, p95, mx, ep, et, res.e_alg_wh, r1, r10, p1, p10, k->pub_worst_pct);
    } else if (c.p.n == 0) { /* no load lasted past this algorithm's settle time */
      printf("%-14s %10s %10s %13.5f %13.5f\n", alg->name, "-", "-", ep, et);
    } else {
      printf("%-14s %10.4f %10.4f %13.5f %13.5f %10.1f %10.1f %10.1f %10.1f %10.3f\n", alg->name, p95, mx, ep, et, r1,
             r10, p1, p10, k->pub_worst_pct);
    }
    first = false;
  }
  if (json) printf("\n]}\n");
  else
    printf("(P scored where the load is >= 1 W, from max(5 s, settle) after each change; rd/h = readings (ticks)\n"
           " per hour off by more than 1 %% / 10 %% at >= 5 W; pub/h = the same for what protocol.md 8.4 publishes)\n");
}

/* ---- scenarios ------------------------------------------------------------------------------------- */

static bench_report_t reports[8];

/* The soak runs in a child process next to the scenarios (two cores), its result comes back on a pipe. */
static int soak_start(const alg_t *alg, const bench_opts_t *o, double hours, pid_t *pid) {
  int fds[2];
  if (pipe(fds)) return -1;
  fflush(stdout);
  *pid = fork();
  if (*pid < 0) return -1;
  if (*pid == 0) {
    close(fds[0]);
    static soak_result_t r;
    bench_soak(alg, o, hours, &r);
    const char *b = (const char *)&r;
    size_t left = sizeof r;
    while (left) {
      ssize_t w = write(fds[1], b, left);
      if (w <= 0) _exit(1);
      b += w;
      left -= (size_t)w;
    }
    _exit(0);
  }
  close(fds[1]);
  return fds[0];
}

static int soak_finish(int fd, pid_t pid, soak_result_t *r) {
  char *b = (char *)r;
  size_t left = sizeof *r;
  while (left) {
    ssize_t n = read(fd, b, left);
    if (n <= 0) break;
    b += n;
    left -= (size_t)n;
  }
  close(fd);
  int st = 0;
  waitpid(pid, &st, 0);
  return left == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static double soak_e_pct(const soak_row_t *w) {
  return w->e_pulse_wh > 0 ? (w->e_alg_wh - w->e_pulse_wh) / w->e_pulse_wh * 100.0 : 0;
}

static void soak_print(const alg_t *alg, const soak_result_t *r, bool json) {
  if (json) {
    printf("  \"soak\": {\"alg\": \"%s\", \"cells\": %u, \"simulated_hours\": %.6g, \"hours\": %.6g, \"violations\": %u, \"published_violations\": %u, "
           "\"worst5_pct\": %.6g, \"worst1_pct\": %.6g, \"rows\": [\n",
           alg->name, r->cells, r->sim_hours, r->total.scored_s / 3600.0, r->total.viol, r->total.pub_viol, r->total.worst5_pct,
           r->total.worst1_pct);
    for (unsigned i = 0; i < r->n_rows; i++) {
      const soak_row_t *w = &r->row[i];
      printf("    {\"p_lo_w\": %g, \"p_hi_w\": %g, \"lose_prob\": %g, \"cells\": %u, \"hours\": %.6g, "
             "\"worst5_pct\": %.6g, \"worst1_pct\": %.6g, \"over1\": %u, \"published\": %u, \"violations\": %u, "
             "\"published_violations\": %u, \"energy_vs_pulses_pct\": %.6g}%s\n",
             w->p_lo_w, w->p_hi_w, w->lose_prob, w->cells, w->spk.scored_s / 3600.0, w->spk.worst5_pct,
             w->spk.worst1_pct, w->spk.over1, w->spk.pub, w->spk.viol, w->spk.pub_viol, soak_e_pct(w),
             i + 1 < r->n_rows ? "," : "");
    }
    printf("  ]},\n");
    return;
  }
  printf("\nrandomized soak (%s): %.1f simulated hours, %u cells x (5 s warm-up + 150 s), blackouts 1-50 ms every 1-60 s, glitch pairs p 1e-4, stray\n"
         "CF edges ~1 per 2 min, random 32-bit clock offsets (a third cross the wrap); rule: 1 %% at >= 5 W, 5 %% at >= 1 W\n",
         alg->name, r->sim_hours, r->cells);
  printf("%-14s %8s %6s %7s %11s %11s %9s %9s %10s %10s %10s\n", "power W", "lost p", "cells", "hours", "worst>=5W %",
         "worst1-5W %", "rd >1 %", "published", "violations", "pub viol.", "E vs puls %");
  for (unsigned i = 0; i < r->n_rows; i++) {
    const soak_row_t *w = &r->row[i];
    char band[32];
    snprintf(band, sizeof band, "%g-%g", w->p_lo_w, w->p_hi_w);
    printf("%-14s %8.0e %6u %7.2f %11.4f %11.4f %9u %9u %10u %10u %10.5f\n", band, w->lose_prob, w->cells,
           w->spk.scored_s / 3600.0, w->spk.worst5_pct, w->spk.worst1_pct, w->spk.over1, w->spk.pub, w->spk.viol,
           w->spk.pub_viol, soak_e_pct(w));
  }
  printf("%-14s %8s %6u %7.2f %11.4f %11.4f %9u %9u %10u %10u\n", "total", "", r->cells, r->total.scored_s / 3600.0,
         r->total.worst5_pct, r->total.worst1_pct, r->total.over1, r->total.pub, r->total.viol, r->total.pub_viol);
}

static void print_value(double v) {
  if (v == BENCH_NEVER) printf(" %12s", "never");
  else printf(" %12.5g", v);
}

int main(int argc, char **argv) {
  bench_opts_t o;
  bench_default_opts(&o);
  bool json = false;
  unsigned mask = 0, n_pts = 0;
  const char *load = NULL;
  double duration = 0, soak_hours = 10.0;
  const alg_t *only = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_ARG()                                               \
  do {                                                           \
    if (!v) {                                                    \
      fprintf(stderr, "obl-bench: %s needs a value\n", a);       \
      return 2;                                                  \
    }                                                            \
    i++;                                                         \
  } while (0)
    if (!strcmp(a, "--json")) json = true;
    else if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(); return 0; }
    else if (!strcmp(a, "--scenario")) { NEED_ARG(); int s = atoi(v); if (s < 1 || s > BENCH_SCENARIOS) { fprintf(stderr, "obl-bench: scenario 1-7\n"); return 2; } mask |= 1u << (s - 1); }
    else if (!strcmp(a, "--alg")) {
      NEED_ARG();
      for (unsigned k = 0; k < alg_count; k++) if (!strcmp(alg_all[k]->name, v)) only = alg_all[k];
      if (!only) { fprintf(stderr, "obl-bench: unknown algorithm %s\n", v); return 2; }
    }
    else if (!strcmp(a, "--load")) { NEED_ARG(); load = v; }
    else if (!strcmp(a, "--duration")) { NEED_ARG(); duration = atof(v); }
    else if (!strcmp(a, "--seed")) { NEED_ARG(); o.seed = strtoull(v, NULL, 0); }
    else if (!strcmp(a, "--jitter-us")) { NEED_ARG(); o.jitter_ns = (uint64_t)(atof(v) * 1000); }
    else if (!strcmp(a, "--ripple")) { NEED_ARG(); o.ripple = atof(v) / 100.0; }
    else if (!strcmp(a, "--blackout-period")) { NEED_ARG(); o.blackout_every_ns = (uint64_t)(atof(v) * 1e9); }
    else if (!strcmp(a, "--blackout-ms")) { NEED_ARG(); o.blackout_len_ns = (uint64_t)(atof(v) * 1e6); }
    else if (!strcmp(a, "--lost-every")) { NEED_ARG(); o.lose_every = (uint32_t)strtoul(v, NULL, 0); }
    else if (!strcmp(a, "--gain-p")) { NEED_ARG(); o.gain_p = atof(v); }
    else if (!strcmp(a, "--gain-v")) { NEED_ARG(); o.gain_v = atof(v); }
    else if (!strcmp(a, "--gain-i")) { NEED_ARG(); o.gain_i = atof(v); }
    else if (!strcmp(a, "--sel-tau-ms")) { NEED_ARG(); o.sel_tau_ns = (uint64_t)(atof(v) * 1e6); }
    else if (!strcmp(a, "--settle-ms")) { NEED_ARG(); o.sel_settle_us = (uint32_t)(atof(v) * 1000); }
    else if (!strcmp(a, "--glitch-every")) { NEED_ARG(); o.glitch_every = (uint32_t)strtoul(v, NULL, 0); }
    else if (!strcmp(a, "--stray-every")) { NEED_ARG(); o.stray_every_ns = (uint64_t)(atof(v) * 1e9); }
    else if (!strcmp(a, "--soak-hours")) { NEED_ARG(); soak_hours = atof(v); if (soak_hours < 0 || soak_hours > 10000) { fprintf(stderr, "obl-bench: --soak-hours 0-10000\n"); return 2; } }
    else if (!strcmp(a, "--soak-full")) soak_hours = 100.0;
    else if (!strcmp(a, "--no-soak")) soak_hours = 0;
    else if (!strcmp(a, "--tick-ms")) { NEED_ARG(); o.tick_us = (uint32_t)(atof(v) * 1000); if (o.tick_us < 1000 || o.tick_us > 1000000 || 1000000 % o.tick_us) { fprintf(stderr, "obl-bench: --tick-ms must divide 1000 (1-1000)\n"); return 2; } }
    else { fprintf(stderr, "obl-bench: unknown option %s (see --help)\n", a); return 2; }
  }
  if (!(o.gain_p > 0) || !(o.gain_v > 0) || !(o.gain_i > 0) || o.ripple < 0 || o.ripple > 0.5) {
    fprintf(stderr, "obl-bench: gains must be > 0 and ripple 0-50 %%\n");
    return 2;
  }
  if (o.blackout_every_ns && o.blackout_len_ns >= o.blackout_every_ns) {
    fprintf(stderr, "obl-bench: blackout longer than its period\n");
    return 2;
  }
  if (load) {
    if (load_csv(load, &n_pts)) return 2;
    if (duration <= 0) duration = user_pts[n_pts - 1].t_s + 60.0;
    run_user(&o, n_pts, duration, only, json);
    return 0;
  }
  bool soak = soak_hours > 0 && !mask; /* the soak belongs to the default suite, not to a --scenario run */
  if (!mask) mask = (1u << BENCH_SCENARIOS) - 1u;

  unsigned n_algs = 0;
  const alg_t *algs[8];
  for (unsigned k = 0; k < alg_count; k++)
    if (!only || only == alg_all[k]) algs[n_algs++] = alg_all[k];
  pid_t soak_pid = 0;
  int soak_fd = soak ? soak_start(algs[0], &o, soak_hours, &soak_pid) : -1;
  if (soak && soak_fd < 0) {
    fprintf(stderr, "obl-bench: cannot start the soak\n");
    return 2;
  }
  for (unsigned k = 0; k < n_algs; k++) bench_scenarios(algs[k], &o, mask, &reports[k]);
  static soak_result_t soak_res;
  if (soak && soak_finish(soak_fd, soak_pid, &soak_res)) {
    fprintf(stderr, "obl-bench: the soak failed\n");
    return 2;
  }

  const bench_report_t *r0 = &reports[0];
  if (json) {
    printf("{\n  \"seed\": %llu,\n  \"algorithms\": [", (unsigned long long)o.seed);
    for (unsigned k = 0; k < n_algs; k++) printf("%s\"%s\"", k ? ", " : "", algs[k]->name);
    printf("],\n  \"metrics\": [\n");
    for (unsigned m = 0; m < r0->n; m++) {
      printf("    {\"id\": \"%s\", \"label\": \"%s\", \"unit\": \"%s\", \"values\": {", r0->m[m].id, r0->m[m].label,
             r0->m[m].unit);
      for (unsigned k = 0; k < n_algs; k++) {
        double v = reports[k].m[m].value;
        if (v == BENCH_NEVER) printf("%s\"%s\": null", k ? ", " : "", algs[k]->name);
        else printf("%s\"%s\": %.9g", k ? ", " : "", algs[k]->name, v);
      }
      printf("}}%s\n", m + 1 < r0->n ? "," : "");
    }
    printf("  ],\n");
    if (soak) soak_print(algs[0], &soak_res, true);
    printf("  \"targets\": [\n");
  } else {
    printf("%-52s %-5s", "metric (seed, defaults per bl0937.md §4)", "unit");
    for (unsigned k = 0; k < n_algs; k++) printf(" %12s", algs[k]->name);
    printf("\n");
    for (int sec = 0; sec < 2; sec++) {
      if (sec == 1)
        printf("\nsingle P readings after settle (max(5 s, settle) after each change), and what protocol.md 8.4 would\n"
               "publish of them; /h per hour of settled load >= 5 W:\n");
      for (unsigned m = 0; m < r0->n; m++) {
        if (bench_metric_section(r0->m[m].id) != sec) continue;
        printf("%-52s %-5s", r0->m[m].label, r0->m[m].unit);
        for (unsigned k = 0; k < n_algs; k++) print_value(reports[k].m[m].value);
        printf("\n");
      }
    }
    if (soak) soak_print(algs[0], &soak_res, false);
    printf("\nworld-class targets (%s):\n", algs[0]->name);
  }
  unsigned passed = 0, failed = 0, shown = 0;
  for (unsigned t = 0; t < bench_target_count; t++) {
    const bench_target_t *tg = &bench_targets[t];
    for (unsigned m = 0; m < r0->n; m++) {
      if (strcmp(r0->m[m].id, tg->id)) continue;
      bool ok = bench_target_pass(tg, r0->m[m].value);
      ok ? passed++ : failed++;
      if (json) {
        printf("%s    {\"id\": \"%s\", \"target\": \"%s\", \"value\": %.9g, \"pass\": %s}", shown ? ",\n" : "", tg->id,
               tg->text, r0->m[m].value, ok ? "true" : "false");
      } else {
        printf("  %-4s %-70s ", ok ? "PASS" : "FAIL", tg->text);
        print_value(r0->m[m].value);
        printf("\n");
      }
      shown++;
    }
  }
  if (soak) { /* the soak's own targets */
    struct {
      const char *id, *text;
      bool ok;
      double v;
    } st[] = {
        {"soak_violations", "soak: readings off > 1 % (>= 5 W) / > 5 % (>= 1 W): 0", soak_res.total.viol == 0,
         (double)soak_res.total.viol},
        {"soak_published", "soak: published spikes 0", soak_res.total.pub_viol == 0, (double)soak_res.total.pub_viol},
        {"soak_hours", "soak: >= 10 simulated hours (full: --soak-full)", soak_res.sim_hours >= 10.0 - 1e-6,
         soak_res.sim_hours},
    };
    for (unsigned t = 0; t < sizeof st / sizeof st[0]; t++) {
      st[t].ok ? passed++ : failed++;
      if (json)
        printf("%s    {\"id\": \"%s\", \"target\": \"%s\", \"value\": %.9g, \"pass\": %s}", shown ? ",\n" : "",
               st[t].id, st[t].text, st[t].v, st[t].ok ? "true" : "false");
      else
        printf("  %-4s %-70s  %12.5g\n", st[t].ok ? "PASS" : "FAIL", st[t].text, st[t].v);
      shown++;
    }
  }
  if (json) printf("\n  ],\n  \"passed\": %u,\n  \"failed\": %u\n}\n", passed, failed);
  else printf("%u passed, %u failed\n", passed, failed);
  return failed ? 1 : 0;
}
