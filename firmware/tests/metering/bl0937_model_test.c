/* The BL0937 chip model: rates from the datasheet gains, anti-creep, SEL lag, and golden CRCs of its
 * edge streams (PORTABLE: the same constants are checked on the host and on rv32 under qemu). */
#include "bl0937_model.h"
#include "unit.h"

#define GOLDEN_N_CF 3633u
#define GOLDEN_N_CF1 15556u
#define GOLDEN_CRC 2951228060u

static uint32_t crc32_update(uint32_t crc, const void *data, unsigned len) {
  const uint8_t *b = data;
  crc = ~crc;
  for (unsigned i = 0; i < len; i++) {
    crc ^= b[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

typedef struct {
  uint64_t n[2], first[2], last[2];
  uint32_t crc;
} tally_t;

/* Advances to t_end in 10 ms steps, SEL toggled every sel_every_ms (0 = never). */
static void run(bl0937_model_t *m, uint64_t t_end, uint32_t sel_every_ms, tally_t *t) {
  bl0937_edge_t e;
  for (uint64_t now = bl0937_model_now_ns(m) + 10000000u; now <= t_end; now += 10000000u) {
    while (bl0937_model_next_edge(m, now, &e)) {
      CHECK(e.t_ns <= now);
      if (t->n[e.ch] == 0) t->first[e.ch] = e.t_ns;
      CHECK(t->n[e.ch] == 0 || e.t_ns > t->last[e.ch]);
      t->last[e.ch] = e.t_ns;
      t->n[e.ch]++;
      uint8_t rec[9] = {(uint8_t)e.ch};
      for (int i = 0; i < 8; i++) rec[1 + i] = (uint8_t)(e.t_ns >> (8 * i));
      t->crc = crc32_update(t->crc, rec, sizeof rec);
    }
    if (sel_every_ms && (now / 1000000u) % sel_every_ms == 0) bl0937_model_set_sel(m, !m->sel);
  }
}

static double rate(const tally_t *t, int ch) {
  return (double)(t->n[ch] - 1) / ((double)(t->last[ch] - t->first[ch]) * 1e-9);
}

static void test_cf_rate_follows_datasheet_gain(void) {
  bl0937_model_params_t p;
  bl0937_model_default_params(&p);
  bl0937_model_t m;
  bl0937_model_init(&m, &p, 1, 0);
  bl0937_model_set_load(&m, 1000.0, 230.0, 1.0);
  tally_t t = {0};
  run(&m, 20000000000ull, 0, &t);
  CHECK_NEAR(rate(&t, 0), 585.8, 585.8 * 2e-5);
  CHECK_EQ_U64(bl0937_model_emitted(&m, BL0937_CH_CF), t.n[0]);
}

static void test_cf1_follows_sel(void) {
  bl0937_model_params_t p;
  bl0937_model_default_params(&p);
  p.sel_tau_ns = 0;
  bl0937_model_t m;
  bl0937_model_init(&m, &p, 2, 0);
  bl0937_model_set_load(&m, 2300.0, 230.0, 0.5); /* I = 20 A */
  bl0937_model_set_sel(&m, true);
  tally_t v = {0}, i = {0};
  run(&m, 5000000000ull, 0, &v);
  bl0937_model_set_sel(&m, false);
  run(&m, 10000000000ull, 0, &i);
  CHECK_NEAR(rate(&v, 1), 230.0 * 6.381, 0.1);
  CHECK_NEAR(rate(&i, 1), 20.0 * 77.70, 0.2);
}

static void test_anti_creep_and_stray_edges(void) {
  bl0937_model_params_t p;
  bl0937_model_default_params(&p);
  bl0937_model_t m;
  bl0937_model_init(&m, &p, 3, 0);
  bl0937_model_set_load(&m, 0.3, 230.0, 1.0); /* below the 0.4 W creep threshold */
  tally_t t = {0};
  run(&m, 60000000000ull, 0, &t);
  CHECK_EQ_U64(t.n[0], 0);
  p.spurious_every_ns = 10000000000ull;
  bl0937_model_init(&m, &p, 3, 0);
  bl0937_model_set_load(&m, 0.0, 230.0, 1.0);
  tally_t s = {0};
  run(&m, 100000000000ull, 0, &s);
  CHECK(s.n[0] >= 6 && s.n[0] <= 14);
}

static void test_sel_settles_with_first_order_lag(void) {
  bl0937_model_params_t p;
  bl0937_model_default_params(&p);
  p.ripple = 0;
  bl0937_model_t m;
  bl0937_model_init(&m, &p, 4, 0);
  bl0937_model_set_load(&m, 230.0, 230.0, 1.0); /* 1 A: 77.7 Hz current, 1467.6 Hz voltage */
  bl0937_model_set_sel(&m, true);
  tally_t a = {0};
  run(&m, 2000000000ull, 0, &a);
  bl0937_model_set_sel(&m, false);
  tally_t early = {0}, late = {0};
  run(&m, 2100000000ull, 0, &early); /* first τ: still far above 77.7 Hz */
  run(&m, 2600000000ull, 0, &late);
  tally_t skip = {0}, settled = {0};
  run(&m, 3100000000ull, 0, &skip); /* 11 τ: the residual is 0.02 Hz and falling */
  run(&m, 5100000000ull, 0, &settled);
  CHECK(rate(&early, 1) > 500.0);
  CHECK(rate(&late, 1) < rate(&early, 1));
  CHECK_NEAR(rate(&settled, 1), 77.70, 0.01);
  (void)skip;
}

/* Golden streams: any change to the model's arithmetic shows here, and host and rv32 must agree. */
static void test_golden_stream_crc(void) {
  bl0937_model_params_t p;
  bl0937_model_default_params(&p);
  p.ripple = 0.02;
  p.phase_noise_ns = 1000;
  p.spurious_every_ns = 3000000000ull;
  bl0937_model_t m;
  bl0937_model_init(&m, &p, 42, 0);
  tally_t t = {0};
  bl0937_model_set_load(&m, 0.0, 230.0, 1.0);
  run(&m, 7000000000ull, 1000, &t);
  bl0937_model_set_load(&m, 1234.5, 228.0, 0.9);
  run(&m, 12000000000ull, 1000, &t);
  bl0937_model_set_load(&m, 3.3, 241.0, 0.6);
  run(&m, 20000000000ull, 700, &t);
  CHECK_EQ_U64(t.n[0], GOLDEN_N_CF);
  CHECK_EQ_U64(t.n[1], GOLDEN_N_CF1);
  CHECK_EQ_U64(t.crc, GOLDEN_CRC);
}

int main(void) {
  RUN(test_cf_rate_follows_datasheet_gain);
  RUN(test_cf1_follows_sel);
  RUN(test_anti_creep_and_stray_edges);
  RUN(test_sel_settles_with_first_order_lag);
  RUN(test_golden_stream_crc);
  return unit_report();
}
