/* Unit tests for resolvers/jsonpath: Hasura's JSON path syntax → the text[] items of `#>`. */
#include "resolvers/jsonpath.h"

#include "base/strbuf.h"
#include "resolvers/sql.h"
#include "tests/unit/test.h"

/* The path as the array literal the parameter gets, or "error: <message> @<byte>". */
static const char *split(gp_arena_t *a, const char *path)
{
    const char **items;
    int n;
    size_t at;
    const char *err = gp_jsonpath_parse(a, path, strlen(path), &items, &n, &at);
    if (err != NULL)
        return gp_arena_printf(a, "error: %s @%zu", err, at);
    return gp_sql_array_literal(a, items, n);
}

static void test_paths(void)
{
    gp_arena_t *a = gp_arena_new(4096);
    CHECK_STR(split(a, "a"), "{\"a\"}");
    CHECK_STR(split(a, "a.b[0]"), "{\"a\",\"b\",\"0\"}");
    CHECK_STR(split(a, "$.a.b[0]"), "{\"a\",\"b\",\"0\"}");
    CHECK_STR(split(a, "$"), "{}");
    CHECK_STR(split(a, "$[1][2]"), "{\"1\",\"2\"}");
    CHECK_STR(split(a, "$['k y'].x"), "{\"k y\",\"x\"}");
    CHECK_STR(split(a, "[\"a.b\"]"), "{\"a.b\"}");
    CHECK_STR(split(a, "a\"b,c}"), "{\"a\\\"b,c}\"}"); /* quoted by the array literal, never pasted */
    CHECK_STR(split(a, ""), "error: the path is empty @0");
    CHECK_STR(split(a, "a..b"), "error: a key is missing @2");
    CHECK_STR(split(a, "a."), "error: a key is missing @2");
    CHECK_STR(split(a, "a[x]"), "error: expected an array index or a quoted key after '[' @2");
    CHECK_STR(split(a, "a[1"), "error: expected ']' @3");
    CHECK_STR(split(a, "a['b]"), "error: a quoted key is not closed @5");
    CHECK_STR(split(a, "a]"), "error: expected '.' or '[' @1");
    gp_arena_free(a);
}

TEST_MAIN(test_paths)
