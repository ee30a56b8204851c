/* POSIX HAL time and GPIO: monotonic scaled/manual clock, input injection with edge handlers, output
 * watching and change counting, thread safety of edge injection. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "hal.h"
#include "posix_io.h"
#include "unit.h"

static void real_sleep_ms(long ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void test_clock_is_monotonic_and_real_time(void) {
  posix_io_time_set_manual(false);
  posix_io_time_set_scale(1.0);
  uint64_t a = hal_time_us64();
  CHECK(a >= 1);
  real_sleep_ms(20);
  uint64_t b = hal_time_us64();
  CHECK(b - a >= 19000);
  CHECK(b - a < 2000000); /* generous: a loaded CI machine */
  uint32_t t32 = hal_time_us32();
  uint64_t t64 = hal_time_us64();
  CHECK((uint32_t)t64 - t32 < 1000000u); /* the low 32 bits of the same clock */
  uint64_t last = 0;
  for (int i = 0; i < 10000; i++) {
    uint64_t t = hal_time_us64();
    CHECK(t >= last);
    last = t;
  }
}

static void test_scale_runs_faster_and_stays_continuous(void) {
  posix_io_time_set_manual(false);
  posix_io_time_set_scale(100.0);
  CHECK_NEAR(posix_io_time_scale(), 100.0, 0);
  uint64_t a = hal_time_us64();
  real_sleep_ms(20);
  uint64_t b = hal_time_us64();
  CHECK(b - a >= 1900000); /* 20 ms real → ≥ 1.9 s simulated */
  posix_io_time_set_scale(1.0);
  uint64_t c = hal_time_us64();
  CHECK(c >= b);
  CHECK(c - b < 1000000); /* no jump when the scale changes */
  /* sleeping simulated time at scale 1000: 2 s simulated in ~2 ms real */
  posix_io_time_set_scale(1000.0);
  uint64_t d = hal_time_us64();
  posix_io_sleep_us(2000000);
  CHECK(hal_time_us64() - d >= 2000000);
  posix_io_time_set_scale(0.0); /* refused */
  CHECK_NEAR(posix_io_time_scale(), 1000.0, 0);
  posix_io_time_set_scale(1.0);
}

static void test_manual_clock(void) {
  posix_io_time_set_manual(true);
  uint64_t a = hal_time_us64();
  real_sleep_ms(5);
  CHECK_EQ_U64(hal_time_us64(), a);
  posix_io_time_advance(1500);
  CHECK_EQ_U64(hal_time_us64(), a + 1500);
  posix_io_sleep_us(10000000); /* returns at once, clock +10 s */
  CHECK_EQ_U64(hal_time_us64(), a + 1500 + 10000000);
  posix_io_time_set_unix_base(1700000000u);
  CHECK(hal_time_unix() >= 1700000000u + 10);
  posix_io_time_set_manual(false);
  CHECK(hal_time_us64() >= a + 10001500); /* back to running, from where it was */
}

static uint32_t g_edges, g_last_t;
static void on_edge(void *ctx, uint32_t t_us) {
  (void)ctx;
  g_edges++;
  g_last_t = t_us;
}

static void test_inputs_pulls_and_edges(void) {
  posix_io_reset();
  posix_io_time_set_manual(true);
  CHECK_EQ_INT(hal_gpio_input(17, HAL_PULL_UP), HAL_OK);
  CHECK(posix_io_is_input(17));
  CHECK_EQ_INT(posix_io_pull(17), HAL_PULL_UP);
  CHECK(hal_gpio_read(17)); /* floating with pull-up */
  CHECK_EQ_INT(hal_gpio_set_edge_handler(17, HAL_EDGE_FALLING, on_edge, NULL), HAL_OK);
  g_edges = 0;
  CHECK(posix_io_set_input(17, false)); /* press */
  CHECK(!hal_gpio_read(17));
  CHECK_EQ_INT(g_edges, 1);
  CHECK_EQ_U64(g_last_t, (uint32_t)hal_time_us64());
  CHECK(posix_io_set_input(17, false)); /* no change, no edge */
  CHECK_EQ_INT(g_edges, 1);
  CHECK(posix_io_release_input(17)); /* rising: not listened to */
  CHECK(hal_gpio_read(17));
  CHECK_EQ_INT(g_edges, 1);
  /* explicit edges carry the caller's timestamp, even without a level change */
  CHECK_EQ_INT(hal_gpio_input(14, HAL_PULL_NONE), HAL_OK);
  CHECK_EQ_INT(hal_gpio_set_edge_handler(14, HAL_EDGE_BOTH, on_edge, NULL), HAL_OK);
  g_edges = 0;
  CHECK(posix_io_edge(14, true, 0x100000123ull));
  CHECK_EQ_INT(g_last_t, 0x123);
  CHECK(posix_io_edge(14, true, 5));
  CHECK_EQ_INT(g_edges, 2);
  CHECK(posix_io_edge(14, false, 6));
  CHECK_EQ_INT(g_edges, 3);
  CHECK_EQ_INT(hal_gpio_set_edge_handler(14, HAL_EDGE_BOTH, NULL, NULL), HAL_OK);
  CHECK(posix_io_edge(14, true, 7));
  CHECK_EQ_INT(g_edges, 3);
  CHECK_EQ_INT(hal_gpio_set_edge_handler(40, HAL_EDGE_BOTH, on_edge, NULL), HAL_ERR_ARG);
  posix_io_time_set_manual(false);
}

static uint8_t g_cb_pin[16];
static bool g_cb_level[16];
static int g_cb_n;
static void on_out(void *ctx, uint8_t pin, bool level, uint64_t t) {
  (void)ctx;
  (void)t;
  if (g_cb_n < 16) {
    g_cb_pin[g_cb_n] = pin;
    g_cb_level[g_cb_n] = level;
  }
  g_cb_n++;
}

static void test_outputs_are_watched(void) {
  posix_io_reset();
  g_cb_n = 0;
  posix_io_on_output(on_out, NULL);
  CHECK_EQ_INT(hal_gpio_write(2, true), HAL_ERR_ARG); /* not configured */
  CHECK_EQ_INT(hal_gpio_output(2, true), HAL_OK);
  CHECK(posix_io_is_output(2));
  CHECK(posix_io_output(2));
  CHECK(hal_gpio_read(2));
  CHECK_EQ_INT(posix_io_output_changes(2), 1);
  CHECK_EQ_INT(hal_gpio_write(2, true), HAL_OK);
  CHECK_EQ_INT(posix_io_output_changes(2), 1); /* same level: no change */
  CHECK_EQ_INT(hal_gpio_write(2, false), HAL_OK);
  CHECK_EQ_INT(posix_io_output_changes(2), 2);
  CHECK(!posix_io_output(2));
  CHECK_EQ_INT(g_cb_n, 2);
  CHECK(g_cb_pin[0] == 2 && g_cb_level[0] && g_cb_pin[1] == 2 && !g_cb_level[1]);
  CHECK(!posix_io_set_input(2, true)); /* cannot drive an output from outside */
  CHECK(!posix_io_output(9));
  CHECK_EQ_INT(hal_gpio_output(32, true), HAL_ERR_ARG);
  posix_io_on_output(NULL, NULL);
}

static atomic_uint g_count;
static void count_edge(void *ctx, uint32_t t) {
  (void)ctx;
  (void)t;
  atomic_fetch_add(&g_count, 1);
}
static void *injector(void *arg) {
  uint8_t pin = (uint8_t)(uintptr_t)arg;
  for (int i = 0; i < 20000; i++) posix_io_edge(pin, (i & 1) != 0, (uint64_t)i);
  return NULL;
}

static void test_edges_from_threads(void) {
  posix_io_reset();
  hal_gpio_input(3, HAL_PULL_NONE);
  hal_gpio_input(14, HAL_PULL_NONE);
  hal_gpio_set_edge_handler(3, HAL_EDGE_FALLING, count_edge, NULL);
  hal_gpio_set_edge_handler(14, HAL_EDGE_FALLING, count_edge, NULL);
  atomic_store(&g_count, 0);
  pthread_t a, b;
  pthread_create(&a, NULL, injector, (void *)(uintptr_t)3);
  pthread_create(&b, NULL, injector, (void *)(uintptr_t)14);
  for (int i = 0; i < 1000; i++) (void)hal_gpio_read(3);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  CHECK_EQ_INT(atomic_load(&g_count), 20000);
}

int main(void) {
  RUN(test_clock_is_monotonic_and_real_time);
  RUN(test_scale_runs_faster_and_stays_continuous);
  RUN(test_manual_clock);
  RUN(test_inputs_pulls_and_edges);
  RUN(test_outputs_are_watched);
  RUN(test_edges_from_threads);
  return unit_report();
}
