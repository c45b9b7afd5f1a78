/* base/log.h — leveled one-line logging to stderr: time, level, subsystem, message, as
 * text or as one JSON object per line (--log-format). The level is tested before the
 * arguments are formatted, so debug lines cost nothing when off. */
#ifndef GP_LOG_H
#define GP_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { GP_LOG_DEBUG, GP_LOG_INFO, GP_LOG_WARN, GP_LOG_ERROR } gp_log_level_t;

typedef enum { GP_LOG_TEXT, GP_LOG_JSON } gp_log_format_t;

extern gp_log_level_t gp_log_level;
extern gp_log_format_t gp_log_format;

/* A named value of an event line: a string (NULL: left out) or a number. */
typedef struct gp_log_field {
    const char *key;
    const char *str;
    double num;
    bool is_num;
} gp_log_field_t;

#define GP_LOG_STR(k, v) ((gp_log_field_t){(k), (v), 0, false})
#define GP_LOG_NUM(k, v) ((gp_log_field_t){(k), NULL, (double)(v), true})

/* On, this thread's debug and info lines wait in a buffer of its own until gp_log_flush
 * (or until it is full): an event loop's thread flushes once per loop turn. Warnings and
 * errors are written at once, after what waits. Off flushes. */
void gp_log_buffer(bool on);
void gp_log_flush(void);

/* Parses "debug", "info", "warn" or "error"; returns -1 on anything else. */
int gp_log_parse_level(const char *s);
void gp_log_write(gp_log_level_t level, const char *subsystem, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A line with fields: text appends ` key=value` (a string with spaces, quotes or an `=`
 * quoted, JSON-style), JSON adds them as members. Callers test the level first. */
void gp_log_event(gp_log_level_t level, const char *subsystem, const char *msg, const gp_log_field_t *fields,
                  size_t nfields);

/* `msg` as one line in `out` (`size` bytes, at least 1, with the NUL): every run of spaces,
 * tabs and newlines becomes one space, and there is none at either end; longer text is cut.
 * libpq's messages span lines ("connection to server ... failed: \n\tIs the server
 * running ..."); a log line must not. `out` may be `msg` itself. Returns `out`. */
char *gp_log_one_line(char *out, size_t size, const char *msg);

#define GP_LOG(level, subsystem, ...)                           \
    do {                                                        \
        if ((level) >= gp_log_level)                            \
            gp_log_write((level), (subsystem), __VA_ARGS__);    \
    } while (0)
#define gp_debug(sub, ...) GP_LOG(GP_LOG_DEBUG, sub, __VA_ARGS__)
#define gp_info(sub, ...) GP_LOG(GP_LOG_INFO, sub, __VA_ARGS__)
#define gp_warn(sub, ...) GP_LOG(GP_LOG_WARN, sub, __VA_ARGS__)
#define gp_error(sub, ...) GP_LOG(GP_LOG_ERROR, sub, __VA_ARGS__)

#endif
