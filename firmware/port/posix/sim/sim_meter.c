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
  while (bl0937_model_next_edge(&m.model, limit_ns, &e)) {
    uint8_t pin = e.ch == BL0937_CH_CF ? m.board->bl0937.cf : m.board->bl0937.cf1;
    uint64_t t_us = m.t0_us + e.t_ns / 1000u;
    /* the chip's outputs are short active-high pulses: the falling edge is the one the firmware counts */
    sim_io_edge(pin, true, t_us);
    sim_io_edge(pin, false, t_us);
  }
}
