/* fake_io.h — a portable stand-in for the HAL's time and GPIO, for the behaviour modules' unit tests (which
 * also run on rv32 under qemu, where the POSIX port does not exist). Records every level a pin took. */
#ifndef OBL_FAKE_IO_H
#define OBL_FAKE_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"

#define FAKE_PINS 32
#define FAKE_HISTORY 64

typedef struct {
  bool configured_output;
  bool configured_input;
  hal_pull_t pull;
  bool level;             /* output: driven level; input: external level */
  bool external_set;      /* input driven from outside; otherwise reads its pull */
  uint8_t history[FAKE_HISTORY]; /* every level driven since reset (output config and writes) */
  uint32_t nhistory;
  uint32_t output_configs;
} fake_pin_t;

extern fake_pin_t fake_pins[FAKE_PINS];
extern uint64_t fake_now_us;

void fake_io_reset(void);
void fake_io_set_input(uint8_t pin, bool level);
/* True if the pin never drove a level other than `level` since reset. */
bool fake_io_only_level(uint8_t pin, bool level);

#endif
