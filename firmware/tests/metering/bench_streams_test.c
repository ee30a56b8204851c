/* Golden CRCs of the chip's CF edge streams of every bench scenario (§4: "publish a CRC of each generated
 * edge stream"). They do not depend on the algorithm, so a change here means the chip model or a scenario
 * changed, and every published bench number with it. Host only (it simulates ~2 h of edges). */
#include "bench.h"
#include "unit.h"

#define GOLDEN_S1 1308380616u
#define GOLDEN_S2 536466235u
#define GOLDEN_S3 3280401497u
#define GOLDEN_S4 2496481730u
#define GOLDEN_S5 2090656359u
#define GOLDEN_S6 3517833128u

static const uint32_t golden_cf[7] = {0, GOLDEN_S1, GOLDEN_S2, GOLDEN_S3, GOLDEN_S4, GOLDEN_S5, GOLDEN_S6};

static void test_scenario_streams_are_golden(void) {
  bench_opts_t o;
  bench_default_opts(&o);
  bench_report_t rep;
  bench_scenarios(&alg_ours, &o, 0x3Fu, &rep); /* CF does not depend on SEL; ours runs the default lengths */
  for (unsigned s = 1; s <= 6; s++) {
    if (rep.crc_cf[s] != golden_cf[s]) unit_fail(__FILE__, __LINE__, "scenario %u CF stream CRC %lu", s, (unsigned long)rep.crc_cf[s]);
  }
}

int main(void) {
  RUN(test_scenario_streams_are_golden);
  return unit_report();
}
