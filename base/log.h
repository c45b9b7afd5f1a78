/* base/log.h — leveled one-line logging to stderr: time, level, subsystem, message.
 * The level is tested before the arguments are formatted, so debug lines cost nothing when off. */
#ifndef GP_LOG_H
#define GP_LOG_H

#include <stddef.h>

typedef enum { GP_LOG_DEBUG, GP_LOG_INFO, GP_LOG_WARN, GP_LOG_ERROR } gp_log_level_t;

extern gp_log_level_t gp_log_level;

/* Parses "debug", "info", "warn" or "error"; returns -1 on anything else. */
int gp_log_parse_level(const char *s);
void gp_log_write(gp_log_level_t level, const char *subsystem, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

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
