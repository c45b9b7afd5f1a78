/* Unit tests for resolvers/plan_cache.c on the blog model. */
#include <stdio.h>
#include <stdlib.h>

#include "base/json.h"
#include "base/strbuf.h"
#include "resolvers/plan_cache.h"
#include "schema/catalog.h"
#include "schema/types.h"
#include "tests/unit/schema/fixture.h"
#include "tests/unit/test.h"

static gp_model_t *model;
static gp_schema_t *schema;

static gp_plan_t *resolve(gp_plan_cache_t *pc, gp_arena_t *a, const char *query, const char *variables)
{
    gp_errors_t errs;
    gp_errors_init(&errs, a, query);
    json_t *vars = variables != NULL ? json_loads(variables, 0, NULL) : NULL;
    gp_plan_t *plan = gp_plan_cache_resolve(pc, &(gp_plan_target_t){schema, 1, NULL}, a, query, strlen(query), NULL, vars, &errs);
    json_decref(vars);
    return plan;
}

static void test_repeated_document_skips_compiling(void)
{
    gp_plan_cache_t *pc = gp_plan_cache_new(8, NULL);
    gp_arena_t *a = gp_arena_new(4096);
    const char *q = "query($id: Int!) { users_by_pk(id: $id) { name } }";
    gp_plan_t *first = resolve(pc, a, q, "{\"id\": 1}");
    gp_plan_t *second = resolve(pc, a, q, "{\"id\": 2}");
    CHECK(first != NULL && second != NULL);
    if (first != NULL && second != NULL) {
        CHECK_STR(first->params.values[0], "1");
        CHECK_STR(second->params.values[0], "2");
        CHECK_STR(second->sql, first->sql);
    }
    gp_plan_cache_stats_t st;
    gp_plan_cache_stats(pc, &st);
    CHECK_INT(st.misses, 1);
    CHECK_INT(st.hits, 1);
    gp_arena_free(a);
    gp_plan_cache_free(pc);
}

static void test_shaped_document_reuses_only_the_parse(void)
{
    gp_plan_cache_t *pc = gp_plan_cache_new(8, NULL);
    gp_arena_t *a = gp_arena_new(4096);
    const char *q = "query($s: Boolean!) { users { id name @skip(if: $s) } }";
    gp_plan_t *with = resolve(pc, a, q, "{\"s\": false}");
    gp_plan_t *without = resolve(pc, a, q, "{\"s\": true}");
    CHECK(with != NULL && without != NULL);
    if (with != NULL && without != NULL) {
        CHECK(strstr(with->sql, "'name'") != NULL);
        CHECK(strstr(without->sql, "'name'") == NULL);
    }
    gp_plan_cache_stats_t st;
    gp_plan_cache_stats(pc, &st);
    CHECK_INT(st.doc_hits, 1);
    CHECK_INT(st.hits, 0);
    gp_arena_free(a);
    gp_plan_cache_free(pc);
}

static void test_least_recently_used_is_evicted(void)
{
    gp_plan_cache_t *pc = gp_plan_cache_new(2, NULL);
    gp_arena_t *a = gp_arena_new(4096);
    resolve(pc, a, "{ a: users { id } }", NULL);
    resolve(pc, a, "{ b: users { id } }", NULL);
    resolve(pc, a, "{ a: users { id } }", NULL); /* a is now the most recent */
    resolve(pc, a, "{ c: users { id } }", NULL); /* evicts b */
    resolve(pc, a, "{ a: users { id } }", NULL);
    gp_plan_cache_stats_t st;
    gp_plan_cache_stats(pc, &st);
    CHECK_INT(st.size, 2);
    CHECK_INT(st.evictions, 1);
    CHECK_INT(st.hits, 2);
    resolve(pc, a, "{ b: users { id } }", NULL);
    gp_plan_cache_stats(pc, &st);
    CHECK_INT(st.misses, 4);
    gp_arena_free(a);
    gp_plan_cache_free(pc);
}

static void test_errors_are_not_cached(void)
{
    gp_plan_cache_t *pc = gp_plan_cache_new(8, NULL);
    gp_arena_t *a = gp_arena_new(4096);
    CHECK(resolve(pc, a, "{ users { nope } }", NULL) == NULL);
    CHECK(resolve(pc, a, "{ users(", NULL) == NULL);
    gp_plan_cache_stats_t st;
    gp_plan_cache_stats(pc, &st);
    CHECK_INT(st.size, 0);
    gp_arena_free(a);
    gp_plan_cache_free(pc);
}

/* ---- a re-bound plan is exactly a fresh compile ---- */

static const char *all_messages(gp_arena_t *a, const gp_errors_t *errs)
{
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 1 << 16);
    gp_strbuf_puts(&sb, "");
    for (const gp_error_t *e = errs->head; e != NULL; e = e->next)
        gp_strbuf_printf(&sb, "%s[%s]", e->message, gp_error_code(e->kind));
    return sb.data;
}

/* Resolves `q` with `warm` through a cache, then with `vars` through the same
 * cache, and compares that with a cold compile of `vars`: same plan, or the same
 * errors. Returns whether the second resolve was a plan-cache hit. */
static bool check_same_as_cold(const char *q, const char *warm, const char *vars)
{
    gp_plan_cache_t *pc = gp_plan_cache_new(8, NULL);
    gp_arena_t *a = gp_arena_new(4096);
    resolve(pc, a, q, warm);
    gp_plan_cache_stats_t before, after;
    gp_plan_cache_stats(pc, &before);
    gp_errors_t hot_errs, cold_errs;
    gp_errors_init(&hot_errs, a, q);
    gp_errors_init(&cold_errs, a, q);
    json_t *v = vars != NULL ? gp_json_load(vars, strlen(vars), NULL) : NULL;
    gp_plan_t *hot = gp_plan_cache_resolve(pc, &(gp_plan_target_t){schema, 1, NULL}, a, q, strlen(q), NULL, v, &hot_errs);
    gp_plan_t *cold = gp_plan_request(a, &(gp_plan_target_t){schema, 0, NULL}, NULL, q, strlen(q), NULL, v, &cold_errs);
    json_decref(v);
    gp_plan_cache_stats(pc, &after);
    bool same = (hot == NULL) == (cold == NULL) && (hot == NULL || gp_plan_equal(hot, cold)) &&
                strcmp(all_messages(a, &hot_errs), all_messages(a, &cold_errs)) == 0;
    CHECK(same);
    if (!same)
        fprintf(stderr, "  %s\n  warm %s, then %s:\n  hot  %s %s\n  cold %s %s\n", q, warm ? warm : "-",
                vars ? vars : "-", hot ? hot->sql : "-", all_messages(a, &hot_errs), cold ? cold->sql : "-",
                all_messages(a, &cold_errs));
    gp_arena_free(a);
    gp_plan_cache_free(pc);
    return after.hits > before.hits;
}

/* Every document with every ordered pair of its variable sets. */
static const struct {
    const char *query;
    const char *vars[4];
} rebind_cases[] = {
    /* the case: a boolean variable beside a literal true elsewhere */
    {"query Q($n: Boolean!) { users(where: {bio: {_is_null: $n}}) { id } posts(where: {metadata: {_neq: true}}) { id } }",
     {"{\"n\": true}", "{\"n\": false}"}},
    {"query($x: Boolean!) { users { id name @include(if: $x) } posts(where: {metadata: {_eq: true}}) { id } }",
     {"{\"x\": true}", "{\"x\": false}"}},
    {"query($x: Boolean!) { a: users(where: {bio: {_is_null: true}}) { id @skip(if: $x) } }",
     {"{\"x\": true}", "{\"x\": false}"}},
    {"query($n: Int) { users(limit: $n) { id } }", {"{\"n\": 2}", "{\"n\": -1}", "{\"n\": null}", "{}"}},
    {"query($n: Int, $o: Int) { users(limit: $n, offset: $o, order_by: {id: asc}) { id } }",
     {"{\"n\": 2, \"o\": 1}", "{\"n\": 0, \"o\": -5}", "{\"n\": 3}"}},
    {"query($k: bigint) { users(where: {karma: {_eq: $k}}) { id } }",
     {"{\"k\": 5}", "{\"k\": 99999999999999999999}", "{\"k\": \"12\"}", "{\"k\": null}"}},
    {"query($r: numeric) { posts(where: {rating: {_lt: $r}}) { id } }",
     {"{\"r\": 100000000000000000000.5}", "{\"r\": 4}", "{\"r\": \"4.5\"}"}},
    {"query($ids: [Int!]) { users(where: {id: {_in: $ids}}) { id } }",
     {"{\"ids\": [1, 2]}", "{\"ids\": []}", "{\"ids\": 3}", "{\"ids\": null}"}},
    {"query($id: Int!, $n: String) { users_by_pk(id: $id) { id posts(where: {title: {_eq: $n}}) { id } } }",
     {"{\"id\": 1, \"n\": \"a\"}", "{\"id\": 2}", "{\"id\": 3, \"n\": \"Ada\\u0000x\"}"}},
    {"query($w: users_bool_exp) { users(where: $w) { id } }",
     {"{\"w\": {\"id\": {\"_eq\": 1}}}", "{\"w\": {\"_or\": [{\"id\": {\"_eq\": 2}}, {\"bio\": {\"_is_null\": true}}]}}",
      "{\"w\": null}"}},
    {"query($t: String!, $s: String!) { users(where: {_or: [{name: {_eq: $t}}, {name: {_eq: $s}}]}) { id } }",
     {"{\"t\": \"a\", \"s\": \"b\"}", "{\"t\": \"b\", \"s\": \"a\"}"}},
    {"query($t: String!) { users(where: {name: {_in: [$t, \"x\"]}}) { id } }", {"{\"t\": \"a\"}", "{\"t\": \"b\"}"}},
    {"query($j: jsonb) { posts(where: {metadata: {_contains: $j}}) { id } }",
     {"{\"j\": {\"a\": 1}}", "{\"j\": [1, 12345678901234567890123]}", "{\"j\": true}", "{\"j\": \"x\"}"}},
    {"query($js: [jsonb!]) { posts(where: {metadata: {_in: $js}}) { id } }",
     {"{\"js\": [\"x\", {\"a\": 1}]}", "{\"js\": [5, 12345678901234567890123]}", "{\"js\": []}"}},
    {"query($s: post_status) { posts(where: {status: {_eq: $s}}) { id } }",
     {"{\"s\": \"draft\"}", "{\"s\": \"published\"}"}},
    {"query($c: [users_select_column!], $d: Boolean) { users_aggregate { aggregate { count(columns: $c, distinct: $d) } } }",
     {"{\"c\": [\"id\"], \"d\": true}", "{\"c\": [\"bio\"], \"d\": false}", "{}"}},
    {"query($l: Int = 3) { users(limit: $l) { id } }", {"{}", "{\"l\": 1}", "{\"l\": null}"}},
    {"query($t: [[String!]!]) { posts(where: {tags: {_in: $t}, _not: {tags: {_nin: [[\"a\"], []]}}}) { id } }",
     {"{\"t\": [[\"math\"], []]}", "{\"t\": []}", "{\"t\": [[\"a\\\"b\", \"{x}\"]]}", "{\"t\": null}"}},
};

static void test_rebound_plans_equal_a_cold_compile(void)
{
    for (size_t i = 0; i < sizeof rebind_cases / sizeof *rebind_cases; i++)
        for (int x = 0; x < 4 && rebind_cases[i].vars[x] != NULL; x++)
            for (int y = 0; y < 4 && rebind_cases[i].vars[y] != NULL; y++)
                check_same_as_cold(rebind_cases[i].query, rebind_cases[i].vars[x], rebind_cases[i].vars[y]);
}

/* The reproduction, spelled out: with n=false the users filter must be
 * IS NOT NULL, even though the plan compiled with n=true had a parameter of value
 * true from the literal elsewhere. */
static void test_literal_true_is_not_a_boolean_variable(void)
{
    const char *q = "query Q($n: Boolean!) { users(where: {bio: {_is_null: $n}}) { id } "
                    "posts(where: {metadata: {_neq: true}}) { id } }";
    gp_plan_cache_t *pc = gp_plan_cache_new(8, NULL);
    gp_arena_t *a = gp_arena_new(4096);
    gp_plan_t *t = resolve(pc, a, q, "{\"n\": true}");
    gp_plan_t *f = resolve(pc, a, q, "{\"n\": false}");
    CHECK(t != NULL && f != NULL);
    if (t != NULL && f != NULL) {
        CHECK(strstr(t->sql, "\"bio\" IS NULL") != NULL);
        CHECK(strstr(f->sql, "\"bio\" IS NOT NULL") != NULL);
    }
    gp_arena_free(a);
    gp_plan_cache_free(pc);
}

/* A hit still refuses a negative limit, with the cold message and no statement. */
static void test_hit_checks_limit(void)
{
    const char *q = "query($n: Int) { users(limit: $n) { id } }";
    CHECK(check_same_as_cold(q, "{\"n\": 2}", "{\"n\": 5}")); /* a real hit */
    CHECK(!check_same_as_cold(q, "{\"n\": 2}", "{\"n\": -1}"));
    gp_plan_cache_t *pc = gp_plan_cache_new(8, NULL);
    gp_arena_t *a = gp_arena_new(4096);
    resolve(pc, a, q, "{\"n\": 2}");
    gp_errors_t errs;
    gp_errors_init(&errs, a, q);
    json_t *v = json_loads("{\"n\": -1}", 0, NULL);
    CHECK(gp_plan_cache_resolve(pc, &(gp_plan_target_t){schema, 1, NULL}, a, q, strlen(q), NULL, v, &errs) == NULL);
    json_decref(v);
    CHECK(errs.head != NULL && strcmp(errs.head->message, "Expected a non-negative Int for limit.") == 0);
    gp_arena_free(a);
    gp_plan_cache_free(pc);
}

/* Exact digits reach the parameter, from a literal and from a variable. */
static void test_exact_numbers_are_bound_exactly(void)
{
    gp_plan_cache_t *pc = gp_plan_cache_new(8, NULL);
    gp_arena_t *a = gp_arena_new(4096);
    gp_plan_t *p = resolve(pc, a, "{ users(where: {karma: {_eq: 99999999999999999999}}) { id } }", NULL);
    CHECK(p != NULL && p->params.count == 1 && strcmp(p->params.values[0], "99999999999999999999") == 0);
    p = resolve(pc, a, "{ posts(where: {rating: {_lt: 100000000000000000000.5}}) { id } }", NULL);
    CHECK(p != NULL && p->params.count == 1 && strcmp(p->params.values[0], "100000000000000000000.5") == 0);
    const char *q = "query($k: bigint) { users(where: {karma: {_eq: $k}}) { id } }";
    gp_errors_t errs;
    gp_errors_init(&errs, a, q);
    const char *vars = "{\"k\": 123456789012345678901234567890}";
    json_t *v = gp_json_load(vars, strlen(vars), NULL);
    CHECK(v != NULL);
    p = gp_plan_cache_resolve(pc, &(gp_plan_target_t){schema, 1, NULL}, a, q, strlen(q), NULL, v, &errs);
    json_decref(v);
    CHECK(p != NULL && p->params.count == 1 && strcmp(p->params.values[0], "123456789012345678901234567890") == 0);
    gp_arena_free(a);
    gp_plan_cache_free(pc);
}

static gp_plan_t *resolve_on(gp_plan_cache_t *pc, const gp_schema_t *s, uint64_t version, gp_arena_t *a,
                             const char *query, const char *variables)
{
    gp_errors_t errs;
    gp_errors_init(&errs, a, query);
    json_t *vars = variables != NULL ? json_loads(variables, 0, NULL) : NULL;
    gp_plan_t *plan = gp_plan_cache_resolve(pc, &(gp_plan_target_t){s, version, NULL}, a, query, strlen(query), NULL, vars, &errs);
    json_decref(vars);
    return plan;
}

/* A plan cached under one schema version is never returned for another: version 2
 * (a reloaded schema, here built anew from the same model) parses, validates and
 * compiles afresh, on its own schema; version 1 still hits its own entry. */
static void test_plans_are_kept_per_schema_version(void)
{
    gp_schema_t *reloaded = gp_schema_build(model);
    gp_plan_cache_t *pc = gp_plan_cache_new(8, NULL);
    gp_arena_t *a = gp_arena_new(4096);
    const char *q = "query($id: Int!) { users_by_pk(id: $id) { name } }";
    gp_plan_cache_stats_t st;
    CHECK(resolve_on(pc, schema, 1, a, q, "{\"id\": 1}") != NULL);
    CHECK(resolve_on(pc, schema, 1, a, q, "{\"id\": 2}") != NULL);
    gp_plan_cache_stats(pc, &st);
    CHECK_INT(st.misses, 1);
    CHECK_INT(st.hits, 1);
    gp_plan_t *v2 = resolve_on(pc, reloaded, 2, a, q, "{\"id\": 3}");
    CHECK(v2 != NULL && v2->params.count == 1 && strcmp(v2->params.values[0], "3") == 0);
    gp_plan_cache_stats(pc, &st);
    CHECK_INT(st.misses, 2); /* a fresh entry for version 2, not version 1's plan */
    CHECK_INT(st.hits, 1);
    CHECK_INT(st.size, 2);
    CHECK(resolve_on(pc, reloaded, 2, a, q, "{\"id\": 4}") != NULL);
    CHECK(resolve_on(pc, schema, 1, a, q, "{\"id\": 5}") != NULL);
    gp_plan_cache_stats(pc, &st);
    CHECK_INT(st.misses, 2);
    CHECK_INT(st.hits, 3); /* each version hits its own plan */
    gp_arena_free(a);
    gp_plan_cache_free(pc);
    gp_schema_free(reloaded);
}

static void setup(void)
{
    model = fixture_model("blog");
    schema = gp_schema_build(model);
}

static void teardown(void)
{
    gp_schema_free(schema);
    gp_model_free(model);
}

TEST_MAIN(setup, test_repeated_document_skips_compiling, test_shaped_document_reuses_only_the_parse,
          test_least_recently_used_is_evicted, test_errors_are_not_cached, test_rebound_plans_equal_a_cold_compile,
          test_literal_true_is_not_a_boolean_variable, test_hit_checks_limit, test_exact_numbers_are_bound_exactly,
          test_plans_are_kept_per_schema_version, teardown)
