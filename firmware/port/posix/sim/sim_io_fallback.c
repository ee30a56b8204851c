/* sim_io_fallback.c — time and GPIO for the simulated plug while port/posix/hal_io is not in the tree
 * (CMakeLists.txt builds this file only then; sim_io.c maps sim_io.h onto hal_io otherwise).
 * Monotonic time from CLOCK_MONOTONIC since process start; GPIO as arrays of levels and handlers. */
#define _DEFAULT_SOURCE 1
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "hal.h"
#include "sim_io.h"

#define PINS 32

static struct {
  bool is_output[PINS];
  bool level[PINS];
  hal_edge_t edge[PINS];
  hal_edge_handler_t handler[PINS];
  void *ctx[PINS];
} g;

static uint64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t t0;

uint64_t hal_time_us64(void) {
  if (t0 == 0) t0 = mono_us() - 1;
  return mono_us() - t0;
}

uint32_t hal_time_us32(void) {
  return (uint32_t)hal_time_us64();
}

uint64_t hal_time_unix(void) {
  return (uint64_t)time(NULL);
}

hal_status_t hal_gpio_output(uint8_t pin, bool level) {
  if (pin >= PINS) return HAL_ERR_ARG;
  g.is_output[pin] = true;
  g.level[pin] = level;
  return HAL_OK;
}

hal_status_t hal_gpio_write(uint8_t pin, bool level) {
  if (pin >= PINS) return HAL_ERR_ARG;
  g.level[pin] = level;
  return HAL_OK;
}

hal_status_t hal_gpio_input(uint8_t pin, hal_pull_t pull) {
  if (pin >= PINS) return HAL_ERR_ARG;
  (void)pull;
  g.is_output[pin] = false;
  return HAL_OK;
}

bool hal_gpio_read(uint8_t pin) {
  return pin < PINS && g.level[pin];
}

hal_status_t hal_gpio_set_edge_handler(uint8_t pin, hal_edge_t edge, hal_edge_handler_t handler, void *ctx) {
  if (pin >= PINS) return HAL_ERR_ARG;
  g.edge[pin] = edge;
  g.handler[pin] = handler;
  g.ctx[pin] = ctx;
  return HAL_OK;
}

void sim_io_edge(uint8_t pin, bool rising, uint64_t t_us) {
  if (pin >= PINS || g.is_output[pin]) return;
  g.level[pin] = rising;
  hal_edge_t want = rising ? HAL_EDGE_RISING : HAL_EDGE_FALLING;
  if (g.handler[pin] && (g.edge[pin] & want)) g.handler[pin](g.ctx[pin], (uint32_t)t_us);
}

void sim_io_set_input(uint8_t pin, bool level) {
  if (pin < PINS && !g.is_output[pin]) g.level[pin] = level;
}

bool sim_io_output(uint8_t pin) {
  return pin < PINS && g.is_output[pin] && g.level[pin];
}
