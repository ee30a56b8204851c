#include "unit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int g_passed, g_failed, g_current_failed;
static const char *g_current;

void unit_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  printf("FAIL %s (%s:%d): ", g_current ? g_current : "?", file, line);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  g_current_failed = 1;
}

bool unit_streq(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return strcmp(a, b) == 0;
}

void unit_run(const char *name, void (*fn)(void)) {
  g_current = name;
  g_current_failed = 0;
  fn();
  if (g_current_failed) {
    g_failed++;
  } else {
    g_passed++;
    printf("ok   %s\n", name);
  }
  g_current = NULL;
}

int unit_report(void) {
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed ? 1 : 0;
}
