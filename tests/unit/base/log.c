/* Unit tests for base/log: gp_log_one_line, which db/pool.c and server/main.c use to
 * log libpq's multi-line messages as one line; text and JSON lines with fields. */
#include "base/log.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/test.h"

static void test_one_line_collapses_runs_of_space(void)
{
    char out[128];
    CHECK_STR(gp_log_one_line(out, sizeof out,
                              "connection to server at \"x\" failed: Connection refused\n\tIs the server running "
                              "on that host?\n"),
              "connection to server at \"x\" failed: Connection refused Is the server running on that host?");
    CHECK_STR(gp_log_one_line(out, sizeof out, "  \n\ta  \t b\n\n"), "a b");
    CHECK_STR(gp_log_one_line(out, sizeof out, " \n\t "), "");
    CHECK_STR(gp_log_one_line(out, sizeof out, ""), "");
}

static void test_one_line_in_place(void)
{
    char msg[] = "FATAL:  role \"x\"\n does not exist\n";
    CHECK(gp_log_one_line(msg, sizeof msg, msg) == msg);
    CHECK_STR(msg, "FATAL: role \"x\" does not exist");
}

static void test_one_line_cuts_to_size(void)
{
    char out[6];
    CHECK_STR(gp_log_one_line(out, sizeof out, "abc\n\ndefgh"), "abc d");
    CHECK_STR(gp_log_one_line(out, sizeof out, "abcd \nx"), "abcd"); /* no space left at the end */
    CHECK_STR(gp_log_one_line(out, 1, "abc"), "");
}

/* What one gp_log_event wrote to stderr (a pipe for the call). */
static void captured(gp_log_format_t format, const char *msg, const gp_log_field_t *f, size_t n, char *out, size_t size)
{
    int fds[2], saved = dup(STDERR_FILENO);
    CHECK(pipe(fds) == 0);
    dup2(fds[1], STDERR_FILENO);
    gp_log_format = format;
    gp_log_event(GP_LOG_INFO, "request", msg, f, n);
    gp_log_format = GP_LOG_TEXT;
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fds[1]);
    ssize_t got = read(fds[0], out, size - 1);
    close(fds[0]);
    out[got > 0 ? got : 0] = '\0';
}

static void test_event_as_text_and_json(void)
{
    gp_log_field_t f[] = {GP_LOG_STR("id", "abc"), GP_LOG_STR("op", "Get \"x\"\n"), GP_LOG_STR("none", NULL),
                          GP_LOG_NUM("ms", 1.5), GP_LOG_NUM("bytes", 1024)};
    char line[512];
    captured(GP_LOG_TEXT, "done", f, 5, line, sizeof line);
    const char *tail = strstr(line, " info  request  ");
    CHECK(tail != NULL);
    if (tail != NULL)
        CHECK_STR(tail, " info  request  done id=abc op=\"Get \\\"x\\\"\\u000a\" ms=1.5 bytes=1024\n");
    captured(GP_LOG_JSON, "a \"quoted\" msg", f, 5, line, sizeof line);
    CHECK(strchr(line, '\n') == line + strlen(line) - 1); /* one line */
    json_error_t err;
    json_t *o = json_loads(line, 0, &err);
    CHECK(o != NULL);
    if (o != NULL) {
        CHECK_STR(json_string_value(json_object_get(o, "level")), "info");
        CHECK_STR(json_string_value(json_object_get(o, "subsystem")), "request");
        CHECK_STR(json_string_value(json_object_get(o, "msg")), "a \"quoted\" msg");
        CHECK_STR(json_string_value(json_object_get(o, "op")), "Get \"x\"\n");
        CHECK(json_object_get(o, "none") == NULL);
        CHECK(json_real_value(json_object_get(o, "ms")) == 1.5);
        CHECK(json_integer_value(json_object_get(o, "bytes")) == 1024);
        CHECK(json_string_value(json_object_get(o, "time")) != NULL);
        json_decref(o);
    }
}

/* Buffered, info lines wait for gp_log_flush (or a full buffer) and then go out whole and
 * in order; a warning goes out at once, after them. */
static void test_buffered_lines_wait_for_the_flush(void)
{
    int fds[2], saved = dup(STDERR_FILENO);
    CHECK(pipe(fds) == 0);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    dup2(fds[1], STDERR_FILENO);
    gp_log_buffer(true);
    gp_info("request", "first");
    gp_info("request", "second");
    static char buf[1 << 17]; /* more than the pipe holds: a read ends at a line end */
    CHECK(read(fds[0], buf, sizeof buf) == -1); /* nothing written yet */
    gp_log_flush();
    ssize_t got = read(fds[0], buf, sizeof buf - 1);
    buf[got > 0 ? got : 0] = '\0';
    CHECK(strstr(buf, "first\n") != NULL && strstr(buf, "second\n") > strstr(buf, "first\n"));
    gp_info("request", "before the warning");
    gp_warn("request", "at once");
    got = read(fds[0], buf, sizeof buf - 1);
    buf[got > 0 ? got : 0] = '\0';
    CHECK(strstr(buf, "before the warning\n") != NULL && strstr(buf, "at once\n") > strstr(buf, "before the warning"));
    int lines = 0;
    for (int i = 0; i < 100; i++) /* ~80 bytes each: more than a buffer */
        gp_info("request", "line %03d", i);
    gp_log_buffer(false);
    for (;;) {
        got = read(fds[0], buf, sizeof buf - 1);
        CHECK(got > 0 && buf[got - 1] == '\n'); /* whole lines */
        buf[got] = '\0';
        for (char *p = buf; (p = strstr(p, " line ")) != NULL; p++) {
            char want[32];
            snprintf(want, sizeof want, " line %03d\n", lines);
            CHECK(strncmp(p, want, strlen(want)) == 0);
            lines++;
        }
        if (lines >= 100 || got <= 0)
            break;
    }
    CHECK(lines == 100);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fds[1]);
    close(fds[0]);
}

TEST_MAIN(test_one_line_collapses_runs_of_space, test_one_line_in_place, test_one_line_cuts_to_size,
          test_event_as_text_and_json, test_buffered_lines_wait_for_the_flush)
