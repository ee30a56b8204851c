/* mdns_serve ID SECONDS — runs the responder on the real mDNS port 5353 for SECONDS with a test service
 * (192.0.2.2:8080), for the python-zeroconf interop test. Prints its counters at the end. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mdns/mdns_responder.h"

static uint64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static volatile sig_atomic_t stop;
static void on_term(int sig) {
  (void)sig;
  stop = 1;
}

int main(int argc, char **argv) {
  signal(SIGTERM, on_term); /* the interop test ends us early: still say goodbye and print counters */
  if (argc != 3) {
    fprintf(stderr, "usage: mdns_serve ID SECONDS\n");
    return 2;
  }
  char id_txt[48];
  snprintf(id_txt, sizeof id_txt, "id=%s", argv[1]);
  const char *txt[] = {id_txt, "mac=02aabbccddee", "model=sim", "fw=0.1.0", "protocol=1", "board=posix-sim"};
  const uint8_t ip[4] = {192, 0, 2, 2};
  mdns_service_t s;
  if (!mdns_service_init(&s, argv[1], ip, 8080, txt, 6)) return 2;
  mdns_responder_t r;
  if (!mdns_responder_start(&r, &s, 0, NULL, now_ms())) {
    perror("mdns_serve: socket");
    return 1;
  }
  uint64_t end = now_ms() + (uint64_t)atoi(argv[2]) * 1000u;
  while (now_ms() < end && !stop) {
    mdns_responder_poll(&r, now_ms());
    struct timespec ts = {0, 5000000};
    nanosleep(&ts, NULL);
  }
  printf("queries=%u replies=%u malformed=%u\n", r.queries, r.replies, r.malformed);
  mdns_responder_stop(&r);
  return 0;
}
