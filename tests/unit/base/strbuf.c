/* Unit tests for base/strbuf, base/json and base/error. */
#include "base/error.h"
#include "base/json.h"
#include "base/strbuf.h"
#include "tests/unit/test.h"

static void test_cap_is_sticky(void)
{
    gp_arena_t *a = gp_arena_new(1024);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 8);
    gp_strbuf_puts(&sb, "12345");
    gp_strbuf_puts(&sb, "6789");
    gp_strbuf_puts(&sb, "0");
    CHECK(sb.error);
    CHECK_STR(sb.data, "12345");
    gp_arena_free(a);
}

static void test_growth_keeps_content(void)
{
    gp_arena_t *a = gp_arena_new(1024);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 1 << 20);
    for (int i = 0; i < 1000; i++)
        gp_strbuf_printf(&sb, "%d,", i % 10);
    CHECK(!sb.error);
    CHECK_INT(sb.len, 2000);
    CHECK(strncmp(sb.data + 1990, "5,6,7,8,9,", 10) == 0);
    gp_arena_free(a);
}

static void test_json_escapes(void)
{
    gp_arena_t *a = gp_arena_new(1024);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 1024);
    gp_json_string(&sb, "a\"b\\c\n\x01\xff\xc3\xa9", 10);
    CHECK_STR(sb.data, "\"a\\\"b\\\\c\\n\\u0001\xEF\xBF\xBD\xc3\xa9\"");
    gp_arena_free(a);
}

static void test_errors_render_locations(void)
{
    gp_arena_t *a = gp_arena_new(1024);
    gp_errors_t errs;
    const char *src = "{\n  users(\n}";
    gp_errors_init(&errs, a, src);
    gp_errors_add(&errs, GP_E_PARSE, 11, "Syntax Error: Expected Name, found \"}\".");
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 4096);
    gp_errors_render(&errs, &sb);
    CHECK_STR(sb.data, "[{\"message\":\"Syntax Error: Expected Name, found \\\"}\\\".\","
                       "\"locations\":[{\"line\":3,\"column\":1}],"
                       "\"extensions\":{\"code\":\"GRAPHQL_PARSE_FAILED\"}}]");
    CHECK_INT(gp_errors_status(&errs), 400);
    gp_arena_free(a);
}

/* A database error carries its SQLSTATE and, for a constraint violation, the
 * constraint's name, both in extensions; such errors leave the status at 200. */
static void test_errors_render_sqlstate_and_constraint(void)
{
    gp_arena_t *a = gp_arena_new(1024);
    gp_errors_t errs;
    gp_errors_init(&errs, a, NULL);
    gp_error_t *e = gp_errors_add(&errs, GP_E_CONSTRAINT, -1, "duplicate key value violates unique constraint \"u\"");
    e->sqlstate = "23505";
    e->constraint = "u";
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 4096);
    gp_errors_render(&errs, &sb);
    CHECK_STR(sb.data, "[{\"message\":\"duplicate key value violates unique constraint \\\"u\\\"\","
                       "\"extensions\":{\"code\":\"constraint-violation\",\"sqlstate\":\"23505\",\"constraint\":\"u\"}}]");
    CHECK_INT(gp_errors_status(&errs), 200);
    CHECK_STR(gp_error_code(GP_E_DATA), "data-exception");
    CHECK_STR(gp_error_code(GP_E_PERMISSION), "permission-error");
    CHECK_INT(gp_error_status(GP_E_DATA), 200);
    CHECK_INT(gp_error_status(GP_E_PERMISSION), 200);
    gp_arena_free(a);
}

TEST_MAIN(test_cap_is_sticky, test_growth_keeps_content, test_json_escapes, test_errors_render_locations,
          test_errors_render_sqlstate_and_constraint)
