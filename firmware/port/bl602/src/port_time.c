/* port_time.c — time for the core, from the RISC-V machine timer (mtime, 10 MHz on BL602).
 *
 * bl_timer_now_us64() reads both mtime halves with a re-read on carry, so it is safe from tasks and
 * ISRs alike; the 32-bit value is its low word, i.e. it wraps at 2^32 µs exactly as hal.h promises (the
 * SDK's bl_timer_now_us() truncates the same 64-bit count). Wall clock: the SDK's sntp component
 * stores every answer with bl_sys_time_update(); started in port_wifi.c once the station has an IP.
 */
#include <stdint.h>

#include <bl_sys_time.h>
#include <bl_timer.h>

#include "hal.h"

uint64_t hal_time_us64(void) { return bl_timer_now_us64(); }

uint32_t hal_time_us32(void) { return bl_timer_now_us(); }

uint64_t hal_time_unix(void)
{
  uint64_t epoch_ms = 0;
  if (bl_sys_time_get(&epoch_ms) != 0) {
    return 0; /* never synchronised */
  }
  return epoch_ms / 1000u;
}
