/* base/strbuf.c — grows by doubling inside its arena; old buffers stay in the
 * arena until it is freed, which is cheap for request-sized text. */
#include "strbuf.h"

#include <stdio.h>
#include <string.h>

void gp_strbuf_init(gp_strbuf_t *sb, gp_arena_t *a, size_t max)
{
    sb->arena = a;
    sb->max = max;
    sb->len = 0;
    sb->cap = 256;
    sb->error = false;
    sb->data = gp_arena_alloc(a, sb->cap);
    sb->data[0] = '\0';
}

static bool reserve(gp_strbuf_t *sb, size_t n)
{
    if (sb->error)
        return false;
    if (sb->len + n > sb->max) {
        sb->error = true;
        return false;
    }
    if (sb->len + n + 1 <= sb->cap)
        return true;
    size_t cap = sb->cap * 2;
    while (cap < sb->len + n + 1)
        cap *= 2;
    char *data = gp_arena_try_alloc(sb->arena, cap); /* past the arena's limit: stop here */
    if (data == NULL) {
        sb->error = true;
        return false;
    }
    memcpy(data, sb->data, sb->len + 1);
    sb->data = data;
    sb->cap = cap;
    return true;
}

void gp_strbuf_append(gp_strbuf_t *sb, const char *s, size_t n)
{
    if (!reserve(sb, n))
        return;
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void gp_strbuf_puts(gp_strbuf_t *sb, const char *s)
{
    gp_strbuf_append(sb, s, strlen(s));
}

void gp_strbuf_putc(gp_strbuf_t *sb, char c)
{
    gp_strbuf_append(sb, &c, 1);
}

void gp_strbuf_vprintf(gp_strbuf_t *sb, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !reserve(sb, (size_t)n))
        return;
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void gp_strbuf_printf(gp_strbuf_t *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gp_strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
}

void gp_strbuf_truncate(gp_strbuf_t *sb, size_t len)
{
    if (sb->error || len > sb->len)
        return;
    sb->len = len;
    sb->data[len] = '\0';
}
