/* sim_meter.c — see sim_meter.h. */
#include "sim_meter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bl0937_model.h"
#include "sim_io.h"

#define PROFILE_MAX 4096

static struct {
  bl0937_model_t model;
  const board_profile_t *board;
  double watts, pf, volts;
  bool relay_closed;
  uint64_t t0_us;
  /* profile */
  int n;
  double t_s[PROFILE_MAX], w[PROFILE_MAX], p[PROFILE_MAX];
  bool playing;
  uint64_t profile_start_us;
  double applied_w, applied_pf, applied_v;
  bool applied_closed;
} m = {.watts = 0.0, .pf = 1.0, .volts = 230.0};

/* Edge faults (see sim_meter.h): what the MCU would see of the chip's edges. */
static struct {
  uint32_t lost_every, glitch_every;
  uint64_t blackout_us, blackout_every_us, stray_every_us;
  uint32_t count[2];
  bool latched[2];
  uint64_t latch_end_us[2];
  uint64_t next_stray_us;
  uint32_t n_lost, n_latched, n_masked, n_glitch, n_stray; /* injected, reported at exit */
} flt;

static void fault_report(void) {
  fprintf(stderr, "openbl602-sim: metering faults injected: lost %u, latched %u (of %u masked), glitch %u, stray %u\n",
          flt.n_lost, flt.n_latched, flt.n_masked, flt.n_glitch, flt.n_stray);
}

bool sim_meter_fault_option(const char *opt, const char *val) {
  if (strncmp(opt, "--fault-", 8) != 0) return false;
  char *end = NULL;
  double v = val ? strtod(val, &end) : -1.0;
  if (!val || !end || *end || !(v >= 0.0 && v <= 1e9)) {
    fprintf(stderr, "openbl602-sim: %s wants a number >= 0\n", opt);
    exit(2);
  }
  if (strcmp(opt, "--fault-lost-every") == 0) flt.lost_every = (uint32_t)v;
  else if (strcmp(opt, "--fault-blackout-ms") == 0) flt.blackout_us = (uint64_t)(v * 1000.0);
  else if (strcmp(opt, "--fault-blackout-every-s") == 0) flt.blackout_every_us = (uint64_t)(v * 1e6);
  else if (strcmp(opt, "--fault-glitch-every") == 0) flt.glitch_every = (uint32_t)v;
  else if (strcmp(opt, "--fault-stray-every-s") == 0) flt.stray_every_us = (uint64_t)(v * 1e6);
  else return false;
  if (flt.blackout_every_us && flt.blackout_us >= flt.blackout_every_us) {
    fprintf(stderr, "openbl602-sim: the blackout must be shorter than its period\n");
    exit(2);
  }
  return true;
}

const char *sim_meter_fault_usage(void) {
  return "  [--fault-lost-every N] [--fault-blackout-ms MS --fault-blackout-every-s S] [--fault-glitch-every N]\n"
         "  [--fault-stray-every-s S] (metering edge faults)\n";
}

static void deliver(uint8_t pin, uint64_t t_us) {
  /* the chip's outputs are short active-high pulses: the falling edge is the one the firmware counts */
  sim_io_edge(pin, true, t_us);
  sim_io_edge(pin, false, t_us);
}

static void fault_flush(uint64_t upto_us) {
  for (int ch = 0; ch < 2; ch++) {
    if (flt.latched[ch] && flt.latch_end_us[ch] <= upto_us) {
      flt.latched[ch] = false;
      flt.n_latched++;
      deliver(ch == 0 ? m.board->bl0937.cf : m.board->bl0937.cf1, flt.latch_end_us[ch]);
    }
  }
}

static void fault_edge_in(int ch, uint64_t t_us, bool stray);

static void fault_edge(int ch, uint64_t t_us) {
  while (ch == 0 && flt.stray_every_us && flt.next_stray_us <= t_us) {
    if (flt.next_stray_us > m.t0_us) {
      fault_edge_in(0, flt.next_stray_us, true);
      flt.n_stray++;
    }
    flt.next_stray_us += flt.stray_every_us;
  }
  fault_edge_in(ch, t_us, false);
}

/* One edge at the pin (a chip pulse, or a stray one): lost, latched through a blackout, or delivered. */
static void fault_edge_in(int ch, uint64_t t_us, bool stray) {
  uint8_t pin = ch == 0 ? m.board->bl0937.cf : m.board->bl0937.cf1;
  fault_flush(t_us);
  if (!stray) flt.count[ch]++;
  if (!stray && flt.lost_every && flt.count[ch] % flt.lost_every == 0) {
    flt.n_lost++;
    return;
  }
  if (flt.blackout_us && flt.blackout_every_us) {
    uint64_t since = t_us - m.t0_us, phase = since % flt.blackout_every_us;
    if (since >= flt.blackout_every_us && phase < flt.blackout_us) { /* masked: the pin latches one edge */
      flt.n_masked++;
      if (!flt.latched[ch]) {
        flt.latched[ch] = true;
        flt.latch_end_us[ch] = t_us - phase + flt.blackout_us;
      }
      return;
    }
  }
  deliver(pin, t_us);
  if (!stray && ch == 0 && flt.glitch_every && flt.count[0] % flt.glitch_every == 0) {
    deliver(pin, t_us + 3u);
    flt.n_glitch++;
  }
}

int sim_meter_load_profile(const char *path, char *err, int errlen) {
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, (size_t)errlen, "cannot open profile %s", path);
    return -1;
  }
  char line[256];
  int lineno = 0;
  m.n = 0;
  while (fgets(line, sizeof(line), f)) {
    lineno++;
    char *s = line;
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '#' || *s == '\n' || *s == '\r' || *s == '\0') continue;
    double t, w, pf = 1.0;
    int k = sscanf(s, "%lf,%lf,%lf", &t, &w, &pf);
    if (k < 2) {
      if (lineno == 1) continue; /* a header line */
      snprintf(err, (size_t)errlen, "%s:%d: expected seconds,watts[,power_factor]", path, lineno);
      fclose(f);
      return -1;
    }
    if (t < 0 || w < 0 || w > 8000 || pf <= 0 || pf > 1 || (m.n > 0 && t < m.t_s[m.n - 1])) {
      snprintf(err, (size_t)errlen, "%s:%d: out of range or not in time order", path, lineno);
      fclose(f);
      return -1;
    }
    if (m.n >= PROFILE_MAX) break;
    m.t_s[m.n] = t;
    m.w[m.n] = w;
    m.p[m.n] = pf;
    m.n++;
  }
  fclose(f);
  if (m.n == 0) {
    snprintf(err, (size_t)errlen, "%s: no data lines", path);
    return -1;
  }
  m.playing = true;
  return 0;
}

void sim_meter_init(const board_profile_t *board, uint64_t seed, uint64_t now_us) {
  m.board = board;
  bl0937_model_params_t p;
  bl0937_model_default_params(&p);
  p.sel_high_is_voltage = board->bl0937.sel_high_is_voltage;
  m.t0_us = now_us;
  bl0937_model_init(&m.model, &p, seed, 0);
  m.profile_start_us = now_us;
  m.applied_w = -1.0;
  flt.next_stray_us = now_us + flt.stray_every_us / 2u;
  if (flt.lost_every || flt.blackout_us || flt.glitch_every || flt.stray_every_us) atexit(fault_report);
}

void sim_meter_set_load(double watts, double power_factor) {
  m.watts = watts;
  m.pf = power_factor;
  m.playing = false;
}

void sim_meter_set_voltage(double volts) {
  m.volts = volts;
}

void sim_meter_get(double *watts, double *power_factor, double *volts) {
  *watts = m.watts;
  *power_factor = m.pf;
  *volts = m.volts;
}

static void profile_step(uint64_t now_us) {
  if (!m.playing || m.n == 0) return;
  double period = m.t_s[m.n - 1] + 1.0;
  double t = (double)(now_us - m.profile_start_us) / 1e6;
  t -= period * (double)(uint64_t)(t / period);
  int i = 0;
  while (i + 1 < m.n && m.t_s[i + 1] <= t) i++;
  m.watts = m.w[i];
  m.pf = m.p[i];
}

void sim_meter_poll(uint64_t now_us) {
  if (!m.board || !m.board->bl0937.present) return;
  profile_step(now_us);
  /* the relay decides whether the load draws power; the voltage is there either way */
  bool closed = false;
  for (uint8_t i = 0; i < m.board->relay_count; i++) {
    const board_relay_t *r = &m.board->relays[i];
    closed = closed || (sim_io_output(r->pin) != r->active_low);
  }
  if (closed != m.applied_closed || m.watts != m.applied_w || m.pf != m.applied_pf || m.volts != m.applied_v) {
    bl0937_model_set_load(&m.model, closed ? m.watts : 0.0, m.volts, m.pf);
    m.applied_closed = closed;
    m.applied_w = m.watts;
    m.applied_pf = m.pf;
    m.applied_v = m.volts;
  }
  bl0937_model_set_sel(&m.model, sim_io_output(m.board->bl0937.sel));
  uint64_t limit_ns = (now_us - m.t0_us) * 1000u;
  bl0937_edge_t e;
  while (bl0937_model_next_edge(&m.model, limit_ns, &e)) fault_edge(e.ch == BL0937_CH_CF ? 0 : 1, m.t0_us + e.t_ns / 1000u);
  fault_flush(now_us);
}
