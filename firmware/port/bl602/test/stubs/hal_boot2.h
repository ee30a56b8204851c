/* Host stand-in for the SDK's hal_boot2.h: the declarations port_boot.c/port_flash.c use, written from
 * the SDK's documented API (names, field layout), implemented by ../sim_sdk.c. */
#ifndef TEST_STUB_HAL_BOOT2_H
#define TEST_STUB_HAL_BOOT2_H
#include <stdint.h>
typedef struct {
  uint8_t type;
  uint8_t device;
  uint8_t activeIndex;
  uint8_t name[9];
  uint32_t Address[2];
  uint32_t maxLen[2];
  uint32_t len;
  uint32_t age;
} HALPartition_Entry_Config;
#define BOOT2_PARTITION_TYPE_FW (0)
int hal_boot2_partition_addr(const char *name, uint32_t *addr0, uint32_t *addr1, uint32_t *size0, uint32_t *size1,
                             int *active);
int hal_boot2_get_active_entries(int type, HALPartition_Entry_Config *ptEntry);
int hal_boot2_update_ptable(HALPartition_Entry_Config *ptEntry);
#endif
