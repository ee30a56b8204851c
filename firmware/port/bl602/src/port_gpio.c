/* port_gpio.c — GPIO for the core over the SDK's bl_gpio driver.
 *
 * Edge interrupts: all BL602 pins share one IRQ (GPIO_INT0). bl_gpio_register() installs the SDK's
 * dispatcher with the head of a caller-owned gpio_ctx_t list; the dispatcher masks each pending pin and
 * calls its node's handler with the node itself. We own static nodes (no malloc, unlike
 * hal_gpio_register_handler / hosal_gpio_irq_set), so nothing else in the firmware may register GPIO
 * interrupts through the SDK: each registration replaces the dispatcher's list head.
 *
 * Our handler takes the timestamp first, clears the pin's latched status the way the vendor driver does
 * (clear bit set, wait for the status to drop, clear bit reset), calls the core and unmasks the pin.
 *
 * The hardware triggers on one edge only (pulse or level modes); HAL_EDGE_BOTH re-arms the opposite
 * edge from the pin level after each interrupt. If the pin toggles twice within the interrupt latency
 * the pair is lost; the BL0937 path uses a single edge and is not affected.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bl602_glb.h>
#include <bl_gpio.h>
#include <bl_timer.h>
#include <hal_gpio.h>

#include "hal.h"

#define PIN_COUNT 23u            /* GPIO0..GPIO22 */
#define INT_CLEAR_SPINS 32u      /* same bound as the vendor's GPIO_INT0 handler */

typedef struct {
  gpio_ctx_t node; /* first member: the SDK hands this pointer back to on_gpio_irq */
  hal_edge_handler_t volatile handler;
  void *volatile ctx;
  uint8_t edge; /* hal_edge_t */
  bool linked;
} edge_slot_t;

static edge_slot_t s_edge[PIN_COUNT];
static gpio_ctx_t *s_head;

static bool pin_ok(uint8_t pin) { return pin < PIN_COUNT; }

hal_status_t hal_gpio_output(uint8_t pin, bool level)
{
  if (!pin_ok(pin)) {
    return HAL_ERR_ARG;
  }
  /* Latch the level before the pad turns into an output, so a relay held on across a warm reboot
   * does not see a glitch from this call. */
  bl_gpio_output_set(pin, level ? 1 : 0);
  bl_gpio_enable_output(pin, 0, 0);
  bl_gpio_output_set(pin, level ? 1 : 0);
  return HAL_OK;
}

hal_status_t hal_gpio_write(uint8_t pin, bool level)
{
  if (!pin_ok(pin)) {
    return HAL_ERR_ARG;
  }
  bl_gpio_output_set(pin, level ? 1 : 0);
  return HAL_OK;
}

hal_status_t hal_gpio_input(uint8_t pin, hal_pull_t pull)
{
  if (!pin_ok(pin) || pull > HAL_PULL_DOWN) {
    return HAL_ERR_ARG;
  }
  bl_gpio_enable_input(pin, pull == HAL_PULL_UP, pull == HAL_PULL_DOWN);
  return HAL_OK;
}

bool hal_gpio_read(uint8_t pin)
{
  if (!pin_ok(pin)) {
    return false;
  }
  return bl_gpio_input_get_value(pin) != 0;
}

static uint8_t trigger_for(uint8_t pin, uint8_t edge)
{
  if (edge == HAL_EDGE_RISING) {
    return GPIO_INT_TRIG_POS_PULSE;
  }
  if (edge == HAL_EDGE_FALLING) {
    return GPIO_INT_TRIG_NEG_PULSE;
  }
  /* both: wait for the edge that leaves the current level */
  return bl_gpio_input_get_value(pin) ? GPIO_INT_TRIG_NEG_PULSE : GPIO_INT_TRIG_POS_PULSE;
}

static void on_gpio_irq(void *arg)
{
  const uint32_t t_us = bl_timer_now_us();
  edge_slot_t *slot = (edge_slot_t *)arg;
  const uint8_t pin = slot->node.gpioPin;

  bl_gpio_int_clear(pin, 1);
  for (uint32_t spins = INT_CLEAR_SPINS; spins > 0u; spins--) {
    if (GLB_Get_GPIO_IntStatus((GLB_GPIO_Type)pin) != SET) {
      break;
    }
  }
  bl_gpio_int_clear(pin, 0);

  if (slot->edge == HAL_EDGE_BOTH) {
    bl_set_gpio_intmod(pin, GPIO_INT_CONTROL_ASYNC, trigger_for(pin, HAL_EDGE_BOTH));
  }
  const hal_edge_handler_t handler = slot->handler;
  if (handler != NULL) {
    handler(slot->ctx, t_us);
    bl_gpio_intmask(pin, 0); /* the dispatcher masked it before calling us */
  }
}

hal_status_t hal_gpio_set_edge_handler(uint8_t pin, hal_edge_t edge, hal_edge_handler_t handler, void *ctx)
{
  if (!pin_ok(pin)) {
    return HAL_ERR_ARG;
  }
  edge_slot_t *slot = &s_edge[pin];
  if (handler == NULL) {
    bl_gpio_intmask(pin, 1);
    slot->handler = NULL; /* the node stays linked, masked, so the list never changes under the IRQ */
    return HAL_OK;
  }
  if (edge != HAL_EDGE_RISING && edge != HAL_EDGE_FALLING && edge != HAL_EDGE_BOTH) {
    return HAL_ERR_ARG;
  }

  bl_gpio_intmask(pin, 1);
  slot->ctx = ctx;
  slot->handler = handler;
  slot->edge = (uint8_t)edge;
  slot->node.gpioPin = pin;
  slot->node.gpio_handler = on_gpio_irq;
  slot->node.arg = NULL;
  slot->node.intCtrlMod = GPIO_INT_CONTROL_ASYNC;
  slot->node.intTrgMod = trigger_for(pin, (uint8_t)edge);
  bl_gpio_int_clear(pin, 1); /* drop a status latched while the pin was unused */
  bl_gpio_int_clear(pin, 0);
  if (!slot->linked) {
    /* New node becomes the head; bl_gpio_register() sets the head pin's mode, hands the list to the
     * dispatcher, unmasks the pin and enables GPIO_INT0. */
    slot->node.next = s_head;
    s_head = &slot->node;
    slot->linked = true;
    bl_gpio_register(s_head);
  } else {
    /* Already in the list: re-registering would reset the head pin's mode, so only touch this pin. */
    bl_set_gpio_intmod(pin, slot->node.intCtrlMod, slot->node.intTrgMod);
    bl_gpio_intmask(pin, 0);
  }
  return HAL_OK;
}
