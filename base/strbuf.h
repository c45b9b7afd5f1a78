/* base/strbuf.h — append-only text in an arena, with a size cap and a sticky error.
 * Build SQL, JSON and messages without checking every append: check `error` once. */
#ifndef GP_STRBUF_H
#define GP_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

typedef struct gp_strbuf {
    char *data;     /* always NUL-terminated while !error */
    size_t len;
    size_t cap;
    size_t max;     /* appends past this set `error` and are dropped */
    gp_arena_t *arena;
    bool error;
} gp_strbuf_t;

void gp_strbuf_init(gp_strbuf_t *sb, gp_arena_t *a, size_t max);
void gp_strbuf_append(gp_strbuf_t *sb, const char *s, size_t n);
void gp_strbuf_puts(gp_strbuf_t *sb, const char *s);
void gp_strbuf_putc(gp_strbuf_t *sb, char c);
void gp_strbuf_printf(gp_strbuf_t *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gp_strbuf_vprintf(gp_strbuf_t *sb, const char *fmt, va_list ap);
/* Drops everything after `len` (to undo a trailing separator, say). */
void gp_strbuf_truncate(gp_strbuf_t *sb, size_t len);

#define gp_strbuf_lit(sb, lit) gp_strbuf_append((sb), (lit), sizeof(lit) - 1)

#endif
