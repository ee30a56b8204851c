/* alg.h — the one interface every metering algorithm in the bench implements (ours and the peers').
 *
 * The bench feeds edge timestamps exactly as an MCU would see them (32-bit µs counter, ISR latency,
 * blackouts) and calls tick every 10 ms with the 64-bit µs clock; the algorithm answers with what the
 * firmware would publish and the SEL level it wants. Peers are written from each project's published
 * source (facts only, our own code), all calibrated with the chip's true gains so the
 * scores show what the method adds, not a calibration offset.
 */
#ifndef OBL_BENCH_ALG_H
#define OBL_BENCH_ALG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ALG_V_STALE 0x01u
#define ALG_I_STALE 0x02u

typedef struct {
  float p_w, v_v, i_a;
  uint64_t e_uwh;   /* energy since init, µWh */
  bool sel;         /* SEL level the algorithm wants driven */
  uint8_t flags;    /* ALG_* */
} alg_out_t;

typedef struct {
  double w_per_hz, v_per_hz, a_per_hz; /* true chip gains (perfect calibration) */
  bool sel_high_is_voltage;
  uint32_t sel_settle_us; /* our core's settle parameter (peers have theirs hard-coded) */
} alg_cfg_t;

#define ALG_STATE_MAX 8192

typedef struct {
  const char *name;
  double settle_s; /* how long after a change its reports can be right (scenario 1 scores after it) */
  double boot_s;   /* reports it skips after init (ESPHome skips its first 2 updates); runs warm up this long */
  void (*init)(void *st, const alg_cfg_t *cfg, uint64_t t_us);
  void (*edge)(void *st, int ch, uint32_t t_us); /* ch 0 = CF, 1 = CF1 */
  void (*tick)(void *st, uint64_t t_us, alg_out_t *out);
} alg_t;

extern const alg_t alg_ours, alg_tasmota, alg_obk, alg_esphome_1s, alg_esphome_60s, alg_xose, alg_tuya;
/* In print order: ours first. */
extern const alg_t *const alg_all[];
extern const unsigned alg_count;

#endif
