/* Fuzzes obl_metering with arbitrary edge timestamps (out of order, bursts, wraps, glitches), ticks,
 * calibrations and energy seeds. Checks the promises of metering/bl0937.h: power finite, ≥ 0 and never
 * above the sanity bound, V/I finite and ≥ 0, pulses and energy monotonic between seeds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metering/bl0937.h"

static bl0937_t meter;

static int finite_nonneg(float x) { return x == x && x >= 0.0f && x < 1e30f; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  bl0937_config_t c;
  bl0937_default_config(&c);
  uint64_t now = 0xFFFF0000u; /* the 32-bit µs counter wraps early in every run */
  bl0937_init(&meter, &c, now);
  uint64_t t_edge = now, last_pulses = 0, last_energy = 0;
  for (size_t i = 0; i + 3 <= size; i += 3) {
    uint8_t op = data[i] & 7u;
    uint32_t arg = (uint32_t)data[i + 1] | (uint32_t)data[i + 2] << 8;
    switch (op) {
      case 0: case 1: case 2: /* CF edge, spacing 0–65 ms, or 0–65 µs for glitch bursts */
        t_edge += (data[i] & 8u) ? arg : (uint64_t)arg * 1000u / 64u;
        bl0937_isr_cf(&meter, (uint32_t)t_edge);
        break;
      case 3: /* CF1 edge */
        t_edge += (uint64_t)arg * 1000u / 256u;
        bl0937_isr_cf1(&meter, (uint32_t)t_edge);
        break;
      case 4: case 5: { /* tick after 0–655 ms; sometimes the clock lags the edges (ISR latency) */
        now += (uint64_t)arg * 10u;
        if (now + 100000u < t_edge) now = t_edge - (data[i] & 8u ? 50u : 0u);
        bl0937_reading_t r;
        bool sel = bl0937_tick(&meter, now, &r);
        if (sel != r.sel_level) abort();
        if (!finite_nonneg(r.power_w) || r.power_w > c.p_max_w) abort();
        if (!finite_nonneg(r.voltage_v) || !finite_nonneg(r.current_a)) abort();
        if (r.pulses < last_pulses || r.energy_uwh < last_energy) abort();
        last_pulses = r.pulses;
        last_energy = r.energy_uwh;
        break;
      }
      case 6: /* calibration against an arbitrary reference */
        (void)bl0937_calibrate(&meter, (bl0937_quantity_t)(arg % 4u), (float)(arg >> 2) * 0.37f);
        break;
      default: /* the application restores its persisted total */
        bl0937_set_energy_uwh(&meter, (uint64_t)arg * 1000003u);
        last_energy = bl0937_energy_uwh(&meter);
        break;
    }
  }
  return 0;
}
