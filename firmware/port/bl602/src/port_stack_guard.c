/* port_stack_guard.c — what happens when FreeRTOS finds a task stack overrun.
 *
 * The SDK's FreeRTOSConfig.h sets configCHECK_FOR_STACK_OVERFLOW 2: at every switch away from a task the
 * kernel checks the stack pointer and the 16 guard bytes at the stack's end. The SDK's own hook (bfl_main.c,
 * not weak) prints a fixed line and spins until the watchdog fires, which the core has then stopped
 * feeding in some 8 s — without naming the task. The link wraps the hook (bouffalo.mk:
 * --wrap=vApplicationStackOverflowHook), so the kernel calls this one instead: it names the task and
 * resets at once. It runs inside the context switch on the interrupt stack, not on the overrun stack, but
 * the task's memory is no longer trusted: only fixed strings and the UART, no formatting, no flash.
 */
#include <FreeRTOS.h>
#include <task.h>

#include <bl_sys.h>
#include <stdio.h>

void __wrap_vApplicationStackOverflowHook(TaskHandle_t task, char *name);

void __wrap_vApplicationStackOverflowHook(TaskHandle_t task, char *name)
{
  (void)task;
  puts("\r\n[E] stack overflow in task ");
  puts(name != NULL ? name : "?");
  puts(": resetting\r\n");
  (void)bl_sys_reset_por();
  for (;;) {
  }
}
