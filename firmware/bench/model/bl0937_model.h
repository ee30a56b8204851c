/* bl0937_model.h — a deterministic BL0937 chip model: load in, CF/CF1 edge times out.
 *
 * Used by the metering benchmark (firmware/bench) and by the simulated plug (firmware/port/posix), so
 * this API is a contract: keep it stable.
 *
 * Physics (from the BL0937 datasheet, Shanghai Belling): each output is an integrate-and-fire
 * oscillator, acc += ∫ G·X(t)·(1 + r·sin(2π·2f_mains·t + φ)) dt, one edge each time acc reaches 1 (the
 * remainder is kept, so phase carries across load changes and SEL toggles like the real chip).
 *   CF : X = P (W),               G = cf_hz_per_w   (0.5858 Hz/W for 1 mΩ, 1981:1, Vref 1.218 V)
 *   CF1: X = Vrms when SEL selects voltage (6.381 Hz/V), else Irms = P/(V·PF) (77.70 Hz/A).
 * After a SEL change CF1's input moves to the new quantity with a first-order lag sel_tau_ns. CF is silent
 * below creep_w (on-chip anti-creep), CF1(I) below i_min_a. Optionally a spurious CF edge is injected at no
 * load (esphome#2699-like) and CF runs at 6.7 kHz above 30 A (reported over-current behaviour).
 *
 * Determinism: integer ns time, a seeded xoshiro256** generator, and only + − × ÷ in IEEE double (the
 * model's own cos/exp, no libm): the same seed gives the same edges bit for bit on x86-64 and on rv32
 * (soft double), as long as the build does not contract to FMA (-ffp-contract=off is global).
 *
 * Use (the model never emits an edge later than the limit it is asked for, so the caller can change
 * load or SEL between calls and the change applies from that time on):
 *
 *   bl0937_model_params_t p; bl0937_model_default_params(&p);
 *   bl0937_model_t m;        bl0937_model_init(&m, &p, seed, 0);
 *   bl0937_model_set_load(&m, 100.0, 230.0, 1.0);
 *   for (t = 0; t < end; t += 10 ms) {
 *     bl0937_edge_t e;
 *     while (bl0937_model_next_edge(&m, t, &e)) deliver(e.ch, e.t_ns);  // in time order, both channels
 *     bl0937_model_set_sel(&m, sel_level_from_firmware);                  // applies from time t
 *   }
 */
#ifndef OBL_BL0937_MODEL_H
#define OBL_BL0937_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { BL0937_CH_CF = 0, BL0937_CH_CF1 = 1 } bl0937_channel_t;

typedef struct {
  double cf_hz_per_w;         /* CF gain; 0.5858 default (datasheet formula, typical front end) */
  double cf1_hz_per_v;        /* CF1 gain in voltage mode; 6.381 */
  double cf1_hz_per_a;        /* CF1 gain in current mode; 77.70 */
  double ripple;              /* residual modulation at twice mains, fraction; 0.002 (datasheet CF ±0.2 %) */
  double ripple_phase;        /* radians at t = 0; 0.7 */
  double mains_hz;            /* 50 (ripple at 100 Hz) */
  double creep_w;             /* CF silent below this power; 0.4 W */
  double i_min_a;             /* CF1 silent in current mode below this; 0.004 A (datasheet floor) */
  uint64_t sel_tau_ns;        /* CF1 first-order settle time constant after a SEL change; 100 ms */
  uint64_t phase_noise_ns;    /* σ of white Gaussian noise on every edge time; 0 */
  uint64_t spurious_every_ns; /* mean interval of spurious CF edges while CF is silent; 0 = none */
  bool sel_high_is_voltage;   /* true: SEL=1 selects voltage (datasheet); false: inverted board */
  bool overcurrent;           /* CF at 6.7 kHz while I > 30 A; false */
} bl0937_model_params_t;

typedef struct {
  bl0937_channel_t ch;
  uint64_t t_ns; /* model time of the edge, ns since the model's origin */
} bl0937_edge_t;

#define BL0937_MODEL_TABLE 64

/* Opaque in spirit: callers use the functions below. Plain struct so it needs no heap. */
typedef struct {
  bl0937_model_params_t p;
  uint64_t rng[4];           /* CF: start phase, noise, stray edges */
  uint64_t rng1[4];          /* CF1: start phase, noise (so CF never depends on CF1) */
  uint64_t now_ns;
  double p_w, v_v, pf;       /* current load */
  bool sel;                  /* current SEL input level */
  double acc[2];             /* integrate-and-fire accumulators, pulses in [0, 1) */
  uint64_t acc_t[2];         /* time each accumulator is integrated up to */
  double cf1_from;           /* CF1 rate (Hz, before ripple) when the last SEL change began */
  uint64_t sel_change_ns;    /* time of the last SEL change */
  uint64_t last_edge_ns[2];  /* for ordering after phase noise */
  uint64_t next_spurious_ns; /* next injected spurious CF edge (0 = not scheduled) */
  uint64_t emitted[2];       /* edges emitted per channel ("pulse truth") */
  uint64_t cell_start_ns;    /* ripple cell cache: cell [start, start+len) has mean factor cell_gain */
  double cell_gain;
  uint32_t table_len;        /* cells per ripple period when whole (then gains are tabulated), else 0 */
  double table[BL0937_MODEL_TABLE];
} bl0937_model_t;

/* Datasheet defaults for a 230 V plug with 1 mΩ shunt and 1981:1 divider (see the field comments). */
void bl0937_model_default_params(bl0937_model_params_t *p);

/* Starts at time t0_ns with no load (0 W, 0 V, PF 1) and SEL low. seed picks the ripple-independent
 * randomness (accumulator start phases, noise, spurious edges). */
void bl0937_model_init(bl0937_model_t *m, const bl0937_model_params_t *p, uint64_t seed, uint64_t t0_ns);

/* Load from the model's current time on: real power (W, ≥ 0), RMS voltage (V), power factor (0 < pf ≤ 1;
 * Irms = P/(V·pf)). A voltage change also moves CF1 at once when it is in voltage mode. */
void bl0937_model_set_load(bl0937_model_t *m, double power_w, double voltage_v, double power_factor);

/* SEL input level from the model's current time on. No effect if unchanged. */
void bl0937_model_set_sel(bl0937_model_t *m, bool level);

/* The next edge on either channel at a time ≤ t_limit_ns, in time order: true and *out filled, model time
 * = the edge. false when there is none: model time = t_limit_ns (never moves backwards). */
bool bl0937_model_next_edge(bl0937_model_t *m, uint64_t t_limit_ns, bl0937_edge_t *out);

uint64_t bl0937_model_now_ns(const bl0937_model_t *m);
/* Edges emitted so far on a channel (CF count × J per pulse is the "pulse truth" energy). */
uint64_t bl0937_model_emitted(const bl0937_model_t *m, bl0937_channel_t ch);

/* Deterministic helpers shared with the MCU model and the bench (no libm, identical on every target). */
uint64_t bl0937_rng_next(uint64_t s[4]);                 /* xoshiro256** */
void bl0937_rng_seed(uint64_t s[4], uint64_t seed);       /* splitmix64 expansion */
double bl0937_rng_uniform(uint64_t s[4]);                /* [0, 1) with 53 bits */
double bl0937_rng_normal(uint64_t s[4]);                 /* N(0,1), Irwin–Hall of 12 uniforms */

#ifdef __cplusplus
}
#endif
#endif
