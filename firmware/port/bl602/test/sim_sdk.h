/* sim_sdk.h — host model of the SDK services under test (see sim_sdk.c). */
#ifndef OBL_BL602_TEST_SIM_SDK_H
#define OBL_BL602_TEST_SIM_SDK_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal.h"
#include "hal_boot2.h"

#define SIM_FLASH_SIZE (2u * 1024u * 1024u)
enum { SIM_RESET = 1, SIM_POWER_CUT = 2 };

typedef struct {
  bool valid;
  uint32_t age;
  int count;
  HALPartition_Entry_Config e[8];
} sim_table_t;

typedef struct {
  uint8_t flash[SIM_FLASH_SIZE];
  sim_table_t copy[2]; /* the two partition-table copies in flash */
  sim_table_t ram;     /* the copy boot2 handed to the app */
  int booted_copy;
  jmp_buf env;
  bool cut_armed;
  unsigned cut_after;
  unsigned writes, erases, pt_writes, resets, unpacks;
  bool verbose;
} sim_t;

extern sim_t sim;

/* Fresh flash and a factory partition table: ours, or OpenBeken's (FW 800/544 KiB, media, DATA). */
void sim_factory(bool openbeken_table);
/* boot2: pick the table copy (unpacking an XZ slot over the other one first), return the slot it boots. */
uint8_t sim_boot(void);
/* Writes an image into a slot the way the OTA manager would (erase, program). */
void sim_write_image(uint8_t slot, const uint8_t *data, size_t len);

#endif
