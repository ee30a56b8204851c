/* ESPHome hlw8012 (model BL0937), from bl0937.md §2.2: pulse counts per update_interval divided by the
 * nominal interval, ≤ 1 pulse → 0 W, first 2 updates skipped, SEL held for 9 updates of which the first
 * is discarded, energy = total pulses × multiplier. Two variants: 1 s and the 60 s default. */
#include <string.h>

#include "alg.h"

typedef struct {
  alg_cfg_t cfg;
  uint64_t interval_us, next_us;
  uint32_t cf_total, cf_last_total, cf1_count;
  uint32_t updates, nth;
  bool volt_mode;
  float p, v, i;
  uint64_t e_uwh;
} esp_t;

static void esp_init_common(esp_t *s, const alg_cfg_t *cfg, uint64_t t_us, uint64_t interval) {
  memset(s, 0, sizeof *s);
  s->cfg = *cfg;
  s->interval_us = interval;
  s->next_us = t_us + interval;
  s->volt_mode = true; /* initial_mode VOLTAGE */
}
static void esp_init_1s(void *st, const alg_cfg_t *cfg, uint64_t t_us) { esp_init_common(st, cfg, t_us, 1000000u); }
static void esp_init_60s(void *st, const alg_cfg_t *cfg, uint64_t t_us) { esp_init_common(st, cfg, t_us, 60000000u); }

static void esp_edge(void *st, int ch, uint32_t t) {
  esp_t *s = st;
  (void)t;
  if (ch == 0) s->cf_total++;
  else s->cf1_count++;
}

static void esp_update(esp_t *s) {
  double secs = (double)s->interval_us / 1e6;
  uint32_t raw = s->cf_total - s->cf_last_total, raw1 = s->cf1_count;
  s->cf_last_total = s->cf_total;
  s->cf1_count = 0;
  if (++s->updates <= 2) return; /* the first two updates after boot are skipped */
  s->p = raw <= 1 ? 0.0f : (float)(raw / secs * s->cfg.w_per_hz);
  s->e_uwh = (uint64_t)((double)s->cf_total * s->cfg.w_per_hz / 3600.0 * 1e6);
  if (s->nth > 0) { /* the first update after a toggle is discarded */
    if (s->volt_mode) s->v = (float)(raw1 / secs * s->cfg.v_per_hz);
    else s->i = (float)(raw1 / secs * s->cfg.a_per_hz);
  }
  if (++s->nth > 8) { /* change_mode_every 8 */
    s->nth = 0;
    s->volt_mode = !s->volt_mode;
  }
}

static void esp_tick(void *st, uint64_t t_us, alg_out_t *out) {
  esp_t *s = st;
  while (t_us >= s->next_us) {
    esp_update(s);
    s->next_us += s->interval_us;
  }
  out->p_w = s->p;
  out->v_v = s->v;
  out->i_a = s->i;
  out->e_uwh = s->e_uwh;
  out->sel = s->volt_mode == s->cfg.sel_high_is_voltage;
  out->flags = 0;
}

const alg_t alg_esphome_1s = {"esphome-1s", 3.0, 3.0, esp_init_1s, esp_edge, esp_tick};
const alg_t alg_esphome_60s = {"esphome-60s", 125.0, 180.0, esp_init_60s, esp_edge, esp_tick};
