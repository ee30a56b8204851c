/* metering/bl0937.h — BL0937 / HLW8012-style pulse metering: edge timestamps in, P/V/I/energy out.
 *
 * Wiring (one meter per plug, no heap; the struct is 3.4 KB, keep it static, not on a stack):
 *   bl0937_t meter; bl0937_config_t cfg; bl0937_default_config(&cfg); bl0937_init(&meter, &cfg, hal_time_us64());
 *   bl0937_set_energy_uwh(&meter, stored_total_uwh);          // lifetime total the application persisted
 *   hal_gpio_set_edge_handler(PIN_CF,  HAL_EDGE_FALLING, bl0937_isr_cf,  &meter);
 *   hal_gpio_set_edge_handler(PIN_CF1, HAL_EDGE_FALLING, bl0937_isr_cf1, &meter);
 *   every ~10 ms:  bl0937_reading_t r; bl0937_tick(&meter, hal_time_us64(), &r); hal_gpio_write(PIN_SEL, r.sel_level);
 *
 * The ISRs only store the 32-bit µs timestamp in a lock-free single-producer ring per channel (the
 * tick is the only consumer); all maths runs in bl0937_tick() in single-precision float. The 32-bit
 * ISR timestamps must be the low 32 bits of the clock passed to the tick (hal_time_us32/us64); the tick
 * extends them to 64 bits, so the 71.6-minute wrap is invisible. Edges must reach the tick within 35 min.
 *
 * What the tick does (design and error budget: docs/metering.md):
 *  - power: first-to-last-edge (reciprocal) average over up to span_max_us, ≥ 1 CF period; restarts at a
 *    detected load step; bounded by J_per_pulse/(time since the last edge) once an edge is overdue, so a
 *    load switched off decays at once; 0 below p_zero_w. Readings above p_max_w are not published.
 *  - edges closer than glitch_us are dropped; a single spurious edge inside a period is removed; a gap
 *    of k periods (lost edges, or edges collapsed by an interrupt blackout) is repaired with virtual
 *    edges when the load is steady on both sides.
 *  - energy = confirmed CF pulses × J per pulse, kept as an integer µWh total. A lone edge with no
 *    neighbour within J_per_pulse/p_zero_w (anti-creep) is never counted.
 *  - SEL: after every toggle CF1 edges are ignored for sel_settle_us; then CF1 periods are measured in
 *    two back-to-back segments and the value is published only when both agree (so a chip that settles
 *    slowly is waited for, not averaged in). Voltage is the resting mode and refreshes every segment;
 *    current is measured when P moved > 3 % since the last current reading or every i_refresh_us, never
 *    while P is 0 (then I = 0). Each mode is capped in time; values older than stale_us are flagged.
 */
#ifndef OBL_METERING_BL0937_H
#define OBL_METERING_BL0937_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- calibration ---------------------------------------------------------------------------------- */

/* Scale factors: physical unit per Hz of the chip output. p_w_per_hz is also the energy of one CF pulse
 * in joules. Three independent gains, because real plugs spread ±10–15 % and P ≠ V·I·gain. */
typedef struct {
  float p_w_per_hz; /* 1.70715 for 1 mΩ shunt, 1981:1 divider, Vref 1.218 V */
  float v_per_hz;   /* 0.156715 */
  float a_per_hz;   /* 0.0128700 */
} bl0937_gains_t;

/* Datasheet formulas (F_CF = 1721506·Vv·Vi/Vref², F_CF1 = 94638·Vi/Vref or 15397·Vv/Vref) for a shunt
 * (Ω), a voltage divider ratio (e.g. 1981 for 6×330 kΩ + 1 kΩ) and Vref (1.218 V BL0937, 1.1 V BL0937B).
 * Returns false (gains untouched) on non-positive inputs. */
bool bl0937_gains_from_frontend(float shunt_ohm, float divider_ratio, float vref_v, bl0937_gains_t *out);

typedef enum { BL0937_POWER = 0, BL0937_VOLTAGE = 1, BL0937_CURRENT = 2 } bl0937_quantity_t;

/* ---- configuration -------------------------------------------------------------------------------- */

typedef struct {
  bl0937_gains_t gains;
  bool sel_high_is_voltage; /* datasheet: SEL=1 → voltage; false for boards that invert SEL */
  uint32_t sel_settle_us;   /* CF1 edges ignored after each SEL toggle; 300 000 */
  uint32_t v_segment_us;    /* min length of each of the two voltage segments that must agree; 100 000 */
  uint32_t i_segment_us;    /* same for current (≥ 1 period each); 250 000 */
  uint32_t v_max_us;        /* voltage dwell cap; 2 000 000 */
  uint32_t i_max_us;        /* current dwell cap; 5 000 000 */
  uint32_t i_refresh_us;    /* current re-measured at least this often while P > 0; 8 000 000 */
  uint32_t stale_us;        /* V/I flagged stale when older; 15 000 000 (current: only while P > 0) */
  uint32_t span_max_us;     /* power averaging span; 1 000 000 */
  uint32_t glitch_us;       /* edges closer than this are noise (real edges ≥ 228 µs apart); 100 */
  float p_zero_w;           /* report 0 below; also the anti-creep limit; 0.45 W */
  float p_max_w;            /* sanity bound (30 A × 250 V = 7500 W); 8000 W */
} bl0937_config_t;

void bl0937_default_config(bl0937_config_t *cfg);

/* ---- state ------------------------------------------------------------------------------------------ */

#define BL0937_RING_LEN 256u /* per channel, power of two: 59 ms of CF at 30 A, 160 ms of CF1 at 250 V */
#define BL0937_CP_LEN 64u

typedef struct {
  volatile uint32_t head;    /* written only by the ISR */
  volatile uint32_t tail;    /* written only by the tick */
  volatile uint32_t dropped; /* ISR: edges that found the ring full (still counted as energy) */
  uint32_t t_us[BL0937_RING_LEN];
} bl0937_ring_t;

typedef struct {
  uint64_t t_us;
  uint32_t idx;
} bl0937_mark_t;

typedef struct {
  uint64_t t0_us, t1_us; /* first and last edge of the segment */
  uint32_t n;            /* intervals */
} bl0937_seg_t;

/* All fields are private to bl0937.c; only the rings are touched from interrupt context. */
typedef struct {
  bl0937_ring_t ring[2]; /* [0] CF, [1] CF1 */
  bl0937_config_t cfg;
  uint64_t now_us;
  uint32_t dropped_seen[2];
  uint32_t cf_missing;   /* dropped CF edges not yet placed in the power window */
  uint64_t cf_alive_us;  /* tick that last found the CF ring overflowed (edges arrived until then) */
  /* energy */
  uint64_t pulses;       /* confirmed CF pulses since init */
  uint64_t energy_uwh;   /* lifetime total, seeded by the application */
  uint64_t energy_frac;  /* < 2^32, fraction of a µWh */
  uint64_t uwh_q32;      /* µWh per pulse × 2^32 */
  uint64_t pulses_folded;
  /* CF edge state */
  uint64_t cf_raw_last;  /* last accepted raw edge (glitch filter) */
  bool cf_have_raw;
  uint8_t cf_state;      /* idle, lone (unconfirmed), running */
  uint8_t cf_pending;    /* edges waiting: 1; 2 = t1 maybe stray; 3 = t1 on the grid, t2 not; 4 = t1 early */
  uint64_t cf_pending_t[2];
  uint64_t last_t;       /* last committed edge */
  uint32_t idx;          /* committed edges (real + virtual) */
  bl0937_mark_t anchor;  /* start of the power span */
  bl0937_mark_t cp[BL0937_CP_LEN];
  uint32_t cp_first, cp_count;
  float prov_p_w;        /* provisional power while the span holds no interval yet */
  float p_w, p_hz;       /* last published power and its raw CF rate */
  /* CF1 / SEL */
  uint8_t mode;          /* 0 voltage, 1 current */
  uint64_t mode_start_us;
  bool cf1_have_last;
  uint64_t cf1_last;
  bl0937_seg_t seg_a, seg_b;
  float seg_s1, seg_s2;  /* Σ period, Σ (period − previous)² of the current segment (noise estimate) */
  float seg_prev_d;
  float seg_a_rel, seg_b_rel;
  float v, i, v_hz, i_hz;
  float p_at_i;          /* power when current was last measured (a change re-measures it) */
  uint64_t v_time, i_time; /* when last published (0 = never) */
  bool load_connected;     /* as last told by bl0937_set_load_connected() */
  uint64_t fresh_until_us; /* newly connected load: 0 W is "not measured yet" until then (or an edge) */
  /* counters for diagnostics */
  uint32_t glitches, spurious, repaired, creep_dropped, overrange;
} bl0937_t;

/* ---- API -------------------------------------------------------------------------------------------- */

void bl0937_init(bl0937_t *m, const bl0937_config_t *cfg, uint64_t now_us);

/* Interrupt entry points, signature of hal_edge_handler_t: meter is the bl0937_t*, t_us the 32-bit µs
 * counter at the edge. They only store the timestamp. */
void bl0937_isr_cf(void *meter, uint32_t t_us);
void bl0937_isr_cf1(void *meter, uint32_t t_us);

#define BL0937_V_VALID 0x01u   /* voltage_v has been measured at least once */
#define BL0937_I_VALID 0x02u
#define BL0937_V_STALE 0x04u   /* last voltage older than stale_us */
#define BL0937_I_STALE 0x08u
#define BL0937_P_OVERRANGE 0x10u /* the newest power was above p_max_w and was not published */
/* power_w is not a settled measurement yet: an edge waits for the next one to tell a step from a fault, the
 * span holds no interval at the current rate (right after a step or the first edge of a load), or the
 * overdue-edge bound is pulling it down (the load fell; its new level is not measured yet). A reporter that
 * waits for this to clear sends the new value and never the way there. */
#define BL0937_P_SETTLING 0x20u

typedef struct {
  float power_w;       /* active power, ≥ 0 */
  float voltage_v;     /* last published Vrms */
  float current_a;     /* last published Irms (0 while power is 0) */
  uint64_t energy_uwh; /* lifetime energy total, µWh: seed + confirmed pulses × J per pulse */
  uint64_t pulses;     /* confirmed CF pulses since init (monotonic) */
  bool sel_level;      /* level the caller must drive on SEL now */
  uint8_t flags;       /* BL0937_* above */
  bool load_connected; /* bl0937_set_load_connected() as of this reading: a reading taken before the load was
                        * switched on says nothing about it (the application reports 0 W until the next tick) */
} bl0937_reading_t;

/* Processes the queued edges up to now_us (same clock as the ISR timestamps, 64-bit) and fills *out.
 * Call every 10–100 ms from one task. Returns the SEL level to drive (also in out->sel_level). */
bool bl0937_tick(bl0937_t *m, uint64_t now_us, bl0937_reading_t *out);

/* The relay (or whatever switches the load) as the application drives it; call before each tick. When the
 * load is connected, the edges before it belong to a load that is gone: the power starts over (0 W, flagged
 * BL0937_P_SETTLING until the new load's first interval, or J / p_zero_w if no edge comes), so neither the
 * old load's decay bound nor an interval spanning the switching is ever published. Energy is not touched.
 * Never calling it keeps the meter as before. */
void bl0937_set_load_connected(bl0937_t *m, bool connected);

/* Lifetime energy: the application restores its persisted total at boot and persists
 * reading.energy_uwh (or this getter) from then on. Pulses keep counting into it. */
void bl0937_set_energy_uwh(bl0937_t *m, uint64_t total_uwh);
uint64_t bl0937_energy_uwh(const bl0937_t *m);

/* Calibration against a reference load: sets the gain of `q` so the live measurement reads `true_value`
 * (W, V or A). Needs a fresh non-zero measurement of that quantity: false (gain unchanged) otherwise.
 * Pulses already counted keep the energy they were counted with. */
bool bl0937_calibrate(bl0937_t *m, bl0937_quantity_t q, float true_value);
void bl0937_set_gains(bl0937_t *m, const bl0937_gains_t *g);
void bl0937_get_gains(const bl0937_t *m, bl0937_gains_t *g);

/* Counters since init, for diagnostics: edges closer than glitch_us, stray edges removed from a period,
 * virtual edges added for lost/latched ones, lone edges dropped by anti-creep, power readings above
 * p_max_w, edges that found an ISR ring full (those still count as energy on CF). */
typedef struct {
  uint32_t glitches, spurious, repaired, creep_dropped, overrange, ring_dropped;
} bl0937_stats_t;
void bl0937_get_stats(const bl0937_t *m, bl0937_stats_t *out);

#ifdef __cplusplus
}
#endif
#endif
