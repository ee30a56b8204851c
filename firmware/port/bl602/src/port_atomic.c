/* port_atomic.c — the C11 atomics the core uses (core/app/app_link.c), on a core without them.
 *
 * The BL602's E24 core is RV32IMFC: no "A" extension, so GCC turns every atomic_* on a uint8_t/uint32_t
 * into a call to these libatomic helpers, and the toolchain ships no rv32 libatomic. The chip has one
 * core, so a FreeRTOS critical section (interrupts off, nests) makes each operation indivisible. The
 * core's atomics are used between tasks only, never from an interrupt handler.
 */
#include <stdbool.h>
#include <stdint.h>

#include <FreeRTOS.h>
#include <task.h>

bool __atomic_compare_exchange_1(volatile void *ptr, void *expected, uint8_t desired, bool weak, int success,
                                 int failure);
bool __atomic_compare_exchange_4(volatile void *ptr, void *expected, unsigned int desired, bool weak, int success,
                                 int failure);
unsigned int __atomic_fetch_add_4(volatile void *ptr, unsigned int val, int order);

bool __atomic_compare_exchange_1(volatile void *ptr, void *expected, uint8_t desired, bool weak, int success,
                                 int failure)
{
  (void)weak;
  (void)success;
  (void)failure;
  volatile uint8_t *p = ptr;
  uint8_t *e = expected;
  taskENTER_CRITICAL();
  bool same = *p == *e;
  if (same) {
    *p = desired;
  } else {
    *e = *p;
  }
  taskEXIT_CRITICAL();
  return same;
}

bool __atomic_compare_exchange_4(volatile void *ptr, void *expected, unsigned int desired, bool weak, int success,
                                 int failure)
{
  (void)weak;
  (void)success;
  (void)failure;
  volatile unsigned int *p = ptr;
  unsigned int *e = expected;
  taskENTER_CRITICAL();
  bool same = *p == *e;
  if (same) {
    *p = desired;
  } else {
    *e = *p;
  }
  taskEXIT_CRITICAL();
  return same;
}

unsigned int __atomic_fetch_add_4(volatile void *ptr, unsigned int val, int order)
{
  (void)order;
  volatile unsigned int *p = ptr;
  taskENTER_CRITICAL();
  unsigned int old = *p;
  *p = old + val;
  taskEXIT_CRITICAL();
  return old;
}
