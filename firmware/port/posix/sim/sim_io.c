/* sim_io.c — sim_io.h over the POSIX port's GPIO hooks (port/posix/hal_io/posix_io.h). */
#include "sim_io.h"

#include "posix_io.h"

void sim_io_edge(uint8_t pin, bool rising, uint64_t t_us) {
  (void)posix_io_edge(pin, rising, t_us);
}

void sim_io_set_input(uint8_t pin, bool level) {
  (void)posix_io_set_input(pin, level);
}

bool sim_io_output(uint8_t pin) {
  return posix_io_output(pin);
}

uint32_t sim_io_output_switches(uint8_t pin) {
  uint32_t levels = posix_io_output_changes(pin); /* 1 for the level it was configured at */
  return levels ? levels - 1u : 0u;
}
