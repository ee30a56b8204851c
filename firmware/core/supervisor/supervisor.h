/* supervisor.h — hardware watchdog fed only while every task is alive, boot-loop detection, safe mode,
 * reset reason.
 *
 * Watchdog: each supervised task calls supervisor_checkin() from its loop (≥ every second or so); the main
 * loop calls supervisor_poll(), which feeds the hardware watchdog only while every task has checked in within
 * stall_ms. A hung network task (or a hung main loop, which then stops polling) lets the watchdog reset the
 * plug; the task that stopped is recorded and reported after the reset.
 *
 * Boot loop: a boot is "good" after it ran good_after_s (30 s). Boots that end earlier by a crash, watchdog or
 * unannounced reset count as bad — except a watchdog reset caused by the network task alone (the main loop
 * kept running: a network fault, not a broken firmware); after safe_after bad boots in a row (4) the plug
 * starts in safe mode (what it keeps running: docs/protocol.md §3 safe_mode). Safe mode
 * ends with supervisor_leave_safe_mode() (a command, or a new firmware) followed by a reboot, or with a power
 * cycle (a power-on reset gives the firmware a fresh normal attempt). A controlled reboot announced with
 * supervisor_prepare_reboot() is never counted as bad.
 */
#ifndef OBL_SUPERVISOR_H
#define OBL_SUPERVISOR_H

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"
#include "store/store.h"

typedef enum {
  SUP_TASK_MAIN = 0, /* the core's main loop (metering, relay, protections) */
  SUP_TASK_NET = 1,  /* the network task (HTTP, MQTT, mDNS) */
  SUP_TASK_COUNT
} sup_task_t;

#define SUP_NO_TASK 0xFFu

typedef struct {
  uint32_t watchdog_ms;  /* hardware timeout; default 8000 (BL602 max 65534) */
  uint32_t stall_ms;     /* a task silent this long stops the feeding; default 4000 */
  uint32_t good_after_s; /* default 30 */
  uint8_t safe_after;    /* bad boots in a row before safe mode; default 4 */
} supervisor_config_t;

typedef struct {
  store_t *store;
  supervisor_config_t cfg;
  hal_reset_reason_t reset_reason; /* why this boot happened */
  uint8_t reset_task;      /* after a watchdog reset: the task that had hung (SUP_NO_TASK if unknown) */
  bool safe_mode;
  bool boot_good;          /* this boot has run good_after_s */
  uint8_t bad_boots;       /* consecutive bad boots before this one */
  uint32_t boot_count;     /* boots since the store was created */
  uint64_t boot_us;
  volatile uint32_t checkins[SUP_TASK_COUNT]; /* each written only by its own task */
  uint32_t seen[SUP_TASK_COUNT];
  uint64_t last_alive_us[SUP_TASK_COUNT];
  uint8_t stalled_task;    /* task currently blocking the feed, SUP_NO_TASK if none */
  uint32_t feeds;
} supervisor_t;

void supervisor_config_defaults(supervisor_config_t *cfg);

/* First thing at boot (after store_mount): reads the reset reason and boot record, decides safe mode, counts
 * this boot as bad until it proves good, starts the hardware watchdog. cfg NULL = defaults. A store error is
 * returned but the supervisor still works (not in safe mode, watchdog running). */
store_err_t supervisor_boot(supervisor_t *s, store_t *st, const supervisor_config_t *cfg, uint64_t now_us);

/* From each supervised task's loop. Lock-free, any task. */
void supervisor_checkin(supervisor_t *s, sup_task_t task);

/* From the main loop, at least every stall_ms / 4: feeds the watchdog while all tasks are alive, marks the
 * boot good after good_after_s. */
void supervisor_poll(supervisor_t *s, uint64_t now_us);

bool supervisor_safe_mode(const supervisor_t *s);

/* Commands; the caller reboots afterwards (after supervisor_prepare_reboot()). */
store_err_t supervisor_enter_safe_mode(supervisor_t *s);
store_err_t supervisor_leave_safe_mode(supervisor_t *s);

/* Before a controlled reboot (command, OTA switch, rollback): this boot is not counted as bad. */
store_err_t supervisor_prepare_reboot(supervisor_t *s);

/* "power_on", "software", "watchdog", "brownout", "exception", "unknown" (protocol reset_reason). */
const char *supervisor_reset_reason_name(hal_reset_reason_t r);
/* "main", "net", or NULL. */
const char *supervisor_task_name(uint8_t task);

#endif
