/* hal_gpio.c — simulated GPIO pins for the POSIX port (see posix_io.h). */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "hal.h"
#include "posix_io.h"

typedef enum { PIN_UNSET = 0, PIN_INPUT, PIN_OUTPUT } pin_mode_t;

typedef struct {
  pin_mode_t mode;
  hal_pull_t pull;
  bool out_level;
  bool ext_level;
  bool ext_driven;
  hal_edge_t edge;
  hal_edge_handler_t handler;
  void *ctx;
  uint32_t out_changes;
} pin_t;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pin_t g_pins[POSIX_IO_PINS];
static posix_io_output_cb_t g_out_cb;
static void *g_out_ctx;

/* Level the pin reads now; lock held. */
static bool read_locked(const pin_t *p) {
  if (p->mode == PIN_OUTPUT) return p->out_level;
  if (p->ext_driven) return p->ext_level;
  return p->mode == PIN_INPUT && p->pull == HAL_PULL_UP;
}

static void notify(uint8_t pin, bool level) {
  pthread_mutex_lock(&g_lock);
  posix_io_output_cb_t cb = g_out_cb;
  void *ctx = g_out_ctx;
  pthread_mutex_unlock(&g_lock);
  if (cb) cb(ctx, pin, level, hal_time_us64());
}

hal_status_t hal_gpio_output(uint8_t pin, bool level) {
  if (pin >= POSIX_IO_PINS) return HAL_ERR_ARG;
  pthread_mutex_lock(&g_lock);
  pin_t *p = &g_pins[pin];
  bool was_output = p->mode == PIN_OUTPUT;
  bool changed = !was_output || p->out_level != level;
  p->mode = PIN_OUTPUT;
  p->out_level = level;
  if (changed) p->out_changes++;
  pthread_mutex_unlock(&g_lock);
  if (changed) notify(pin, level);
  return HAL_OK;
}

hal_status_t hal_gpio_write(uint8_t pin, bool level) {
  if (pin >= POSIX_IO_PINS) return HAL_ERR_ARG;
  pthread_mutex_lock(&g_lock);
  pin_t *p = &g_pins[pin];
  if (p->mode != PIN_OUTPUT) {
    pthread_mutex_unlock(&g_lock);
    return HAL_ERR_ARG; /* writing a pin nobody configured is a firmware bug: say so */
  }
  bool changed = p->out_level != level;
  p->out_level = level;
  if (changed) p->out_changes++;
  pthread_mutex_unlock(&g_lock);
  if (changed) notify(pin, level);
  return HAL_OK;
}

hal_status_t hal_gpio_input(uint8_t pin, hal_pull_t pull) {
  if (pin >= POSIX_IO_PINS) return HAL_ERR_ARG;
  pthread_mutex_lock(&g_lock);
  g_pins[pin].mode = PIN_INPUT;
  g_pins[pin].pull = pull;
  pthread_mutex_unlock(&g_lock);
  return HAL_OK;
}

bool hal_gpio_read(uint8_t pin) {
  if (pin >= POSIX_IO_PINS) return false;
  pthread_mutex_lock(&g_lock);
  bool v = read_locked(&g_pins[pin]);
  pthread_mutex_unlock(&g_lock);
  return v;
}

hal_status_t hal_gpio_set_edge_handler(uint8_t pin, hal_edge_t edge, hal_edge_handler_t handler, void *ctx) {
  if (pin >= POSIX_IO_PINS) return HAL_ERR_ARG;
  if (handler != NULL && (edge < HAL_EDGE_RISING || edge > HAL_EDGE_BOTH)) return HAL_ERR_ARG;
  pthread_mutex_lock(&g_lock);
  g_pins[pin].edge = edge;
  g_pins[pin].handler = handler;
  g_pins[pin].ctx = handler ? ctx : NULL;
  pthread_mutex_unlock(&g_lock);
  return HAL_OK;
}

/* Sets the external level; returns the handler to run (NULL if none), lock held by caller. */
static hal_edge_handler_t drive_locked(pin_t *p, bool driven, bool level, bool force_edge, void **ctx) {
  bool before = read_locked(p);
  p->ext_driven = driven;
  p->ext_level = level;
  bool after = read_locked(p);
  if (!force_edge && before == after) return NULL;
  hal_edge_t want = after ? HAL_EDGE_RISING : HAL_EDGE_FALLING;
  if (p->handler == NULL || (p->edge & want) == 0) return NULL;
  *ctx = p->ctx;
  return p->handler;
}

static bool inject(uint8_t pin, bool driven, bool level, bool force_edge, bool use_t, uint64_t t_us) {
  if (pin >= POSIX_IO_PINS) return false;
  pthread_mutex_lock(&g_lock);
  pin_t *p = &g_pins[pin];
  if (p->mode == PIN_OUTPUT) {
    pthread_mutex_unlock(&g_lock);
    return false;
  }
  void *ctx = NULL;
  hal_edge_handler_t h = drive_locked(p, driven, level, force_edge, &ctx);
  pthread_mutex_unlock(&g_lock);
  if (h) h(ctx, (uint32_t)(use_t ? t_us : hal_time_us64()));
  return true;
}

bool posix_io_set_input(uint8_t pin, bool level) { return inject(pin, true, level, false, false, 0); }

bool posix_io_release_input(uint8_t pin) { return inject(pin, false, false, false, false, 0); }

bool posix_io_edge(uint8_t pin, bool rising, uint64_t t_us) { return inject(pin, true, rising, true, true, t_us); }

bool posix_io_output(uint8_t pin) {
  if (pin >= POSIX_IO_PINS) return false;
  pthread_mutex_lock(&g_lock);
  bool v = g_pins[pin].mode == PIN_OUTPUT && g_pins[pin].out_level;
  pthread_mutex_unlock(&g_lock);
  return v;
}

bool posix_io_is_output(uint8_t pin) {
  if (pin >= POSIX_IO_PINS) return false;
  pthread_mutex_lock(&g_lock);
  bool v = g_pins[pin].mode == PIN_OUTPUT;
  pthread_mutex_unlock(&g_lock);
  return v;
}

bool posix_io_is_input(uint8_t pin) {
  if (pin >= POSIX_IO_PINS) return false;
  pthread_mutex_lock(&g_lock);
  bool v = g_pins[pin].mode == PIN_INPUT;
  pthread_mutex_unlock(&g_lock);
  return v;
}

hal_pull_t posix_io_pull(uint8_t pin) {
  if (pin >= POSIX_IO_PINS) return HAL_PULL_NONE;
  pthread_mutex_lock(&g_lock);
  hal_pull_t v = g_pins[pin].pull;
  pthread_mutex_unlock(&g_lock);
  return v;
}

uint32_t posix_io_output_changes(uint8_t pin) {
  if (pin >= POSIX_IO_PINS) return 0;
  pthread_mutex_lock(&g_lock);
  uint32_t v = g_pins[pin].out_changes;
  pthread_mutex_unlock(&g_lock);
  return v;
}

void posix_io_on_output(posix_io_output_cb_t cb, void *ctx) {
  pthread_mutex_lock(&g_lock);
  g_out_cb = cb;
  g_out_ctx = cb ? ctx : NULL;
  pthread_mutex_unlock(&g_lock);
}

void posix_io_reset(void) {
  pthread_mutex_lock(&g_lock);
  memset(g_pins, 0, sizeof g_pins);
  g_out_cb = NULL;
  g_out_ctx = NULL;
  pthread_mutex_unlock(&g_lock);
}
