/* http_throttle.h — slows down password guessing per source address without ever turning against the
 * owner (docs/protocol.md §7).
 *
 *   - Only a request that carries credentials and gets them wrong is a failed attempt; a request without
 *     credentials (a page left open, a probe) costs nothing.
 *   - Each source address has a budget of HTTP_THROTTLE_BURST wrong attempts, refilled one per
 *     HTTP_THROTTLE_REFILL_MS. With the budget spent, the source's next credential check is *held* (not
 *     refused) until a unit is back: a correct password is then accepted, a wrong one costs that unit.
 *     The guessing rate per source is bounded, and nothing one source does delays another.
 *   - A correct password refills the source's budget.
 * Sources live in a small table; when it is full the entry with the most budget left is reused (a full
 * budget is the same as no entry), and if every entry is spending, new sources share one extra entry, so
 * cycling through addresses does not buy more guesses than HTTP_THROTTLE_SOURCES + 1 budgets.
 * Pure code, no clock of its own (unit test: firmware/tests/http/http_throttle_test.c). */
#ifndef OBL_HTTP_THROTTLE_H
#define OBL_HTTP_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

#define HTTP_THROTTLE_SOURCES 8u
#define HTTP_THROTTLE_BURST 5u
#define HTTP_THROTTLE_REFILL_MS 3000u

typedef struct {
  uint32_t ipv4;   /* 0 = free */
  uint8_t spent;   /* wrong attempts not yet refilled (0: the whole budget left; a zeroed table is valid) */
  uint64_t refill_ms; /* when the next unit comes back (only while budget < BURST) */
} http_throttle_src_t;

typedef struct {
  http_throttle_src_t src[HTTP_THROTTLE_SOURCES + 1]; /* the last one is shared by overflow sources */
} http_throttle_t;

void http_throttle_init(http_throttle_t *t); /* same as zeroing it */
/* 0: check the credentials now; otherwise how many ms to hold the request before asking again. */
uint32_t http_throttle_wait_ms(http_throttle_t *t, uint32_t ipv4, uint64_t now_ms);
/* The outcome of a credential check made after http_throttle_wait_ms() returned 0. */
void http_throttle_result(http_throttle_t *t, uint32_t ipv4, bool correct, uint64_t now_ms);

#endif
