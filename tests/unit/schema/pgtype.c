/* Unit tests for schema/pgtype: the PostgreSQL → GraphQL scalar table. */
#include "schema/pgtype.h"

#include "tests/unit/test.h"

typedef struct {
    const char *schema, *name, *gql;
} type_case_t;

static const type_case_t cases[] = {
    {"pg_catalog", "int2", "Int"},
    {"pg_catalog", "int4", "Int"},
    {"pg_catalog", "int8", "bigint"},
    {"pg_catalog", "float4", "Float"},
    {"pg_catalog", "float8", "Float"},
    {"pg_catalog", "numeric", "numeric"},
    {"pg_catalog", "text", "String"},
    {"pg_catalog", "varchar", "String"},
    {"pg_catalog", "name", "String"},
    {"public", "citext", "String"},
    {"extensions", "citext", "String"},
    {"pg_catalog", "bpchar", "bpchar"},
    {"pg_catalog", "bool", "Boolean"},
    {"pg_catalog", "uuid", "uuid"},
    {"pg_catalog", "timestamptz", "timestamptz"},
    {"pg_catalog", "timestamp", "timestamp"},
    {"pg_catalog", "date", "date"},
    {"pg_catalog", "time", "time"},
    {"pg_catalog", "interval", "interval"},
    {"pg_catalog", "json", "json"},
    {"pg_catalog", "jsonb", "jsonb"},
    {"pg_catalog", "bytea", "bytea"},
    {"pg_catalog", "tsvector", "tsvector"},
    {"public", "mpaa_rating", "mpaa_rating"}, /* enum in the default schema */
    {"public", "year", "year"},               /* domain */
    {"other", "mood", "other_mood"},          /* a type of another schema is prefixed like a table */
    {"public", "int4", "int4"},               /* only pg_catalog's int4 is Int */
    {"public", "b\xc4\xb1g\xc4\xb1nt", "b__g__nt"}, /* not a GraphQL name: made into one */
};

static void test_scalar_table(void)
{
    gp_arena_t *a = gp_arena_new(1024);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *got = gp_pgtype_scalar(a, cases[i].schema, cases[i].name, "public");
        if (got == NULL || strcmp(got, cases[i].gql) != 0)
            fprintf(stderr, "  case %s.%s\n", cases[i].schema, cases[i].name);
        CHECK_STR(got, cases[i].gql);
    }
    gp_arena_free(a);
}

static void test_casts(void)
{
    gp_arena_t *a = gp_arena_new(1024);
    CHECK_STR(gp_pgtype_sql(a, "pg_catalog", "int4", false), "\"pg_catalog\".\"int4\"");
    CHECK_STR(gp_pgtype_sql(a, "pg_catalog", "text", true), "\"pg_catalog\".\"text\"[]");
    CHECK_STR(gp_pgtype_sql(a, "public", "mpaa_rating", false), "\"public\".\"mpaa_rating\"");
    CHECK_STR(gp_pgtype_sql(a, "we\"ird", "t", false), "\"we\"\"ird\".\"t\"");
    CHECK_STR(gp_pgtype_readable(a, "text", true), "text[]");
    gp_arena_free(a);
}

static void test_operator_families(void)
{
    CHECK(gp_pgtype_is_builtin("Int") && gp_pgtype_is_builtin("Boolean") && !gp_pgtype_is_builtin("bigint"));
    CHECK(gp_pgtype_has_text_ops("String") && gp_pgtype_has_text_ops("bpchar") && !gp_pgtype_has_text_ops("Int"));
    CHECK(gp_pgtype_has_jsonb_ops("jsonb") && !gp_pgtype_has_jsonb_ops("json"));
    CHECK(!gp_pgtype_has_jsonb_ops("String") && !gp_pgtype_has_text_ops("jsonb") && !gp_pgtype_has_text_ops("citext"));
    CHECK(gp_pgtype_is_json("json") && gp_pgtype_is_json("jsonb"));
    CHECK(!gp_pgtype_is_json("String") && !gp_pgtype_is_json("Int") && !gp_pgtype_is_json("bytea"));
}

TEST_MAIN(test_scalar_table, test_casts, test_operator_families)
