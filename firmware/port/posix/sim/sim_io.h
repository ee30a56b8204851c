/* sim_io.h — what the simulated plug needs from the POSIX GPIO port: drive input pins (BL0937 edges, the
 * button) and read output pins (relay, LED, SEL). One file (sim_io.c) maps it onto port/posix/hal_io. */
#ifndef OBL_SIM_IO_H
#define OBL_SIM_IO_H

#include <stdbool.h>
#include <stdint.h>

/* An edge on an input pin at time t_us (hal_time_us64 clock): the pin's edge handler runs as from an ISR. */
void sim_io_edge(uint8_t pin, bool rising, uint64_t t_us);
/* Sets an input pin's level (the button). */
void sim_io_set_input(uint8_t pin, bool level);
/* The level the firmware drives on an output pin. */
bool sim_io_output(uint8_t pin);
/* How often an output pin changed level since boot (the relay's switchings). */
uint32_t sim_io_output_switches(uint8_t pin);

#endif
