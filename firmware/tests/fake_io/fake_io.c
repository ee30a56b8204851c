/* fake_io.c — see fake_io.h. Only time and GPIO: the behaviour modules need nothing else from the HAL. */
#include "fake_io.h"

#include <string.h>

fake_pin_t fake_pins[FAKE_PINS];
uint64_t fake_now_us;

void fake_io_reset(void) {
  memset(fake_pins, 0, sizeof fake_pins);
  fake_now_us = 0;
}

static void record(fake_pin_t *p, bool level) {
  p->level = level;
  if (p->nhistory < FAKE_HISTORY) p->history[p->nhistory] = level;
  p->nhistory++;
}

bool fake_io_only_level(uint8_t pin, bool level) {
  const fake_pin_t *p = &fake_pins[pin];
  uint32_t n = p->nhistory < FAKE_HISTORY ? p->nhistory : FAKE_HISTORY;
  for (uint32_t i = 0; i < n; i++) {
    if (p->history[i] != level) return false;
  }
  return true;
}

void fake_io_set_input(uint8_t pin, bool level) {
  fake_pins[pin].level = level;
  fake_pins[pin].external_set = true;
}

uint64_t hal_time_us64(void) { return fake_now_us; }
uint32_t hal_time_us32(void) { return (uint32_t)fake_now_us; }
uint64_t hal_time_unix(void) { return 0; }

hal_status_t hal_gpio_output(uint8_t pin, bool level) {
  if (pin >= FAKE_PINS) return HAL_ERR_ARG;
  fake_pins[pin].configured_output = true;
  fake_pins[pin].configured_input = false;
  fake_pins[pin].output_configs++;
  record(&fake_pins[pin], level);
  return HAL_OK;
}

hal_status_t hal_gpio_write(uint8_t pin, bool level) {
  if (pin >= FAKE_PINS || !fake_pins[pin].configured_output) return HAL_ERR_ARG;
  record(&fake_pins[pin], level);
  return HAL_OK;
}

hal_status_t hal_gpio_input(uint8_t pin, hal_pull_t pull) {
  if (pin >= FAKE_PINS) return HAL_ERR_ARG;
  fake_pins[pin].configured_input = true;
  fake_pins[pin].configured_output = false;
  fake_pins[pin].pull = pull;
  return HAL_OK;
}

bool hal_gpio_read(uint8_t pin) {
  if (pin >= FAKE_PINS) return false;
  const fake_pin_t *p = &fake_pins[pin];
  if (p->configured_output || p->external_set) return p->level;
  return p->pull == HAL_PULL_UP;
}

hal_status_t hal_gpio_set_edge_handler(uint8_t pin, hal_edge_t edge, hal_edge_handler_t handler, void *ctx) {
  (void)edge;
  (void)handler;
  (void)ctx;
  return pin < FAKE_PINS ? HAL_OK : HAL_ERR_ARG;
}
