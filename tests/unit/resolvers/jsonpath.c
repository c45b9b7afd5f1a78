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

static const struct {
    const char *path, *want;
} cases[] = {
    {"a", "{\"a\"}"},
    {"a.b[0]", "{\"a\",\"b\",\"0\"}"},
    {"$.a.b[0]", "{\"a\",\"b\",\"0\"}"},
    {"$", "{}"},
    {"$[1][2]", "{\"1\",\"2\"}"},
    {"$['k y'].x", "{\"k y\",\"x\"}"},
    {"[\"a.b\"]", "{\"a.b\"}"},
    {"a\"b,c}", "{\"a\\\"b,c}\"}"}, /* quoted by the array literal, never pasted */
    {"", "error: the path is empty @0"},
    {"a..b", "error: a key is missing @2"},
    {"a.", "error: a key is missing @2"},
    {"a[x]", "error: expected an array index or a quoted key after '[' @2"},
    {"a[1", "error: expected ']' @3"},
    {"a['b]", "error: a quoted key is not closed @5"},
    {"a]", "error: expected '.' or '[' @1"},
};

static void test_paths(void)
{
    gp_arena_t *a = gp_arena_new(4096);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        CHECK_STR(split(a, cases[i].path), cases[i].want);
    gp_arena_free(a);
}

TEST_MAIN(test_paths)
