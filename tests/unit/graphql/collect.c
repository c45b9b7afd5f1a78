/* Unit tests for graphql/collect.c (CollectFields) on the blog type system: which
 * fields a selection set asks for, grouped by response key, in document order. */
#include <jansson.h>
#include <stdlib.h>

#include "graphql/coerce.h"
#include "graphql/collect.h"
#include "graphql/parse.h"
#include "tests/unit/schema/fixture.h"
#include "tests/unit/test.h"

static gp_model_t *model;
static gp_schema_t *schema;

typedef struct {
    gp_arena_t *arena;
    gp_errors_t errs;
    json_t *variables;
    gp_collect_t collect;
    int failed;
} run_t;

static json_t *variable_value(void *data, const gp_value_t *variable)
{
    json_t *v = json_object_get(((run_t *)data)->variables, variable->string);
    return v != NULL ? json_incref(v) : NULL;
}

static json_t *value_json(void *data, const gp_typeref_t *type, const gp_value_t *v, int *failed)
{
    (void)failed;
    run_t *r = data;
    return gp_coerce_literal_json(r->arena, schema, type, v, variable_value, r);
}

/* The root selection of `query` collected on query_root, as "key:name:nfields"
 * joined by spaces ("" for no fields, "error: <message>" on an error). */
static const char *collect(const char *query, const char *variables, int max_depth)
{
    static char out[512];
    run_t r = {.arena = gp_arena_new(4096)};
    gp_errors_init(&r.errs, r.arena, query);
    const gp_document_t *doc = gp_parse(r.arena, query, strlen(query), &r.errs);
    CHECK(doc != NULL);
    r.variables = variables != NULL ? json_loads(variables, 0, NULL) : json_object();
    r.collect = (gp_collect_t){r.arena, schema, doc, &r.errs, max_depth, value_json, &r};
    out[0] = '\0';
    if (doc != NULL) {
        const gp_selection_t *sets[] = {doc->operations->selections};
        const gp_field_group_t *g = gp_collect_fields(&r.collect, "query_root", sets, 1, &r.failed);
        if (r.failed)
            snprintf(out, sizeof out, "error: %s", r.errs.head != NULL ? r.errs.head->message : "(none)");
        for (; g != NULL; g = g->next)
            snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s:%s:%d", out[0] != '\0' ? " " : "", g->key,
                     g->name, g->nfields);
    }
    json_decref(r.variables);
    gp_arena_free(r.arena);
    return out;
}

static void test_groups_by_response_key_in_first_seen_order(void)
{
    CHECK_STR(collect("{ posts { id } users { id } a: users { name } posts { title } }", NULL, 8),
              "posts:posts:2 users:users:1 a:users:1");
}

static void test_skip_and_include_with_literals_and_variables(void)
{
    CHECK_STR(collect("{ users @skip(if: true) { id } posts @include(if: false) { id } tags { id } }", NULL, 8),
              "tags:tags:1");
    CHECK_STR(collect("query($s: Boolean!, $i: Boolean!) { users @skip(if: $s) { id } posts @include(if: $i) { id } }",
                      "{\"s\": false, \"i\": true}", 8),
              "users:users:1 posts:posts:1");
    CHECK_STR(collect("query($s: Boolean!) { users @skip(if: $s) @include(if: true) { id } }", "{\"s\": true}", 8), "");
}

/* A nullable variable with a default may still be given null: a value error. */
static void test_null_if_is_an_error(void)
{
    const char *got = collect("query($s: Boolean = false) { users @skip(if: $s) { id } }", "{\"s\": null}", 8);
    CHECK(strncmp(got, "error: ", 7) == 0);
}

static void test_fragments_apply_on_their_type_only(void)
{
    CHECK_STR(collect("query { ...Q ... on query_root { tags { id } } ... on users { id } } "
                      "fragment Q on query_root { users { id } } ",
                      NULL, 8),
              "users:users:1 tags:tags:1");
    CHECK_STR(collect("query { ...Q @skip(if: true) ... @include(if: false) { tags { id } } posts { id } } "
                      "fragment Q on query_root { users { id } } ",
                      NULL, 8),
              "posts:posts:1");
}

static void test_fragment_nesting_is_bounded(void)
{
    const char *q = "query { ...A } fragment A on query_root { ...B } fragment B on query_root { ...C } "
                    "fragment C on query_root { users { id } }";
    CHECK_STR(collect(q, NULL, 8), "users:users:1");
    CHECK(strncmp(collect(q, NULL, 2), "error: ", 7) == 0);
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

TEST_MAIN(setup, test_groups_by_response_key_in_first_seen_order, test_skip_and_include_with_literals_and_variables,
          test_null_if_is_an_error, test_fragments_apply_on_their_type_only, test_fragment_nesting_is_bounded,
          teardown)
