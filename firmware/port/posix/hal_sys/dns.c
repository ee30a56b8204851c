/* Non-blocking name resolution for the simulated plug: getaddrinfo() runs on a resolver thread, so a DNS
 * server that never answers stalls only that thread, never the plug's loops (hal.h). For tests,
 * OBL_DNS_STALL_S=N makes every lookup hang N real seconds first (a router or Pi-hole outage). */
#define _GNU_SOURCE
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "hal.h"

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static bool g_started;
static char g_host[64];           /* the latest request */
static uint32_t g_want, g_done;   /* request generation asked for / last one answered */
static hal_dns_state_t g_state;   /* of generation g_done */
static uint8_t g_ip[4];

static void *resolver_main(void *arg) {
  (void)arg;
  const char *stall = getenv("OBL_DNS_STALL_S");
  long stall_s = stall ? strtol(stall, NULL, 10) : 0;
  for (;;) {
    char host[64];
    pthread_mutex_lock(&g_mu);
    while (g_want == g_done) pthread_cond_wait(&g_cv, &g_mu);
    uint32_t gen = g_want;
    memcpy(host, g_host, sizeof host);
    pthread_mutex_unlock(&g_mu);
    if (stall_s > 0) {
      struct timespec ts = {stall_s, 0};
      while (nanosleep(&ts, &ts) != 0) {
      }
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    bool ok = getaddrinfo(host, NULL, &hints, &res) == 0 && res;
    uint8_t ip[4] = {0};
    if (ok) memcpy(ip, &((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr, 4);
    if (res) freeaddrinfo(res);
    pthread_mutex_lock(&g_mu);
    if (gen == g_want) { /* a newer start drops this answer */
      g_done = gen;
      g_state = ok ? HAL_DNS_DONE : HAL_DNS_FAILED;
      memcpy(g_ip, ip, 4);
    } else {
      g_done = gen;
    }
    pthread_mutex_unlock(&g_mu);
  }
  return NULL;
}

hal_status_t hal_dns_start(const char *host) {
  if (!host || strlen(host) >= sizeof g_host) return HAL_ERR_ARG;
  pthread_mutex_lock(&g_mu);
  if (!g_started) {
    pthread_t t;
    if (pthread_create(&t, NULL, resolver_main, NULL) != 0) {
      pthread_mutex_unlock(&g_mu);
      return HAL_ERR_IO;
    }
    pthread_detach(t);
    g_started = true;
  }
  strcpy(g_host, host);
  g_want++;
  pthread_cond_signal(&g_cv);
  pthread_mutex_unlock(&g_mu);
  return HAL_OK;
}

hal_dns_state_t hal_dns_poll(uint8_t ipv4[4]) {
  pthread_mutex_lock(&g_mu);
  hal_dns_state_t st = !g_started ? HAL_DNS_IDLE : g_done != g_want ? HAL_DNS_PENDING : g_state;
  if (st == HAL_DNS_DONE) memcpy(ipv4, g_ip, 4);
  pthread_mutex_unlock(&g_mu);
  return st;
}
