/* The concurrency rule (core/app/app_link.h, docs/architecture.md) with the two loops on two threads, as
 * the BL602 port runs them: while the network loop is stuck in a call that blocks (an MQTT connect whose
 * name lookup hangs, as getaddrinfo does in a DNS outage), the main loop keeps its 10 ms tick and the
 * watchdog keeps being fed; a relay command from the network loop is carried out by the main loop's
 * thread, and only there. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app_rig.h"
#include "fake_hal.h"
#include "posix_io.h"
#include "unit.h"

#define STALL_MS 1500u

static atomic_bool s_stop;
static atomic_bool s_in_stall;
static atomic_uint s_main_passes, s_stall_passes;
static atomic_uint s_feeds_in_stall;
static atomic_ullong s_max_gap_us_in_stall;
static pthread_t s_main_thread;
static atomic_int s_relay_writes_main, s_relay_writes_other;
static uint8_t s_relay_pin;
/* The old BL602 port's design, for the contrast test: one mutex around each loop's whole pass. */
static bool s_shared_lock;
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The MQTT transport's connect blocks the way a stalled DNS lookup does. */
static int blocking_open(void *ctx, const char *host, uint16_t port) {
  atomic_store(&s_in_stall, true);
  usleep(STALL_MS * 1000u);
  atomic_store(&s_in_stall, false);
  return fb_open(ctx, host, port);
}

static void net_wait(void) { usleep(500); }

static void on_output(void *ctx, uint8_t pin, bool level, uint64_t t_us) {
  (void)ctx;
  (void)level;
  (void)t_us;
  if (pin != s_relay_pin) return;
  if (pthread_equal(pthread_self(), s_main_thread)) {
    atomic_fetch_add(&s_relay_writes_main, 1);
  } else {
    atomic_fetch_add(&s_relay_writes_other, 1);
  }
}

static void *main_loop(void *arg) {
  (void)arg;
  uint64_t last = mono_us();
  while (!atomic_load(&s_stop)) {
    uint32_t feeds = fake_watchdog_feeds();
    if (s_shared_lock) pthread_mutex_lock(&s_lock);
    uint32_t next = obl_app_main_poll();
    if (s_shared_lock) pthread_mutex_unlock(&s_lock);
    uint64_t now = mono_us();
    if (atomic_load(&s_in_stall)) {
      atomic_fetch_add(&s_stall_passes, 1u);
      atomic_fetch_add(&s_feeds_in_stall, fake_watchdog_feeds() - feeds);
      uint64_t gap = now - last;
      if (gap > atomic_load(&s_max_gap_us_in_stall)) atomic_store(&s_max_gap_us_in_stall, gap);
    }
    last = now;
    atomic_fetch_add(&s_main_passes, 1u);
    usleep(next * 1000u);
  }
  return NULL;
}

typedef struct {
  bool stalled;
  int status;
  bool relay_on_in_answer;
} outcome_t;

static outcome_t run(bool shared_lock) {
  outcome_t out = {false, 0, false};
  rig_reset();
  s_shared_lock = shared_lock;
  atomic_store(&s_stall_passes, 0u);
  atomic_store(&s_feeds_in_stall, 0u);
  atomic_store(&s_max_gap_us_in_stall, 0u);
  atomic_store(&s_relay_writes_main, 0);
  atomic_store(&s_relay_writes_other, 0);
  g_rig.manual_clock = false; /* real time: the threads run as the plug's tasks do */
  posix_io_time_set_manual(false);
  g_rig.opt.mqtt_host = "broker.lan";
  g_rig.opt.net_wait = net_wait;
  g_rig.threaded = true;
  g_rig.mqtt_open = blocking_open; /* every connect stalls first */
  rig_boot();
  s_relay_pin = g_rig.board.relays[0].pin;
  posix_io_on_output(on_output, NULL);

  pthread_t mt;
  atomic_store(&s_stop, false);
  s_main_thread = pthread_self(); /* until the thread exists nothing runs the main loop */
  CHECK_EQ_INT(pthread_create(&mt, NULL, main_loop, NULL), 0);
  s_main_thread = mt;

  /* the network loop runs here, in this thread */
  uint64_t t0 = mono_us();
  const char *body = NULL;
  while (mono_us() - t0 < (STALL_MS + 2500u) * 1000u) {
    if (shared_lock) pthread_mutex_lock(&s_lock);
    (void)obl_app_net_poll();
    if (shared_lock) pthread_mutex_unlock(&s_lock);
    fb_process(&g_rig.broker);
    if (g_rig.broker.opens > 0) out.stalled = true;
    if (shared_lock && out.stalled) break; /* (a command would deadlock on the shared lock) */
    if (out.stalled && out.status == 0 && g_rig.broker.subscribes > 0) {
      /* online again: a relay command travels to the main loop and back */
      out.status = rig_req("POST", "/api/v1/relay", "{\"on\":true}", NULL, &body);
      out.relay_on_in_answer = body && strstr(body, "\"relay\":true") != NULL;
    }
    usleep(2000);
  }
  atomic_store(&s_stop, true);
  pthread_join(mt, NULL);
  posix_io_on_output(NULL, NULL);
  return out;
}

static void test_main_loop_keeps_its_tick_while_the_network_blocks(void) {
  outcome_t o = run(false);
  CHECK(o.stalled);
  /* ~150 passes of 10 ms fit in the 1.5 s stall. The bounds leave room for a loaded machine and still tell
   * a running loop from a stopped one (the shared-lock case below: no pass, a 1.5 s gap). */
  CHECK(atomic_load(&s_stall_passes) >= 20u);
  CHECK(atomic_load(&s_max_gap_us_in_stall) < 500000u);
  CHECK(atomic_load(&s_feeds_in_stall) >= 5u);
  CHECK_EQ_INT(o.status, 200);
  CHECK(o.relay_on_in_answer);
  CHECK(atomic_load(&s_relay_writes_main) >= 1);
  CHECK_EQ_INT(atomic_load(&s_relay_writes_other), 0);
}

/* The same stall with the old port's one lock around both passes: the main loop stops for the whole
 * stall. Shows the test above can tell the two designs apart. */
static void test_a_shared_lock_would_stop_the_tick(void) {
  outcome_t o = run(true);
  CHECK(o.stalled);
  CHECK(atomic_load(&s_stall_passes) <= 2u);
  CHECK_EQ_INT(atomic_load(&s_feeds_in_stall), 0);
}

int main(void) {
  RUN(test_main_loop_keeps_its_tick_while_the_network_blocks);
  RUN(test_a_shared_lock_would_stop_the_tick);
  return unit_report();
}
