/* Minimal unit-test harness for the firmware. It needs only printf, so the same test binaries run on
 * the host (under ASan/UBSan, via ctest) and on rv32imafc under qemu (picolibc semihosting), where
 * cmocka is not available.
 *
 *   static void test_wrap(void) { CHECK_EQ_U64(x, 5); }
 *   int main(void) { RUN(test_wrap); return unit_report(); }
 */
#ifndef OBL_UNIT_H
#define OBL_UNIT_H

#include <stdbool.h>
#include <stdint.h>

void unit_fail(const char *file, int line, const char *fmt, ...);
void unit_run(const char *name, void (*fn)(void));
int unit_report(void);

#define RUN(fn) unit_run(#fn, fn)

#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) unit_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);  \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                                          \
  do {                                                                                              \
    long long a_ = (long long)(a), b_ = (long long)(b);                                             \
    if (a_ != b_) unit_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, a_, b_);          \
  } while (0)

#define CHECK_EQ_U64(a, b)                                                                          \
  do {                                                                                              \
    unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);                  \
    if (a_ != b_) unit_fail(__FILE__, __LINE__, "%s == %s: %llu != %llu", #a, #b, a_, b_);          \
  } while (0)

/* Tolerances are relative or absolute, whichever is larger: metering checks read like the spec. */
#define CHECK_NEAR(a, b, abs_tol)                                                                   \
  do {                                                                                              \
    double a_ = (double)(a), b_ = (double)(b), d_ = a_ - b_;                                        \
    if (d_ < 0) d_ = -d_;                                                                           \
    if (!(d_ <= (double)(abs_tol)))                                                                 \
      unit_fail(__FILE__, __LINE__, "%s ~= %s: %g vs %g (tol %g)", #a, #b, a_, b_, (double)(abs_tol)); \
  } while (0)

#define CHECK_STR(a, b)                                                                             \
  do {                                                                                              \
    const char *a_ = (a), *b_ = (b);                                                                \
    if (!unit_streq(a_, b_)) unit_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,   \
                                       a_ ? a_ : "(null)", b_ ? b_ : "(null)");                     \
  } while (0)

bool unit_streq(const char *a, const char *b);

#endif
