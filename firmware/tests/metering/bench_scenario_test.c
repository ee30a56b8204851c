/* One bench scenario (§4 scenario 2: steps 0 → 2000 → 5 → 0 → 5 → 2000 W, SEL feedback, jitter) run
 * through the real obl_metering core. The CRC of every value it reported is a golden constant: the host
 * build and the rv32imafc build under qemu check the same number, so single-precision float on the
 * BL602's FPU reports exactly what the host tests saw. (Update the constant when the core changes on
 * purpose; both platforms must still agree.) PORTABLE. */
#include "bench.h"
#include "unit.h"

#define GOLDEN_CRC_CF 536466235u
#define GOLDEN_CRC_OUT 1010381652u

static void test_steps_scenario_bit_identical(void) {
  bench_opts_t o;
  bench_default_opts(&o);
  bench_report_t rep;
  bench_scenarios(&alg_ours, &o, 1u << 1, &rep);
  CHECK_EQ_U64(rep.crc_cf[2], GOLDEN_CRC_CF);
  CHECK_EQ_U64(rep.crc_out, GOLDEN_CRC_OUT);
  unsigned checked = 0;
  for (unsigned t = 0; t < bench_target_count; t++) {
    for (unsigned m = 0; m < rep.n; m++) {
      if (rep.m[m].id[0] != bench_targets[t].id[0]) continue;
      const char *a = rep.m[m].id, *b = bench_targets[t].id;
      while (*a && *a == *b) a++, b++;
      if (*a || *b) continue;
      CHECK(bench_target_pass(&bench_targets[t], rep.m[m].value));
      checked++;
    }
  }
  CHECK_EQ_INT(checked, 5); /* the three S2 step targets, worst settled reading, published spikes */
}

int main(void) {
  RUN(test_steps_scenario_bit_identical);
  return unit_report();
}
