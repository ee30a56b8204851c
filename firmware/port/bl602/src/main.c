/* main.c — the plug's entry on the BL602 SDK.
 *
 * The SDK's bfl_main() brings up the clocks, UART, heap, IRQs, TRNG and boot2's partition table, starts
 * FreeRTOS and calls main() from its "main" task (deleted when main returns). From there: the SDK's
 * system init, our port state, the core (relay startup state first), lwIP, Wi-Fi, and the two tasks
 * the core runs in. Everything here is static: no heap use by this file.
 */
#include <stdint.h>

#include <FreeRTOS.h>
#include <task.h>

#include <bl_sys.h>
#include <lwip/tcpip.h>

#include "app_entry.h"
#include "hal.h"
#include "port.h"

/* Until the core starts its own watchdog: a hang or crash during start-up (the SDK's exception handler
 * spins forever) still resets the plug. Same bound boot2 uses while it runs. */
#define BOOT_WATCHDOG_MS 30000u

/* Below lwIP (configMAX_PRIORITIES - 2) and the Wi-Fi firmware task, above the SDK's idle work. The
 * main loop outranks the network loop so a busy socket never starves metering and the relay. */
#define MAIN_TASK_PRIORITY 14
#define NET_TASK_PRIORITY 12
#define MAIN_TASK_STACK_WORDS 1024u /* 4 KiB */
#define NET_TASK_STACK_WORDS 2048u  /* 8 KiB: HTTP/MQTT/JSON frames live on it (big buffers are static) */

/* The two loops share no state and take no common lock (core/app/app_link.h, docs/architecture.md): a
 * network command reaches the device through the core's one-slot call, which the main loop runs at the
 * start of its next pass while the network task waits here. The main task never waits for the network. */
static StaticTask_t s_main_tcb;
static StackType_t s_main_stack[MAIN_TASK_STACK_WORDS];
static StaticTask_t s_net_tcb;
static StackType_t s_net_stack[NET_TASK_STACK_WORDS];

static void sleep_ms(uint32_t ms)
{
  /* At least one tick, so equal- and lower-priority tasks (and the idle task feeding nothing) run. */
  TickType_t ticks = pdMS_TO_TICKS(ms);
  vTaskDelay(ticks > 0 ? ticks : 1);
}

/* How the network task waits for the main loop to run its command: one tick, letting it run. */
static void net_wait(void) { vTaskDelay(1); }

static void main_task(void *arg)
{
  (void)arg;
  for (;;) {
    sleep_ms(obl_app_main_poll());
  }
}

static void net_task(void *arg)
{
  (void)arg;
  for (;;) {
    sleep_ms(obl_app_net_poll());
  }
}

int main(void)
{
  bl_sys_init(); /* reset-reason bookkeeping, EM memory split */
  port_system_init();
  (void)hal_watchdog_start(BOOT_WATCHDOG_MS);
  if (port_flash_init() != HAL_OK) {
    hal_log(HAL_LOG_ERROR, "main", "flash partitions unavailable: settings and OTA will fail");
  }
  port_boot_init();

  /* What boot2 can start is a Bouffalo image (FW_OTA.bin), raw or XZ: the vendor OTA container carries
   * exactly that, so the plug accepts it (OpenBeken's updates included). */
  static const app_options_t options = {
      .ota_accept_bl60x = true,
      .net_wait = net_wait,
#ifdef OBL_BOARD_PROFILE /* a build for another built-in board profile (scripts/build-bl602 OBL_BOARD=...) */
      .board = OBL_BOARD_PROFILE,
      .ota_board_id = OBL_OTA_BOARD_ID, /* its own id: HA never offers it the default board's image */
#endif
  };
  app_set_options(&options);
  obl_app_init(app_transport_bsd());

  tcpip_init(NULL, NULL);
  port_wifi_init();

  xTaskCreateStatic(main_task, "obl_main", MAIN_TASK_STACK_WORDS, NULL, MAIN_TASK_PRIORITY, s_main_stack, &s_main_tcb);
  xTaskCreateStatic(net_task, "obl_net", NET_TASK_STACK_WORDS, NULL, NET_TASK_PRIORITY, s_net_stack, &s_net_tcb);
  return 0;
}
