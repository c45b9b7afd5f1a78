/* Unit tests for resolvers/plan_cache.c on the blog model. */
#include <stdio.h>
#include <stdlib.h>

#include "resolvers/plan_cache.h"
#include "schema/introspect.h"
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
    gp_plan_t *plan = gp_plan_cache_resolve(pc, a, query, strlen(query), NULL, vars, &errs);
    json_decref(vars);
    return plan;
}

static void test_repeated_document_skips_compiling(void)
{
    gp_plan_cache_t *pc = gp_plan_cache_new(schema, 8);
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
    gp_plan_cache_t *pc = gp_plan_cache_new(schema, 8);
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
    gp_plan_cache_t *pc = gp_plan_cache_new(schema, 2);
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
    gp_plan_cache_t *pc = gp_plan_cache_new(schema, 8);
    gp_arena_t *a = gp_arena_new(4096);
    CHECK(resolve(pc, a, "{ users { nope } }", NULL) == NULL);
    CHECK(resolve(pc, a, "{ users(", NULL) == NULL);
    gp_plan_cache_stats_t st;
    gp_plan_cache_stats(pc, &st);
    CHECK_INT(st.size, 0);
    gp_arena_free(a);
    gp_plan_cache_free(pc);
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
          test_least_recently_used_is_evicted, test_errors_are_not_cached, teardown)
