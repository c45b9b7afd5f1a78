/* Unit tests for base/log: gp_log_one_line, which db/pool.c and server/main.c use to
 * log libpq's multi-line messages as one line. */
#include "base/log.h"

#include <string.h>

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

TEST_MAIN(test_one_line_collapses_runs_of_space, test_one_line_in_place, test_one_line_cuts_to_size)
