/* port.h — what the BL602 port's own files share. Not part of the core's HAL (that is core/hal.h).
 *
 * Bring-up order (main.c): port_system_init, port_flash_init, port_boot_init, then the core, then the tasks.
 * Everything here runs on the bl_iot_sdk (FreeRTOS, lwIP, hosal/bl_* drivers, wifi_mgmr, mbedTLS).
 */
#ifndef OBL_PORT_BL602_PORT_H
#define OBL_PORT_BL602_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal.h"

/* ---- system (port_system.c) ---- */
/* Reads the SDK's read-once reset reason and creates the log lock. Call first, from main(). */
void port_system_init(void);

/* ---- flash (port_flash.c) ---- */
/* Resolves the core's partitions in the partition table boot2 handed over. HAL_ERR_IO when the
 * firmware slots or a settings partition of at least two sectors are missing. */
hal_status_t port_flash_init(void);
/* Absolute-address access for the port's own regions (the trial-boot marker); same chunking and
 * NOR rules as the partition functions. Erase needs sector-aligned addr and len. */
hal_status_t port_flash_read_abs(uint32_t addr, void *buf, size_t len);
hal_status_t port_flash_write_abs(uint32_t addr, const void *buf, size_t len);
hal_status_t port_flash_erase_abs(uint32_t addr, size_t len);
/* First partition-table entry (slot 0 address) found among names; false if none exists. */
bool port_flash_lookup(const char *const *names, size_t count, uint32_t *addr, uint32_t *size);

/* ---- boot slots (port_boot.c) ---- */
/* Reads the running slot and settles a pending trial boot: the second boot of an unconfirmed trial
 * image switches back to the previous slot and resets (does not return then). */
void port_boot_init(void);

/* ---- Wi-Fi (port_wifi.c) ---- */
/* Starts the Wi-Fi firmware task and the manager; connect/AP requests made before the manager is
 * ready are applied when it is. Call from main() after tcpip_init(). */
void port_wifi_init(void);

#endif /* OBL_PORT_BL602_PORT_H */
