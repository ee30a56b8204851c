/* port_system.c — watchdog, reset reason, identity, randomness and logging over the BL602 SDK.
 *
 * hal_reboot() is deliberately NOT defined here: the SDK already links a function of that exact name
 * (hosal bl602_hal/hal_sys.c: hal_reboot() → bl_sys_reset_por(), which records "software reset" and
 * never returns) into every image, and the hosal library is always pulled in (hal_board.c needs the same
 * object file), so a second definition is a duplicate-symbol link error. Its behaviour is the one hal.h
 * asks for; check.sh verifies that the SDK in use still defines it that way.
 *
 * Reset reason: the SDK keeps a marker word in retention RAM. bl_sys_init() (called first in main)
 * turns it into a reason and re-arms it as "watchdog", so any reset that is neither power-on nor
 * bl_sys_reset_por() reads back as BL_RST_SOFTWARE_WATCHDOG. On this SDK that means our hardware
 * watchdog: a crash ends in the SDK's exception handler spinning until the watchdog fires. Brown-outs
 * reset like power-on. bl_sys_rstinfo_get() clears the value on read, so we read it exactly once.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <FreeRTOS.h>
#include <semphr.h>
#include <task.h>

#include <bl_efuse.h>
#include <bl_sec.h>
#include <bl_sys.h>
#include <bl_timer.h>
#include <bl_wdt.h>
#include <bl_wifi.h>

#include "hal.h"
#include "port.h"

#define WDT_MAX_MS 65534u /* 1 kHz tick (32 kHz / 32) into a 16-bit compare; bl_wdt_init rejects >= 65535 */
#define LOG_LINE 200u

static hal_reset_reason_t s_reset_reason = HAL_RESET_UNKNOWN;
static SemaphoreHandle_t s_log_lock;
static StaticSemaphore_t s_log_lock_mem;

void port_system_init(void)
{
  switch (bl_sys_rstinfo_get()) {
  case BL_RST_POWER_OFF:
    s_reset_reason = HAL_RESET_POWER_ON;
    break;
  case BL_RST_SOFTWARE:
    s_reset_reason = HAL_RESET_SOFTWARE;
    break;
  case BL_RST_SOFTWARE_WATCHDOG:
  case BL_RST_HARDWARE_WATCHDOG:
    s_reset_reason = HAL_RESET_WATCHDOG;
    break;
  case BL_RST_FATAL_EXCEPTION:
    s_reset_reason = HAL_RESET_EXCEPTION;
    break;
  default:
    s_reset_reason = HAL_RESET_UNKNOWN;
    break;
  }
  s_log_lock = xSemaphoreCreateMutexStatic(&s_log_lock_mem);
}

hal_reset_reason_t hal_reset_reason(void) { return s_reset_reason; }

hal_status_t hal_watchdog_start(uint32_t timeout_ms)
{
  if (timeout_ms == 0u || timeout_ms > WDT_MAX_MS) {
    return HAL_ERR_ARG;
  }
  return bl_wdt_init((int)timeout_ms) == 0 ? HAL_OK : HAL_ERR_IO;
}

void hal_watchdog_feed(void) { bl_wdt_feed(); }

static bool mac_usable(const uint8_t mac[6])
{
  bool all_zero = true, all_ff = true;
  for (int i = 0; i < 6; i++) {
    all_zero = all_zero && mac[i] == 0x00u;
    all_ff = all_ff && mac[i] == 0xFFu;
  }
  return !all_zero && !all_ff && (mac[0] & 1u) == 0u;
}

void hal_mac_address(uint8_t mac[6])
{
  /* The board setup (hal_board_cfg, before main) picks the station MAC from efuse, the factory data or
   * the device tree, in the order the device tree asks for; read what it settled on. */
  bl_wifi_mac_addr_get(mac);
  if (!mac_usable(mac)) {
    bl_efuse_read_mac(mac);
  }
}

hal_status_t hal_random(void *buf, size_t len)
{
  if (buf == NULL && len > 0u) {
    return HAL_ERR_ARG;
  }
  uint8_t *p = buf;
  /* TRNG, enabled by bl_sec_init() in the SDK's early boot; refilled inside bl_rand_stream. */
  while (len > 0u) {
    const size_t n = len < 256u ? len : 256u;
    bl_rand_stream(p, (int)n);
    p += n;
    len -= n;
  }
  return HAL_OK;
}

void hal_log(hal_log_level_t level, const char *module, const char *fmt, ...)
{
  static const char k_level[] = "EWID";
  char line[LOG_LINE];
  const unsigned lvl = (unsigned)level < 4u ? (unsigned)level : 3u;
  const unsigned long ms = (unsigned long)(bl_timer_now_us64() / 1000u); /* also valid in an ISR */
  int n = snprintf(line, sizeof line, "%lu %c %s: ", ms, k_level[lvl], module != NULL ? module : "-");
  if (n < 0) {
    return;
  }
  if ((size_t)n < sizeof line) {
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
  }
  /* The SDK's printf formats into one static buffer shared by all tasks; format here, then emit the
   * finished line under our lock with puts (no shared buffer, no newline added). */
  const bool locked = s_log_lock != NULL && xPortIsInsideInterrupt() == pdFALSE &&
                      xTaskGetSchedulerState() == taskSCHEDULER_RUNNING &&
                      xSemaphoreTake(s_log_lock, pdMS_TO_TICKS(50)) == pdTRUE;
  puts(line);
  puts("\r\n");
  if (locked) {
    xSemaphoreGive(s_log_lock);
  }
}
