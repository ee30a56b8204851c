/* port_dns.c — hal_dns_start/poll on lwIP: dns_gethostbyname() with a callback, run in the tcpip thread.
 *
 * getaddrinfo() would block the calling task for lwIP's whole retry schedule (DNS_MAX_RETRIES × DNS_TMR
 * backoff: 7-14 s per lookup against the core's 8 s watchdog), and the network loop runs under the lock the
 * main loop needs (main.c). Here the network loop only posts a message to the tcpip thread
 * (tcpip_try_callback: never waits for a full mailbox) and later polls the state the callback left. */
#include <stdint.h>
#include <string.h>

#include <lwip/dns.h>
#include <lwip/ip_addr.h>
#include <lwip/tcpip.h>

#include "hal.h"

#define HOST_MAX 64u

static char s_host[HOST_MAX];
static volatile uint32_t s_gen;          /* the latest start; older callbacks are ignored */
static volatile hal_dns_state_t s_state; /* of s_gen */
static volatile uint32_t s_ip;           /* network byte order, as lwIP keeps it */

static void take(uint32_t gen, const ip_addr_t *addr)
{
  if (gen != s_gen) {
    return;
  }
  if (addr != NULL && IP_IS_V4(addr)) {
    s_ip = ip4_addr_get_u32(ip_2_ip4(addr));
    s_state = HAL_DNS_DONE;
  } else {
    s_state = HAL_DNS_FAILED;
  }
}

static void found(const char *name, const ip_addr_t *addr, void *arg)
{
  (void)name;
  take((uint32_t)(uintptr_t)arg, addr);
}

/* In the tcpip thread: the only place lwIP's DNS table may be touched. */
static void start_lookup(void *arg)
{
  ip_addr_t addr;
  const err_t e = dns_gethostbyname(s_host, &addr, found, arg);
  if (e == ERR_OK) {
    take((uint32_t)(uintptr_t)arg, &addr); /* cached by lwIP, or a numeric address */
  } else if (e != ERR_INPROGRESS) {
    take((uint32_t)(uintptr_t)arg, NULL);
  }
}

hal_status_t hal_dns_start(const char *host)
{
  const size_t n = host != NULL ? strlen(host) : HOST_MAX;
  if (n == 0 || n >= HOST_MAX) {
    return HAL_ERR_ARG;
  }
  const uint32_t gen = s_gen + 1u;
  s_gen = gen; /* first: a callback of the previous lookup is dropped from now on */
  memcpy(s_host, host, n + 1);
  s_state = HAL_DNS_PENDING;
  if (tcpip_try_callback(start_lookup, (void *)(uintptr_t)gen) != ERR_OK) {
    s_state = HAL_DNS_FAILED;
    return HAL_ERR_IO;
  }
  return HAL_OK;
}

hal_dns_state_t hal_dns_poll(uint8_t ipv4[4])
{
  const hal_dns_state_t st = s_state;
  if (st == HAL_DNS_DONE) {
    const uint32_t ip = s_ip;
    memcpy(ipv4, &ip, 4);
  }
  return st;
}
