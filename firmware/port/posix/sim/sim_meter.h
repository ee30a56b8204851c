/* sim_meter.h — the simulated BL0937: the bench's chip model (firmware/bench/model) turns the load into
 * CF/CF1 pulse edges in real time, delivered through the GPIO port to the real metering code. */
#ifndef OBL_SIM_METER_H
#define OBL_SIM_METER_H

#include <stdbool.h>
#include <stdint.h>

#include "board/board.h"

/* Loads a profile CSV of "seconds,watts[,power_factor]" lines (played in a loop). 0, or -1 with a message. */
int sim_meter_load_profile(const char *path, char *err, int errlen);
void sim_meter_init(const board_profile_t *board, uint64_t seed, uint64_t now_us);
void sim_meter_set_load(double watts, double power_factor); /* stops a profile */
void sim_meter_set_voltage(double volts);
void sim_meter_get(double *watts, double *power_factor, double *volts);
/* Generates edges up to now_us; the load flows only while the relay output is closed. */
void sim_meter_poll(uint64_t now_us);

/* Edge faults between the chip and the MCU (docs/protocol.md §12), as in the metering bench:
 *   --fault-lost-every N        every Nth CF and CF1 edge never reaches the MCU
 *   --fault-blackout-ms MS      interrupts masked for MS ...
 *   --fault-blackout-every-s S  ... every S seconds: each pin latches one edge, stamped when they unmask
 *   --fault-glitch-every N      every Nth CF edge gets a twin 3 µs later
 *   --fault-stray-every-s S     a stray CF edge (noise, not a chip pulse) every S seconds
 * Returns true when `opt` is one of them (then `val` was its value); a bad value ends the process (exit 2). */
bool sim_meter_fault_option(const char *opt, const char *val);
/* The usage line of the options above. */
const char *sim_meter_fault_usage(void);

#endif
