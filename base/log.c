/* base/log.c — whole lines per write(2), so lines from different threads never interleave. */
#include "log.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

gp_log_level_t gp_log_level = GP_LOG_INFO;
gp_log_format_t gp_log_format = GP_LOG_TEXT;

static const char *const names[] = {"debug", "info", "warn", "error"};

int gp_log_parse_level(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcasecmp(s, names[i]) == 0)
            return i;
    return -1;
}

/* A line being built: never more than LINE_MAX_BYTES, cut rather than overflowing. */
#define LINE_MAX_BYTES 2048

typedef struct {
    char buf[LINE_MAX_BYTES];
    size_t len;
} line_t;

static void put(line_t *l, const char *s, size_t n)
{
    if (n > sizeof l->buf - 2 - l->len) /* room for '\n' */
        n = sizeof l->buf - 2 - l->len;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void puts_(line_t *l, const char *s)
{
    put(l, s, strlen(s));
}

/* s as a JSON string body (no quotes): control characters escaped, the rest as is. */
static void put_escaped(line_t *l, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            put(l, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(l, esc, 6);
        } else {
            put(l, (const char *)&c, 1);
        }
    }
}

static void put_quoted(line_t *l, const char *s)
{
    puts_(l, "\"");
    put_escaped(l, s);
    puts_(l, "\"");
}

static void put_number(line_t *l, double v)
{
    char num[32];
    snprintf(num, sizeof num, "%.15g", v);
    puts_(l, num);
}

static void head(line_t *l, gp_log_level_t level, const char *subsystem)
{
    struct timespec ts;
    struct tm tm;
    char t[64];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(t, sizeof t, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    if (gp_log_format == GP_LOG_JSON) {
        char h[128];
        snprintf(h, sizeof h, "{\"time\":\"%s\",\"level\":\"%s\",\"subsystem\":", t, names[level]);
        puts_(l, h);
        put_quoted(l, subsystem);
        puts_(l, ",\"msg\":");
    } else {
        char h[96];
        snprintf(h, sizeof h, "%s %-5s %-8s ", t, names[level], subsystem);
        puts_(l, h);
    }
}

/* A buffering thread's debug and info lines, written when its loop turn ends: a write(2)
 * per request line cost a busy server ~7% of its throughput. PIPE_BUF bytes at most, as a
 * larger write to a pipe may interleave with other threads' writes. */
static __thread struct {
    bool on;
    size_t len;
    char buf[PIPE_BUF];
} pending;
_Static_assert(LINE_MAX_BYTES <= PIPE_BUF, "a line fits in the pending buffer");

static void write_all(const char *buf, size_t len)
{
    ssize_t ignored = write(STDERR_FILENO, buf, len);
    (void)ignored;
}

void gp_log_buffer(bool on)
{
    gp_log_flush();
    pending.on = on;
}

void gp_log_flush(void)
{
    if (pending.len > 0)
        write_all(pending.buf, pending.len);
    pending.len = 0;
}

/* Warnings and errors go out at once (after what waits, to keep the order): they may
 * be the last words before an abort. */
static void finish(line_t *l, gp_log_level_t level)
{
    if (gp_log_format == GP_LOG_JSON)
        puts_(l, "}");
    l->buf[l->len++] = '\n';
    if (!pending.on || level >= GP_LOG_WARN) {
        gp_log_flush();
        write_all(l->buf, l->len);
        return;
    }
    if (pending.len + l->len > sizeof pending.buf)
        gp_log_flush();
    memcpy(pending.buf + pending.len, l->buf, l->len);
    pending.len += l->len;
}

static void put_msg(line_t *l, const char *msg)
{
    if (gp_log_format == GP_LOG_JSON)
        put_quoted(l, msg);
    else
        puts_(l, msg);
}

void gp_log_write(gp_log_level_t level, const char *subsystem, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    line_t l;
    l.len = 0;
    head(&l, level, subsystem);
    put_msg(&l, msg);
    finish(&l, level);
}

/* Text values are bare unless they could be misread. */
static bool needs_quotes(const char *s)
{
    if (*s == '\0')
        return true;
    for (; *s != '\0'; s++)
        if (*s == ' ' || *s == '"' || *s == '=' || (unsigned char)*s < 0x20)
            return true;
    return false;
}

void gp_log_event(gp_log_level_t level, const char *subsystem, const char *msg, const gp_log_field_t *fields,
                  size_t nfields)
{
    line_t l;
    l.len = 0;
    head(&l, level, subsystem);
    put_msg(&l, msg);
    for (size_t i = 0; i < nfields; i++) {
        const gp_log_field_t *f = &fields[i];
        if (!f->is_num && f->str == NULL)
            continue;
        if (gp_log_format == GP_LOG_JSON) {
            puts_(&l, ",");
            put_quoted(&l, f->key);
            puts_(&l, ":");
        } else {
            puts_(&l, " ");
            puts_(&l, f->key);
            puts_(&l, "=");
        }
        if (f->is_num)
            put_number(&l, f->num);
        else if (gp_log_format == GP_LOG_JSON || needs_quotes(f->str))
            put_quoted(&l, f->str);
        else
            puts_(&l, f->str);
    }
    finish(&l, level);
}

char *gp_log_one_line(char *out, size_t size, const char *msg)
{
    size_t n = 0;
    for (const char *p = msg; *p != '\0' && n < size - 1; p++) {
        bool space = *p == '\n' || *p == '\t' || *p == ' ';
        if (!space)
            out[n++] = *p;
        else if (n > 0 && out[n - 1] != ' ')
            out[n++] = ' ';
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    return out;
}
