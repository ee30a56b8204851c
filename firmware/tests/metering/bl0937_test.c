/* obl_metering: one test per promise of metering/bl0937.h. Edges are synthesised with exact integer
 * periods, so expected values are known to the last digit; PORTABLE (runs on rv32 under qemu too). */
#include <stdio.h>
#include <string.h>

#include "metering/bl0937.h"
#include "unit.h"

#define J_PER_PULSE 1.70715f /* default gain: W per CF Hz */
#define HZ_PER_V 6.3810f
#define HZ_PER_A 77.700f

/* ---- a rig: a meter, a clock and two edge trains ---------------------------------------------------- */

static bl0937_t M;
static bl0937_reading_t R;
static uint64_t t_ns;         /* simulated time */
static uint64_t clock_off;    /* µs counter value at t = 0 */
static uint64_t cf_next, cf_period; /* ns; period 0 = silent */
static uint64_t cf1_next, v_period, i_period;
static bool sel;
static uint32_t cf_sent;

static uint64_t period_ns(double hz) { return hz > 0 ? (uint64_t)(1e9 / hz + 0.5) : 0; }

static void rig_init(uint64_t offset_us) {
  bl0937_config_t c;
  bl0937_default_config(&c);
  t_ns = 0;
  clock_off = offset_us;
  bl0937_init(&M, &c, clock_off);
  memset(&R, 0, sizeof R);
  cf_next = cf1_next = 0;
  cf_period = v_period = i_period = 0;
  sel = true;
  cf_sent = 0;
}

static uint32_t stamp(uint64_t ns) { return (uint32_t)(ns / 1000u + clock_off); }

static void rig_load(double watts, double volts) {
  uint64_t p = period_ns(watts / J_PER_PULSE);
  if (p && !cf_period) cf_next = t_ns + p / 3; /* arbitrary phase for a new load */
  cf_period = p;
  v_period = period_ns(volts * HZ_PER_V);
  i_period = volts > 0 ? period_ns(watts / volts * HZ_PER_A) : 0;
  if (!cf1_next) cf1_next = t_ns + 100000;
}

/* Runs `ms` of 10 ms ticks, edges delivered before each tick; SEL feeds back. */
static void rig_run(uint32_t ms) {
  for (uint32_t k = 0; k < ms / 10u; k++) {
    uint64_t end = t_ns + 10000000u;
    while (cf_period && cf_next <= end) {
      bl0937_isr_cf(&M, stamp(cf_next));
      cf_sent++;
      cf_next += cf_period;
    }
    for (;;) {
      uint64_t p = sel ? v_period : i_period;
      if (!p) {
        cf1_next = end + 1;
        break;
      }
      if (cf1_next > end) break;
      bl0937_isr_cf1(&M, stamp(cf1_next));
      cf1_next += p;
    }
    t_ns = end;
    bool s = bl0937_tick(&M, t_ns / 1000u + clock_off, &R);
    if (s != sel) cf1_next = t_ns + (s ? v_period : i_period); /* new mode starts a fresh period */
    sel = s;
  }
}

static double rel(double got, double want) { return want != 0 ? (got - want) / want : got; }

/* ---- tests ------------------------------------------------------------------------------------------- */

static void test_datasheet_gains(void) {
  bl0937_gains_t g;
  CHECK(bl0937_gains_from_frontend(0.001f, 1981.0f, 1.218f, &g));
  CHECK_NEAR(g.p_w_per_hz, 1.70715, 1e-4);
  CHECK_NEAR(g.v_per_hz, 0.156715, 1e-5);
  CHECK_NEAR(g.a_per_hz, 0.0128700, 1e-6);
  bl0937_gains_t b; /* BL0937B: same formulas, Vref 1.1 V → ×1.226 CF and ×1.107 CF1 pulses */
  CHECK(bl0937_gains_from_frontend(0.001f, 1981.0f, 1.1f, &b));
  CHECK_NEAR(g.p_w_per_hz / b.p_w_per_hz, 1.2260, 1e-3);
  CHECK_NEAR(g.v_per_hz / b.v_per_hz, 1.1073, 1e-3);
  CHECK(!bl0937_gains_from_frontend(0.0f, 1981.0f, 1.218f, &b));
  bl0937_config_t c;
  bl0937_default_config(&c);
  CHECK_NEAR(c.gains.p_w_per_hz, g.p_w_per_hz, 0);
}

static void test_no_load_reads_zero_and_keeps_voltage_mode(void) {
  rig_init(0);
  rig_load(0, 230);
  rig_run(5000);
  CHECK_EQ_INT(R.power_w, 0);
  CHECK_EQ_U64(R.energy_uwh, 0);
  CHECK(R.sel_level); /* voltage: datasheet SEL=1 */
  CHECK(R.flags & BL0937_V_VALID);
  CHECK_NEAR(R.voltage_v, 230.0, 230.0 * 1e-4);
  CHECK_EQ_INT(R.current_a, 0);
}

static void test_steady_power_is_period_exact(void) {
  static const double loads[] = {1, 5, 100, 3680};
  for (unsigned i = 0; i < 4; i++) {
    rig_init(0);
    rig_load(loads[i], 230);
    rig_run(8000);
    double want = J_PER_PULSE * 1e9 / (double)cf_period; /* what the integer period encodes */
    CHECK_NEAR(rel(R.power_w, want), 0, 2e-4);
  }
}

static void test_timer_wrap_is_invisible(void) {
  rig_init(0x100000000ull - 3000000u); /* 32-bit µs counter wraps 3 s in */
  rig_load(1000, 230);
  rig_run(8000);
  double want = J_PER_PULSE * 1e9 / (double)cf_period;
  CHECK_NEAR(rel(R.power_w, want), 0, 1e-4);
  CHECK_EQ_U64(R.pulses, cf_sent);
  CHECK(R.flags & BL0937_V_VALID);
  CHECK_NEAR(R.voltage_v, 230.0, 0.05);
}

/* Seconds until |P − want| ≤ tol and stays so for the rest of `ms`. */
static double settle_after(double want, double tol, uint32_t ms) {
  double last_out = -1, t0 = (double)t_ns * 1e-9;
  for (uint32_t k = 0; k < ms / 10u; k++) {
    rig_run(10);
    double d = R.power_w - want;
    if (d > tol || d < -tol) last_out = (double)t_ns * 1e-9 - t0;
  }
  return last_out + 0.01;
}

static void test_steps_up_down_and_off(void) {
  rig_init(0);
  rig_load(0, 230);
  rig_run(2000);
  rig_load(2000, 230);
  CHECK(settle_after(2000, 20, 5000) <= 0.2);
  rig_load(5, 230);
  CHECK(settle_after(5, 0.05, 10000) <= 0.7);
  rig_load(0, 230);
  CHECK(settle_after(0, 0.5, 10000) <= 3.5);
  CHECK_EQ_INT(R.power_w, 0);
  rig_load(5, 230);
  double up = settle_after(5, 0.05, 10000);
  CHECK(up <= 0.75); /* two CF periods after the load appears */
  rig_load(10, 230);  /* doubling: must not be mistaken for spurious edges */
  CHECK(settle_after(10, 0.1, 10000) <= 0.9); /* old period + 3 new: the 3rd edge tells a doubling from a stray edge */
  CHECK_EQ_U64(R.pulses, cf_sent);
}

/* Every reading not flagged BL0937_P_SETTLING is the old load or the new one (a reporter that waits for the
 * flag sends no value from the way between), and the flag clears within the meter's settle time. */
static void step_is_settled_or_flagged(double from_w, double to_w, double settle_s) {
  rig_init(0);
  rig_load(from_w, 230);
  rig_run(3000);
  CHECK(!(R.flags & BL0937_P_SETTLING));
  rig_load(to_w, 230);
  double t0 = (double)t_ns * 1e-9, settled_at = -1;
  int wrong = 0, flagged = 0;
  for (int k = 0; k < 600; k++) {
    rig_run(10);
    double old_d = R.power_w - from_w, new_d = R.power_w - to_w;
    bool is_old = old_d < 0.01 * from_w + 0.5 && old_d > -0.01 * from_w - 0.5;
    bool is_new = new_d < 0.01 * to_w + 0.5 && new_d > -0.01 * to_w - 0.5;
    if (R.flags & BL0937_P_SETTLING) {
      flagged++;
      settled_at = -1;
    } else {
      if (!is_old && !is_new) wrong++;
      if (is_new && settled_at < 0) settled_at = (double)t_ns * 1e-9 - t0;
    }
  }
  printf("%g -> %g W: unflagged wrong readings %d, flagged ticks %d, settled after %.2f s\n", from_w, to_w, wrong,
         flagged, settled_at);
  CHECK_EQ_INT(wrong, 0);
  CHECK(settled_at >= 0 && settled_at <= settle_s);
}

static void test_settling_flag_covers_every_transient(void) {
  step_is_settled_or_flagged(1500, 100, 0.1);
  step_is_settled_or_flagged(2000, 5, 0.75);
  step_is_settled_or_flagged(0, 2000, 0.05);
  step_is_settled_or_flagged(100, 1500, 0.05);
  step_is_settled_or_flagged(5, 10, 0.9);
  step_is_settled_or_flagged(2000, 0, 4.0); /* only "no edge for J / 0.45 W" proves the load is gone */
}

static void test_steady_load_is_never_flagged_settling(void) {
  static const double loads[] = {1, 5, 100, 3680};
  for (unsigned i = 0; i < 4; i++) {
    rig_init(0);
    rig_load(loads[i], 230);
    rig_run(5000);
    int flagged = 0;
    for (int k = 0; k < 500; k++) {
      rig_run(10);
      flagged += (R.flags & BL0937_P_SETTLING) != 0;
    }
    CHECK_EQ_INT(flagged, 0);
  }
}

/* Relay off for 2.4 s, then on with a 1000 W load: the old load's decay bound (0.7 W by then) is never the
 * reading after the switch-on; it reads 0 flagged settling until the new load's first interval, then 1000 W. */
static void test_switch_on_never_reads_the_old_decay(void) {
  rig_init(0);
  bl0937_set_load_connected(&M, true);
  rig_load(1000, 230);
  rig_run(3000);
  bl0937_set_load_connected(&M, false);
  rig_load(0, 230);
  rig_run(2400);
  CHECK(R.power_w > 0.5f && R.power_w < 1.0f); /* the decay bound a reporter must not show */
  CHECK(R.flags & BL0937_P_SETTLING);
  bl0937_set_load_connected(&M, true);
  rig_run(10); /* contacts closing: no edge yet (what a relay report right after the command carries) */
  CHECK(R.power_w == 0.0f);
  CHECK(R.flags & BL0937_P_SETTLING);
  rig_load(1000, 230);
  double settled_at = -1, t0 = (double)t_ns * 1e-9;
  int other = 0;
  for (int k = 0; k < 100; k++) {
    rig_run(10);
    bool is_new = R.power_w > 990.0f && R.power_w < 1010.0f;
    if (!is_new && R.power_w != 0.0f) other++;
    if (!is_new && !(R.flags & BL0937_P_SETTLING)) other++;
    if (is_new && settled_at < 0 && !(R.flags & BL0937_P_SETTLING)) settled_at = (double)t_ns * 1e-9 - t0;
  }
  printf("switch-on 1000 W: other readings %d, settled after %.2f s\n", other, settled_at);
  CHECK_EQ_INT(other, 0);
  CHECK(settled_at >= 0 && settled_at <= 0.03);
  CHECK_EQ_U64(R.pulses, cf_sent); /* energy untouched */
  /* no load behind the relay: 0 W, settled once no edge came for J / p_zero_w */
  bl0937_set_load_connected(&M, false);
  rig_load(0, 230);
  rig_run(5000);
  bl0937_set_load_connected(&M, true);
  rig_run(10);
  CHECK(R.flags & BL0937_P_SETTLING);
  rig_run(4000);
  CHECK_EQ_INT(R.power_w, 0);
  CHECK(!(R.flags & BL0937_P_SETTLING));
}

static void test_sel_cycles_voltage_and_current(void) {
  rig_init(0);
  rig_load(230, 230); /* 1 A */
  unsigned toggles = 0;
  bool last = true;
  for (int k = 0; k < 2000; k++) { /* 20 s */
    rig_run(10);
    if (R.sel_level != last) toggles++;
    last = R.sel_level;
  }
  CHECK(toggles >= 2);
  CHECK((R.flags & (BL0937_V_VALID | BL0937_I_VALID)) == (BL0937_V_VALID | BL0937_I_VALID));
  CHECK(!(R.flags & (BL0937_V_STALE | BL0937_I_STALE)));
  CHECK_NEAR(R.voltage_v, 230.0, 230 * 2e-4);
  CHECK_NEAR(R.current_a, 1.0, 2e-4);
  /* A load change re-measures current within a few seconds. */
  rig_load(460, 230);
  rig_run(4000);
  CHECK_NEAR(R.current_a, 2.0, 4e-4);
}

static void test_cf1_edges_in_settle_window_are_ignored(void) {
  /* Board with inverted SEL: the meter must drive the opposite level and still read correctly. */
  bl0937_config_t c;
  bl0937_default_config(&c);
  c.sel_high_is_voltage = false;
  t_ns = 0;
  clock_off = 0;
  bl0937_init(&M, &c, 0);
  bl0937_reading_t r;
  CHECK(!bl0937_tick(&M, 0, &r)); /* voltage = low on this board */
  /* 250 ms of a wildly wrong rate (the previous mode), then the true voltage rate. */
  uint64_t t = 1000;
  for (; t < 250000; t += 100) bl0937_isr_cf1(&M, (uint32_t)t);
  uint64_t vp = (uint64_t)(1e6 / (230.0 * HZ_PER_V));
  for (uint64_t now = 10000; now <= 2000000; now += 10000) {
    for (; t <= now; t += vp) bl0937_isr_cf1(&M, (uint32_t)t);
    bl0937_tick(&M, now, &r);
  }
  CHECK(r.flags & BL0937_V_VALID);
  CHECK_NEAR(r.voltage_v, 1e6 / (double)vp / HZ_PER_V, 0.01);
}

static void test_calibration_from_reference_load(void) {
  rig_init(0);
  CHECK(!bl0937_calibrate(&M, BL0937_POWER, 100.0f)); /* nothing measured yet */
  rig_load(230, 230);
  rig_run(12000);
  /* Suppose the reference meter says the load is 5 % more than we read. */
  float p = R.power_w, v = R.voltage_v, i = R.current_a;
  CHECK(bl0937_calibrate(&M, BL0937_POWER, p * 1.05f));
  CHECK(bl0937_calibrate(&M, BL0937_VOLTAGE, v * 0.98f));
  CHECK(bl0937_calibrate(&M, BL0937_CURRENT, i * 1.10f));
  CHECK(!bl0937_calibrate(&M, BL0937_CURRENT, -1.0f));
  rig_run(12000);
  CHECK_NEAR(rel(R.power_w, p * 1.05), 0, 2e-4);
  CHECK_NEAR(rel(R.voltage_v, v * 0.98), 0, 2e-4);
  CHECK_NEAR(rel(R.current_a, i * 1.10), 0, 4e-4);
  bl0937_gains_t g;
  bl0937_get_gains(&M, &g);
  CHECK_NEAR(g.p_w_per_hz, J_PER_PULSE * 1.05, 1e-3);
}

static void test_glitch_twins_are_dropped(void) {
  rig_init(0);
  rig_load(100, 230);
  for (int k = 0; k < 500; k++) { /* every edge followed by a 3 µs twin */
    uint64_t end = t_ns + 10000000u;
    while (cf_next <= end) {
      bl0937_isr_cf(&M, stamp(cf_next));
      bl0937_isr_cf(&M, stamp(cf_next + 3000));
      cf_sent++;
      cf_next += cf_period;
    }
    t_ns = end;
    bl0937_tick(&M, t_ns / 1000u, &R);
  }
  CHECK_NEAR(rel(R.power_w, J_PER_PULSE * 1e9 / (double)cf_period), 0, 2e-4);
  CHECK_EQ_U64(R.pulses, cf_sent);
}

static void test_lost_and_spurious_edges_are_repaired(void) {
  rig_init(0);
  rig_load(50, 230);
  rig_run(3000);
  uint64_t truth = cf_sent;
  for (int k = 0; k < 1000; k++) { /* 10 s: every 37th edge lost, a stray edge mid-period every 41st */
    uint64_t end = t_ns + 10000000u;
    while (cf_next <= end) {
      truth++;
      if (truth % 37 != 0) bl0937_isr_cf(&M, stamp(cf_next));
      if (truth % 41 == 0) bl0937_isr_cf(&M, stamp(cf_next + cf_period / 3));
      cf_next += cf_period;
    }
    t_ns = end;
    bl0937_tick(&M, t_ns / 1000u, &R);
  }
  CHECK_EQ_U64(R.pulses, truth);
  bl0937_stats_t st;
  bl0937_get_stats(&M, &st);
  CHECK(st.repaired > 0 && st.spurious > 0);
  CHECK_NEAR(rel(R.power_w, J_PER_PULSE * 1e9 / (double)cf_period), 0, 1e-3);
}

static void test_blackout_latched_edge_is_repaired(void) {
  rig_init(0);
  rig_load(3680, 230);
  rig_run(2000);
  uint64_t truth = cf_sent;
  uint64_t b0 = t_ns + 3000000, b1 = b0 + 10000000; /* a 10 ms blackout inside the next tick pair */
  bool latched = false;
  for (int k = 0; k < 100; k++) {
    uint64_t end = t_ns + 10000000u;
    while (cf_next <= end) {
      truth++;
      if (cf_next >= b0 && cf_next < b1) {
        latched = true; /* the pin latches one edge; the rest are lost */
      } else {
        if (latched && cf_next >= b1) {
          bl0937_isr_cf(&M, stamp(b1));
          latched = false;
        }
        bl0937_isr_cf(&M, stamp(cf_next));
      }
      cf_next += cf_period;
    }
    t_ns = end;
    bl0937_tick(&M, t_ns / 1000u, &R);
  }
  CHECK_EQ_U64(R.pulses, truth);
}

static void test_lone_stray_edges_make_no_power_or_energy(void) {
  rig_init(0);
  rig_load(0, 230);
  for (int k = 0; k < 10; k++) {
    bl0937_isr_cf(&M, stamp(t_ns + 5000000));
    for (int j = 0; j < 600; j++) { /* one stray edge a minute... 6 s here */
      rig_run(10);
      CHECK_EQ_INT(R.power_w, 0);
    }
  }
  CHECK_EQ_U64(R.energy_uwh, 0);
  CHECK_EQ_U64(R.pulses, 0);
  bl0937_stats_t st;
  bl0937_get_stats(&M, &st);
  CHECK_EQ_INT(st.creep_dropped, 10);
}

static void test_energy_seed_and_pulse_exact_total(void) {
  rig_init(0);
  bl0937_set_energy_uwh(&M, 123456789ull);
  rig_load(1000, 230);
  rig_run(30000);
  CHECK_EQ_U64(R.pulses, cf_sent);
  uint64_t want = 123456789ull + (uint64_t)((double)cf_sent * (double)J_PER_PULSE / 3600.0 * 1e6);
  bl0937_gains_t g;
  bl0937_get_gains(&M, &g);
  want = 123456789ull + (uint64_t)((double)cf_sent * (double)g.p_w_per_hz / 3600.0 * 1e6);
  CHECK_NEAR((double)R.energy_uwh, (double)want, 2.0 + (double)cf_sent * 5e-6);
  CHECK_EQ_U64(bl0937_energy_uwh(&M), R.energy_uwh);
}

static void test_ring_overflow_still_counts_energy(void) {
  rig_init(0);
  rig_load(3680, 230);
  rig_run(1000);
  /* A 300 ms stall of the tick: 650 edges for a 256-entry ring. */
  uint64_t end = t_ns + 300000000u;
  while (cf_next <= end) {
    bl0937_isr_cf(&M, stamp(cf_next));
    cf_sent++;
    cf_next += cf_period;
  }
  t_ns = end;
  bl0937_tick(&M, t_ns / 1000u, &R);
  rig_run(2000);
  CHECK_EQ_U64(R.pulses, cf_sent);
  CHECK_NEAR(rel(R.power_w, J_PER_PULSE * 1e9 / (double)cf_period), 0, 1e-3);
  bl0937_stats_t st;
  bl0937_get_stats(&M, &st);
  CHECK(st.ring_dropped > 300);
}

static void test_edge_stamped_after_now_is_accepted(void) {
  rig_init(5000000);
  rig_load(100, 230);
  rig_run(3000);
  uint64_t now = t_ns / 1000u + clock_off;
  bl0937_isr_cf(&M, (uint32_t)(now + 40)); /* ISR ran after the tick read the clock */
  bl0937_tick(&M, now, &R);
  CHECK(R.power_w > 90.0f && R.power_w < 110.0f);
}

static void test_over_range_is_not_published(void) {
  rig_init(0);
  rig_load(7000, 230);
  rig_run(2000);
  float ok = R.power_w;
  CHECK_NEAR(rel(ok, 7000), 0, 1e-3);
  rig_load(12000, 230); /* 7 kHz: the reported over-current mode */
  rig_run(2000);
  CHECK(R.flags & BL0937_P_OVERRANGE);
  CHECK(R.power_w <= 8000.0f);
  CHECK_EQ_U64(R.pulses, cf_sent); /* the pulses still count */
}

static void test_isr_fits_the_ring_contract(void) {
  rig_init(0);
  for (uint32_t i = 0; i < BL0937_RING_LEN + 10u; i++) bl0937_isr_cf1(&M, i * 1000u);
  CHECK_EQ_INT(M.ring[1].head - M.ring[1].tail, BL0937_RING_LEN);
  CHECK_EQ_INT(M.ring[1].dropped, 10);
}

int main(void) {
  RUN(test_datasheet_gains);
  RUN(test_no_load_reads_zero_and_keeps_voltage_mode);
  RUN(test_steady_power_is_period_exact);
  RUN(test_timer_wrap_is_invisible);
  RUN(test_steps_up_down_and_off);
  RUN(test_settling_flag_covers_every_transient);
  RUN(test_steady_load_is_never_flagged_settling);
  RUN(test_switch_on_never_reads_the_old_decay);
  RUN(test_sel_cycles_voltage_and_current);
  RUN(test_cf1_edges_in_settle_window_are_ignored);
  RUN(test_calibration_from_reference_load);
  RUN(test_glitch_twins_are_dropped);
  RUN(test_lost_and_spurious_edges_are_repaired);
  RUN(test_blackout_latched_edge_is_repaired);
  RUN(test_lone_stray_edges_make_no_power_or_energy);
  RUN(test_energy_seed_and_pulse_exact_total);
  RUN(test_ring_overflow_still_counts_energy);
  RUN(test_edge_stamped_after_now_is_accepted);
  RUN(test_over_range_is_not_published);
  RUN(test_isr_fits_the_ring_contract);
  return unit_report();
}
