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

#endif
