/* docs/protocol.md §4 and the config table (core/app/app_config.c) say the same: every field has a row in
 * the protocol's table, and that row names the field's range limits, enum values and default. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "app/app_model.h"
#include "unit.h"

static char s_doc[64 * 1024];
static char s_table[8192];

/* The protocol doc's row for `path`, or NULL. */
static const char *doc_row(const char *path, char *row, size_t cap) {
  char head[64];
  snprintf(head, sizeof(head), "\n| `%s` |", path);
  const char *sec = strstr(s_doc, "\n## 4. Config");
  const char *p = sec ? strstr(sec, head) : NULL;
  const char *next = sec ? strstr(sec + 1, "\n## 5.") : NULL;
  if (p == NULL || (next && p > next)) return NULL;
  p++;
  const char *end = strchr(p, '\n');
  size_t n = end ? (size_t)(end - p) : strlen(p);
  if (n >= cap) n = cap - 1;
  memcpy(row, p, n);
  row[n] = '\0';
  return row;
}

/* Each word or number of `cell` (the table's range or default) must appear in the doc's row. */
static void check_cell(const char *path, const char *cell, const char *row) {
  char tok[40];
  size_t t = 0;
  for (const char *c = cell;; c++) {
    bool dot = *c == '.' && c > cell && isdigit((unsigned char)c[-1]) && isdigit((unsigned char)c[1]);
    bool part = *c && (isalnum((unsigned char)*c) || dot || *c == '_');
    if (part && t + 1 < sizeof(tok)) {
      tok[t++] = *c;
      continue;
    }
    if (t) {
      tok[t] = '\0';
      /* "0" (an empty string, or off) is implied where a row leaves it out */
      bool skip = strcmp(tok, "0") == 0 || strcmp(tok, "bytes") == 0 || strcmp(tok, "printable") == 0 ||
                  strcmp(tok, "ASCII") == 0 || strcmp(tok, "hostname") == 0;
      if (!skip && strstr(row, tok) == NULL) {
        printf("  %s: \"%s\" is not in the protocol's row: %s\n", path, tok, row);
        CHECK(false);
      }
      t = 0;
    }
    if (!*c) break;
  }
}

static void test_protocol_table_matches_the_config_table(void) {
  int n = app_config_describe(s_table, sizeof(s_table));
  CHECK(n > 0);
  int rows = 0;
  char *save = NULL;
  for (char *line = strtok_r(s_table, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (strncmp(line, "| `", 3) != 0) continue;
    char path[48], type[48], range[80], def[32];
    if (sscanf(line, "| `%47[^`]` | %47[^|]| %79[^|]| %31[^|]|", path, type, range, def) != 4) {
      range[0] = def[0] = '\0';
      if (sscanf(line, "| `%47[^`]` | %47[^|]| | %31[^|]|", path, type, def) != 3) continue;
    }
    rows++;
    char row[1024];
    if (!doc_row(path, row, sizeof(row))) {
      printf("  %s has no row in docs/protocol.md\n", path);
      CHECK(false);
      continue;
    }
    check_cell(path, range, row);
    check_cell(path, def, row);
  }
  CHECK(rows >= 25);
}

static void test_describe_refuses_a_small_buffer(void) {
  char small[64];
  CHECK_EQ_INT(app_config_describe(small, sizeof(small)), -1);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    printf("usage: %s docs/protocol.md\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    printf("cannot open %s\n", argv[1]);
    return 2;
  }
  size_t n = fread(s_doc, 1, sizeof(s_doc) - 1, f);
  fclose(f);
  s_doc[n] = '\0';
  RUN(test_protocol_table_matches_the_config_table);
  RUN(test_describe_refuses_a_small_buffer);
  return unit_report();
}
