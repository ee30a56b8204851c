/* app_link.c — the boundary between the two loops (see app_link.h). C11 atomics: the BL602 port runs the
 * loops as two FreeRTOS tasks, the loop test as two threads, the simulated plug as one. */
#include "app/app_link.h"

#include <stdatomic.h>
#include <string.h>

/* view: a sequence lock. Odd = the main loop is writing. */
static atomic_uint s_seq;
static app_view_t s_shared;
static app_view_t s_net_copy; /* owner: the network loop */

void app_link_publish(const app_view_t *v) {
  unsigned s = atomic_load_explicit(&s_seq, memory_order_relaxed);
  atomic_store_explicit(&s_seq, s + 1u, memory_order_relaxed);
  atomic_thread_fence(memory_order_release);
  memcpy(&s_shared, v, sizeof(s_shared));
  atomic_store_explicit(&s_seq, s + 2u, memory_order_release);
}

const app_view_t *app_link_view_refresh(void) {
  for (;;) {
    unsigned s1 = atomic_load_explicit(&s_seq, memory_order_acquire);
    if (s1 & 1u) continue; /* the writer runs at a higher priority or on another core: it finishes */
    memcpy(&s_net_copy, &s_shared, sizeof(s_net_copy));
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&s_seq, memory_order_relaxed) == s1) return &s_net_copy;
  }
}

const app_view_t *app_link_view(void) { return &s_net_copy; }

/* calls: one slot; IDLE → POSTED (net) → DONE (main) → IDLE (net) */
enum { SLOT_IDLE = 0, SLOT_POSTED, SLOT_TAKEN, SLOT_DONE };
static atomic_int s_slot;
static app_call_t *s_call;
static app_call_fn s_run;
static void (*s_net_wait)(void);

bool app_link_call(app_call_t *c) {
  if (s_net_wait == NULL) { /* one task runs both loops: it is the main loop now */
    c->status = s_run(c);
    app_link_view_refresh();
    return true;
  }
  s_call = c;
  atomic_store_explicit(&s_slot, SLOT_POSTED, memory_order_release);
  uint64_t until = hal_time_us64() + (uint64_t)APP_CALL_TIMEOUT_MS * 1000u;
  for (;;) {
    int st = atomic_load_explicit(&s_slot, memory_order_acquire);
    if (st == SLOT_DONE) break;
    if (st == SLOT_POSTED && hal_time_us64() >= until) {
      int want = SLOT_POSTED;
      if (atomic_compare_exchange_strong(&s_slot, &want, SLOT_IDLE)) { /* the main loop never took it */
        app_errors_add(c->errs, "busy", NULL, "the plug's main loop did not answer: try again");
        c->status = 503;
        return false;
      }
      continue; /* taken just now: it finishes */
    }
    s_net_wait();
  }
  atomic_store_explicit(&s_slot, SLOT_IDLE, memory_order_relaxed);
  app_link_view_refresh();
  return true;
}

void app_link_serve(void) {
  int want = SLOT_POSTED;
  if (!atomic_compare_exchange_strong_explicit(&s_slot, &want, SLOT_TAKEN, memory_order_acquire,
                                               memory_order_relaxed)) {
    return;
  }
  s_call->status = s_run(s_call);
  atomic_store_explicit(&s_slot, SLOT_DONE, memory_order_release);
}

/* events: single producer (main), single consumer (net) */
#define EV_RING 8u
static uint8_t s_ev[EV_RING];
static atomic_uint s_ev_head, s_ev_tail; /* head: next write (main); tail: next read (net) */

void app_link_post(app_event_t ev) {
  unsigned h = atomic_load_explicit(&s_ev_head, memory_order_relaxed);
  unsigned t = atomic_load_explicit(&s_ev_tail, memory_order_acquire);
  if (h - t >= EV_RING) return;
  s_ev[h % EV_RING] = (uint8_t)ev;
  atomic_store_explicit(&s_ev_head, h + 1u, memory_order_release);
}

app_event_t app_link_take(void) {
  unsigned t = atomic_load_explicit(&s_ev_tail, memory_order_relaxed);
  unsigned h = atomic_load_explicit(&s_ev_head, memory_order_acquire);
  if (t == h) return APP_EV_NONE;
  app_event_t ev = (app_event_t)s_ev[t % EV_RING];
  atomic_store_explicit(&s_ev_tail, t + 1u, memory_order_release);
  return ev;
}

/* flags */
static atomic_uint s_net_led, s_net_passes;
static atomic_bool s_net_healthy, s_stop_req, s_stopped;

void app_link_set_net_led(uint8_t led_net) { atomic_store(&s_net_led, led_net); }
uint8_t app_link_net_led(void) { return (uint8_t)atomic_load(&s_net_led); }
void app_link_set_net_healthy(bool healthy) { atomic_store(&s_net_healthy, healthy); }
bool app_link_net_healthy(void) { return atomic_load(&s_net_healthy); }
void app_link_request_stop(void) { atomic_store(&s_stop_req, true); }
bool app_link_stop_requested(void) { return atomic_load(&s_stop_req); }
void app_link_set_stopped(void) { atomic_store(&s_stopped, true); }
bool app_link_stopped(void) { return atomic_load(&s_stopped); }
void app_link_net_pass(void) { atomic_fetch_add(&s_net_passes, 1u); }
uint32_t app_link_net_passes(void) { return (uint32_t)atomic_load(&s_net_passes); }

/* store guard */
static atomic_bool s_store_busy;

void app_link_store_enter(void) {
  bool want = false;
  while (!atomic_compare_exchange_weak(&s_store_busy, &want, true)) {
    want = false;
    if (s_net_wait) s_net_wait();
  }
}
void app_link_store_leave(void) { atomic_store(&s_store_busy, false); }
bool app_link_store_try(void) {
  bool want = false;
  return atomic_compare_exchange_strong(&s_store_busy, &want, true);
}
void app_link_store_release(void) { atomic_store(&s_store_busy, false); }

void app_link_init(app_call_fn run, void (*net_wait)(void)) {
  s_run = run;
  s_net_wait = net_wait;
  s_call = NULL;
  atomic_store(&s_slot, SLOT_IDLE);
  atomic_store(&s_ev_head, 0u);
  atomic_store(&s_ev_tail, 0u);
  atomic_store(&s_net_led, 0u);
  atomic_store(&s_net_passes, 0u);
  atomic_store(&s_net_healthy, false);
  atomic_store(&s_stop_req, false);
  atomic_store(&s_stopped, false);
  atomic_store(&s_store_busy, false);
}
