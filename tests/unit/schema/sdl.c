/* Unit tests for schema/sdl: the blog and Pagila schemas (from the fixtures) printed as
 * SDL are compared with tests/unit/schema/golden/<db>.graphql, the files that
 * tests/integration/schema.test.mjs compares graphql-js's printSchema of the
 * introspected schema with. To accept a deliberate change, run this test with
 * GP_UPDATE_GOLDEN=1 (it rewrites them; see tests/README, Golden SDL) and review the diff. */
#include "schema/sdl.c" /* description(), to try texts no example database has */

#include <stdlib.h>

#include "tests/unit/schema/fixture.h"
#include "tests/unit/test.h"

static const char *print_sdl(gp_arena_t *a, const char *db)
{
    gp_model_t *m = fixture_model(db);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, (size_t)1 << 24);
    gp_sdl_print(m, &sb);
    gp_model_free(m);
    CHECK(!sb.error);
    return sb.data;
}

static void check_golden(const char *db)
{
    gp_arena_t *a = gp_arena_new(1 << 16);
    const char *got = print_sdl(a, db);
    char path[256];
    snprintf(path, sizeof path, "tests/unit/schema/golden/%s.graphql", db);
    if (getenv("GP_UPDATE_GOLDEN") != NULL) {
        FILE *f = fopen(path, "wb");
        CHECK(f != NULL && fputs(got, f) >= 0 && fclose(f) == 0);
    }
    size_t len;
    char *want = fixture_read(path, &len);
    if (strcmp(got, want) != 0) {
        size_t i = 0;
        while (got[i] && got[i] == want[i])
            i++;
        fprintf(stderr, "%s differs from the printed SDL at byte %zu: ...%.60s...\n", path, i, got + (i > 20 ? i - 20 : 0));
    }
    CHECK(strcmp(got, want) == 0);
    free(want);
    gp_arena_free(a);
}

static void test_blog_golden(void)
{
    check_golden("blog");
}

static void test_pagila_golden(void)
{
    check_golden("pagila");
}

static void test_blog_pieces(void)
{
    gp_arena_t *a = gp_arena_new(1 << 16);
    const char *s = print_sdl(a, "blog");
    const char *head = "schema {\n  query: query_root\n  mutation: mutation_root\n  subscription: subscription_root\n}\n";
    CHECK(strncmp(s, head, strlen(head)) == 0);
    CHECK(strstr(s, "  users_stream(\n    \"\"\"maximum number of rows returned in a single batch\"\"\"\n    batch_size: Int!\n") != NULL);
    CHECK(strstr(s, "enum cursor_ordering {\n") != NULL);
    CHECK(strstr(s, "\n\"\"\"mutation root\"\"\"\ntype mutation_root {\n") != NULL);
    CHECK(strstr(s, "  delete_post_tags_by_pk(post_id: Int!, tag_name: String!): post_tags\n") != NULL);
    CHECK(strstr(s, "  insert_users_one(\n    \"\"\"the row to be inserted\"\"\"\n    object: users_insert_input!\n\n"
                    "    \"\"\"upsert condition\"\"\"\n    on_conflict: users_on_conflict\n  ): users\n") != NULL);
    CHECK(strstr(s, "  update_columns: [users_update_column!]! = []\n") != NULL);
    CHECK(strstr(s, "  update_users_many(\n    \"\"\"updates to execute, in order\"\"\"\n"
                    "    updates: [users_updates!]!\n  ): [users_mutation_response]\n") != NULL);
    CHECK(strstr(s, "  users_by_pk(id: Int!): users\n") != NULL);
    CHECK(strstr(s, "  post_tags_by_pk(post_id: Int!, tag_name: String!): post_tags\n") != NULL);
    CHECK(strstr(s, "  author: users!\n") != NULL);
    CHECK(strstr(s, "  editor: users\n") != NULL);
    CHECK(strstr(s, "  posts_by_author_id(distinct_on: [posts_select_column!], limit: Int, offset: Int, "
                    "order_by: [posts_order_by!], where: posts_bool_exp): [posts!]!\n") != NULL);
    CHECK(strstr(s, "  tags: [String!]!\n") != NULL);
    CHECK(strstr(s, "\"\"\"People who write posts and comments.\"\"\"\ntype users {\n") != NULL);
    CHECK(strstr(s, "  \"\"\"Unique login address.\"\"\"\n  email: String!\n") != NULL);
    CHECK(strstr(s, "\nscalar post_status\n") != NULL);
    CHECK(strstr(s, "\nscalar Int\n") == NULL);
    CHECK(strstr(s, "  _ilike: String\n") != NULL);
    CHECK(strstr(s, "  _has_keys_any: [String!]\n") != NULL);
    CHECK(strstr(s, "input String_array_comparison_exp {\n  _contained_in: [String!]\n") != NULL);
    CHECK(strstr(s, "published_posts_by_pk") == NULL); /* a view has no primary key */
    CHECK(strstr(s, "where: users_bool_exp): users_aggregate!\n") != NULL);
    CHECK(strstr(s, "  posts_by_author_id_aggregate(") != NULL);
    CHECK(strstr(s, "type users_sum_fields {\n  id: Int\n  karma: bigint\n}\n") != NULL);
    CHECK(strstr(s, "type tags_aggregate_fields {\n  count(columns: [tags_select_column!], distinct: Boolean): Int!\n"
                    "  max: tags_max_fields\n  min: tags_min_fields\n}\n") != NULL);
    CHECK(strstr(s, "\ntype tags_sum_fields") == NULL); /* no numeric column */
    gp_arena_free(a);
}

static const char *described(gp_arena_t *a, const char *text, const char *indent, bool first)
{
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 4096);
    description(&sb, text, indent, first);
    return sb.data;
}

/* Descriptions as graphql-js 16's printSchema prints them (each expected text is its
 * output), so that the golden files can be checked against both printers. */
static void test_descriptions_as_graphql_js(void)
{
    gp_arena_t *a = gp_arena_new(1 << 14);
    char x70[71], x71[72], smile35[4 * 35 + 1];
    memset(x70, 'x', 70);
    x70[70] = '\0';
    memset(x71, 'x', 71);
    x71[71] = '\0';
    for (int i = 0; i < 35; i++)
        memcpy(smile35 + 4 * i, "\xF0\x9F\x98\x80", 5); /* U+1F600: two UTF-16 units each */
    CHECK_STR(described(a, NULL, "  ", false), "");
    CHECK_STR(described(a, "short", "", true), "\"\"\"short\"\"\"\n");
    CHECK_STR(described(a, "short", "  ", true), "  \"\"\"short\"\"\"\n");
    CHECK_STR(described(a, "short", "  ", false), "\n  \"\"\"short\"\"\"\n"); /* an empty line before */
    CHECK_STR(described(a, x70, "", true), gp_arena_printf(a, "\"\"\"%s\"\"\"\n", x70));
    CHECK_STR(described(a, x71, "", true), gp_arena_printf(a, "\"\"\"\n%s\n\"\"\"\n", x71));
    CHECK_STR(described(a, smile35, "", true), gp_arena_printf(a, "\"\"\"%s\"\"\"\n", smile35));
    CHECK_STR(described(a, "a\n\nb", "  ", true), "  \"\"\"\n  a\n  \n  b\n  \"\"\"\n");
    CHECK_STR(described(a, "ends with \"", "  ", true), "  \"\"\"\n  ends with \"\n  \"\"\"\n");
    CHECK_STR(described(a, "\"\"\"\"", "", true), "\"\"\"\n\\\"\"\"\"\n\"\"\"\n");
    CHECK_STR(described(a, "\"\"\"\"\"\"", "", true), "\"\"\"\n\\\"\"\"\\\"\"\"\n\"\"\"\n");
    CHECK_STR(described(a, "\nleading newline", "  ", true), "  \"\\nleading newline\"\n");
    CHECK_STR(described(a, "  all\n  indented", "", true), "\"  all\\n  indented\"\n");
    CHECK_STR(described(a, "ctrl\001x", "", true), "\"ctrl\\u0001x\"\n");
    CHECK_STR(described(a, "cr\r\nlf \x7f \xc2\x85 \"q\" \\", "", true), "\"cr\\r\\nlf \\u007F \\u0085 \\\"q\\\" \\\\\"\n");
    gp_arena_free(a);
}

TEST_MAIN(test_blog_golden, test_pagila_golden, test_blog_pieces, test_descriptions_as_graphql_js)
