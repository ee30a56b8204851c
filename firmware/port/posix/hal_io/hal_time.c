/* hal_time.c — the POSIX port's clock (see posix_io.h): scaled CLOCK_MONOTONIC or a manual clock. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "hal.h"
#include "posix_io.h"

static struct {
  pthread_mutex_t lock;
  bool started;
  bool manual;
  double scale;
  uint64_t base_real_ns; /* real time of the last rebase */
  uint64_t base_sim_us;  /* simulated time at the last rebase */
  uint64_t manual_us;
  uint64_t last_us;      /* never return less than this */
  uint64_t unix_base;
  bool unix_set;
} g = {.lock = PTHREAD_MUTEX_INITIALIZER, .scale = 1.0};

static uint64_t real_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void start_locked(void) {
  if (g.started) return;
  g.started = true;
  g.base_real_ns = real_ns();
  g.base_sim_us = 1;
  g.last_us = 1;
  if (!g.unix_set) g.unix_base = (uint64_t)time(NULL);
}

static uint64_t now_locked(void) {
  start_locked();
  uint64_t t;
  if (g.manual) {
    t = g.manual_us;
  } else {
    double elapsed_us = (double)(real_ns() - g.base_real_ns) / 1000.0 * g.scale;
    t = g.base_sim_us + (uint64_t)elapsed_us;
  }
  if (t < g.last_us) t = g.last_us;
  g.last_us = t;
  return t;
}

/* Makes the current simulated time the new base, so a scale or mode change keeps time continuous. */
static void rebase_locked(void) {
  uint64_t t = now_locked();
  g.base_sim_us = t;
  g.base_real_ns = real_ns();
  g.manual_us = t;
}

uint64_t hal_time_us64(void) {
  pthread_mutex_lock(&g.lock);
  uint64_t t = now_locked();
  pthread_mutex_unlock(&g.lock);
  return t;
}

uint32_t hal_time_us32(void) { return (uint32_t)hal_time_us64(); }

uint64_t hal_time_unix(void) {
  uint64_t t = hal_time_us64();
  pthread_mutex_lock(&g.lock);
  uint64_t u = g.unix_base + t / 1000000u;
  pthread_mutex_unlock(&g.lock);
  return u;
}

void posix_io_time_set_scale(double scale) {
  if (!(scale > 0.0)) return;
  pthread_mutex_lock(&g.lock);
  rebase_locked();
  g.scale = scale;
  pthread_mutex_unlock(&g.lock);
}

double posix_io_time_scale(void) {
  pthread_mutex_lock(&g.lock);
  double s = g.scale;
  pthread_mutex_unlock(&g.lock);
  return s;
}

void posix_io_time_set_manual(bool manual) {
  pthread_mutex_lock(&g.lock);
  rebase_locked();
  g.manual = manual;
  pthread_mutex_unlock(&g.lock);
}

void posix_io_time_advance(uint64_t us) {
  pthread_mutex_lock(&g.lock);
  rebase_locked();
  g.base_sim_us += us;
  g.manual_us += us;
  g.last_us = g.manual ? g.manual_us : g.base_sim_us;
  pthread_mutex_unlock(&g.lock);
}

void posix_io_sleep_us(uint64_t us) {
  pthread_mutex_lock(&g.lock);
  bool manual = g.manual;
  double scale = g.scale;
  pthread_mutex_unlock(&g.lock);
  if (manual) {
    posix_io_time_advance(us);
    return;
  }
  double real_us = (double)us / scale;
  struct timespec ts = {.tv_sec = (time_t)(real_us / 1e6), .tv_nsec = (long)((uint64_t)real_us % 1000000u * 1000u)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

void posix_io_time_set_unix_base(uint64_t unix_s) {
  pthread_mutex_lock(&g.lock);
  g.unix_base = unix_s;
  g.unix_set = true;
  pthread_mutex_unlock(&g.lock);
}
