/* Unit tests for the compiler (resolvers/compile.c, select.c, filter.c, values.c, plan.c) on the blog model from its saved
 * introspection fixture. What the SQL returns is checked against a real PostgreSQL
 * by tests/integration; here: parameters, errors and the statement's shape. */
#include <stdio.h>
#include <stdlib.h>

#include "graphql/parse.h"
#include "resolvers/compile.h"
#include "resolvers/plan.h"
#include "schema/catalog.h"
#include "schema/types.h"
#include "tests/unit/schema/fixture.h"
#include "tests/unit/test.h"

static gp_model_t *model;
static gp_schema_t *schema;

typedef struct {
    gp_arena_t *arena;
    gp_errors_t errs;
    gp_plan_t *plan;
} result_t;

static result_t compile(const char *query, const char *variables)
{
    result_t r = {.arena = gp_arena_new(4096)};
    gp_errors_init(&r.errs, r.arena, query);
    json_t *vars = variables != NULL ? json_loads(variables, 0, NULL) : NULL;
    r.plan = gp_plan_request(r.arena, &(gp_plan_target_t){schema, 0, NULL}, NULL, query, strlen(query), NULL, vars, &r.errs);
    json_decref(vars);
    return r;
}

static const char *first_error(result_t *r)
{
    return r->errs.head != NULL ? r->errs.head->message : "(no error)";
}

static void done(result_t *r)
{
    gp_arena_free(r->arena);
}

static void test_list_is_one_statement_without_params(void)
{
    result_t r = compile("{ users { id name posts_by_author_id { title comments { body } } } }", NULL);
    CHECK(r.plan != NULL);
    if (r.plan != NULL) {
        CHECK_INT(r.plan->params.count, 0);
        CHECK(strncmp(r.plan->sql, "SELECT json_build_object('users', ", 34) == 0);
        CHECK(strstr(r.plan->sql, "FROM \"public\".\"comments\" AS _t3 WHERE _t3.\"post_id\" = _t2.\"id\"") != NULL);
    }
    done(&r);
}

static void test_values_are_parameters(void)
{
    result_t r = compile("query($id: Int!) { users_by_pk(id: $id) { name } "
                         "users(where: {name: {_eq: \"x'); drop table users; --\"}, id: {_in: [1, 2]}}) { id } }",
                         "{\"id\": 7}");
    CHECK(r.plan != NULL);
    if (r.plan != NULL) {
        CHECK_INT(r.plan->params.count, 3);
        CHECK_STR(r.plan->params.values[0], "7");
        CHECK_STR(r.plan->params.values[1], "x'); drop table users; --");
        CHECK_STR(r.plan->params.values[2], "{\"1\",\"2\"}");
        CHECK(strstr(r.plan->sql, "drop table") == NULL);
        CHECK(strstr(r.plan->sql, "= ANY($3::\"pg_catalog\".\"int4\"[])") != NULL);
    }
    done(&r);
}

static void test_unknown_field_is_located(void)
{
    result_t r = compile("{\n  users { id nope } }", NULL);
    CHECK(r.plan == NULL);
    CHECK_STR(first_error(&r), "Cannot query field \"nope\" on type \"users\".");
    CHECK_INT(r.errs.head != NULL ? r.errs.head->offset : -1, 15);
    done(&r);
}

static void test_missing_required_variable(void)
{
    result_t r = compile("query($id: Int!) { users_by_pk(id: $id) { name } }", "{}");
    CHECK(r.plan == NULL);
    CHECK_STR(first_error(&r), "Variable \"$id\" of required type \"Int!\" was not provided.");
    CHECK(r.errs.head != NULL && r.errs.head->kind == GP_E_BAD_INPUT);
    done(&r);
}

static void test_skip_include_and_fragments(void)
{
    result_t r = compile("query($no: Boolean = false) { users { ...f id @skip(if: true) email @include(if: $no) } } "
                         "fragment f on users { name ... on users { bio } }",
                         NULL);
    CHECK(r.plan != NULL);
    if (r.plan != NULL) {
        CHECK(strstr(r.plan->sql, "'name'") != NULL);
        CHECK(strstr(r.plan->sql, "'bio'") != NULL);
        CHECK(strstr(r.plan->sql, "'id'") == NULL);
        CHECK(strstr(r.plan->sql, "'email'") == NULL);
    }
    done(&r);
}

static void test_order_by_through_object_relationship(void)
{
    result_t r = compile("{ posts(order_by: [{author: {name: desc_nulls_last}}, {id: asc}], limit: 2) { id } }", NULL);
    CHECK(r.plan != NULL);
    if (r.plan != NULL)
        CHECK(strstr(r.plan->sql, "ORDER BY (SELECT _t2.\"name\" FROM \"public\".\"users\" AS _t2 WHERE _t2.\"id\" = "
                                  "_t1.\"author_id\" LIMIT 1) DESC NULLS LAST, _t1.\"id\" ASC") != NULL);
    done(&r);
}

static void test_bad_operand_types(void)
{
    result_t r = compile("{ users(where: {id: {_eq: \"one\"}}) { id } }", NULL);
    CHECK_STR(first_error(&r), "Int cannot represent non-integer value: \"one\"");
    done(&r);
    r = compile("{ users(limit: -1) { id } }", NULL);
    CHECK_STR(first_error(&r), "Expected a non-negative Int for limit.");
    done(&r);
    r = compile("{ users(where: {title: {_like: \"%\"}}) { id } }", NULL);
    CHECK_STR(first_error(&r), "Field \"title\" is not defined by type \"users_bool_exp\".");
    done(&r);
}

static void test_wide_selection_is_chunked(void)
{
    char query[8192] = "{ users_by_pk(id: 1) { ";
    for (int i = 0; i < 120; i++)
        sprintf(query + strlen(query), "a%d: id ", i);
    strcat(query, "} }");
    result_t r = compile(query, NULL);
    CHECK(r.plan != NULL);
    if (r.plan != NULL)
        CHECK(strstr(r.plan->sql, "('{' || left(substr(json_build_object(") != NULL);
    done(&r);
}

static void test_many_operations_need_a_name(void)
{
    result_t r = compile("query a { users { id } } query b { posts { id } }", NULL);
    CHECK_STR(first_error(&r), "Must provide operation name if query contains multiple operations.");
    done(&r);
}

static void test_plans_that_only_bind_variables_are_reusable(void)
{
    result_t r = compile("query($id: Int!, $ids: [Int!]) { users_by_pk(id: $id) { name } "
                         "users(where: {id: {_in: $ids}}, limit: 1) { id } }",
                         "{\"id\": 7, \"ids\": [1, 2]}");
    CHECK(r.plan != NULL && r.plan->reusable);
    if (r.plan != NULL) {
        json_t *vars = json_loads("{\"id\": 8, \"ids\": [3]}", 0, NULL);
        gp_params_t p;
        CHECK(gp_plan_bind(r.plan, r.arena, vars, &p));
        CHECK_INT(p.count, 2); /* the literal limit is in the SQL text (gp_values_count) */
        if (p.count == 2) {
            CHECK_STR(p.values[0], "8");
            CHECK_STR(p.values[1], "{\"3\"}");
        }
        CHECK(strstr(r.plan->sql, " LIMIT 1") != NULL);
        json_decref(vars);
        vars = json_loads("{\"id\": 8, \"ids\": null}", 0, NULL);
        CHECK(!gp_plan_bind(r.plan, r.arena, vars, &p)); /* null drops the condition: compile anew */
        json_decref(vars);
    }
    done(&r);
}

static void test_plans_shaped_by_variables_are_not_reusable(void)
{
    const char *shaped[][2] = {
        {"query($w: users_bool_exp) { users(where: $w) { id } }", "{\"w\": {\"id\": {\"_eq\": 1}}}"},
        {"query($s: Boolean!) { users { id @skip(if: $s) } }", "{\"s\": true}"},
        {"query($id: Int) { users(where: {id: {_eq: $id}}) { id } }", "{\"id\": null}"},
        {"query($n: Boolean!) { users(where: {bio: {_is_null: $n}}) { id } }", "{\"n\": true}"},
    };
    for (size_t i = 0; i < sizeof shaped / sizeof *shaped; i++) {
        result_t r = compile(shaped[i][0], shaped[i][1]);
        CHECK(r.plan != NULL && !r.plan->reusable);
        done(&r);
    }
}

/* An introspection field beside data is bound as one json parameter of the
 * statement: one per distinct selection, however many aliases ask for it. */
static void test_introspection_beside_data_is_a_json_parameter(void)
{
    result_t r = compile("{ users { id } t: __type(name: \"Int\") { name } }", NULL);
    CHECK(r.plan != NULL && r.plan->answer == NULL);
    if (r.plan != NULL) {
        CHECK_INT(r.plan->params.count, 1);
        if (r.plan->params.count == 1)
            CHECK_STR(r.plan->params.values[0], "{\"name\":\"Int\"}");
        CHECK(strstr(r.plan->sql, "::\"pg_catalog\".\"json\"") != NULL);
    }
    done(&r);
    r = compile("{ a: __schema { types { name } } users { id } b: __schema { types { name } }"
                "  c: __schema { types { name kind } } d: __schema { types { name } } }",
                NULL);
    CHECK(r.plan != NULL);
    if (r.plan != NULL) {
        CHECK_INT(r.plan->params.count, 2);
        CHECK(strstr(r.plan->sql, "$1::\"pg_catalog\".\"json\"") != NULL);
    }
    done(&r);
}

/* Only __schema, __type and __typename: the plan has the answer and no statement;
 * beside a table field the answer is one parameter of the statement instead. */
static void test_introspection_only_needs_no_statement(void)
{
    gp_arena_t *a = gp_arena_new(4096);
    gp_errors_t errs;
    const char *q = "{ x: __typename s: __schema { queryType { name } } t: __schema { queryType { name } } }";
    gp_errors_init(&errs, a, q);
    gp_plan_t *p = gp_plan_request(a, &(gp_plan_target_t){schema, 0, NULL}, NULL, q, strlen(q), NULL, NULL, &errs);
    CHECK(p != NULL && p->answer != NULL);
    if (p != NULL && p->answer != NULL) {
        CHECK_STR(p->sql, "");
        CHECK_INT(p->params.count, 0);
        char joined[512] = "";
        for (int i = 0; p->answer[i] != NULL; i++)
            snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s", p->answer[i]);
        CHECK_STR(joined, "{\"x\":\"query_root\",\"s\":{\"queryType\":{\"name\":\"query_root\"}},"
                          "\"t\":{\"queryType\":{\"name\":\"query_root\"}}}");
    }
    q = "{ s: __schema { queryType { name } } users { id } t: __schema { queryType { name } } }";
    p = gp_plan_request(a, &(gp_plan_target_t){schema, 0, NULL}, NULL, q, strlen(q), NULL, NULL, &errs);
    CHECK(p != NULL && p->answer == NULL);
    if (p != NULL)
        CHECK_INT(p->params.count, 1);
    gp_arena_free(a);
}

/* Every root field skipped: the answer is the empty object, written into room for
 * three pieces ("{", "}", the end), which the differential test once found overrun. */
static void test_every_root_field_skipped_answers_empty(void)
{
    gp_arena_t *a = gp_arena_new(64);
    gp_errors_t errs;
    const char *q = "{ users @skip(if: true) { id } }";
    gp_errors_init(&errs, a, q);
    gp_plan_t *p = gp_plan_request(a, &(gp_plan_target_t){schema, 0, NULL}, NULL, q, strlen(q), NULL, NULL, &errs);
    CHECK(p != NULL && p->answer != NULL);
    if (p != NULL && p->answer != NULL) {
        CHECK_STR(p->answer[0], "{");
        CHECK_STR(p->answer[1], "}");
        CHECK(p->answer[2] == NULL);
    }
    gp_arena_free(a);
}

/* A nullable variable with a default may stand in a non-null position, so a value can
 * still be null where validation allows no null literal: each such argument is refused
 * with an error of its own (count(columns:) once passed a null to strcmp). */
static void test_null_from_a_defaulted_variable_is_refused(void)
{
    const char *cases[][3] = {
        {"query($c: users_select_column = id) { users_aggregate { aggregate { count(columns: [$c]) } } }",
         "{\"c\": null}", "Cannot aggregate null of \"users\"."},
        {"query($c: users_select_column = id) { users(distinct_on: [$c]) { id } }", "{\"c\": null}",
         "Expected a column of \"users\" in distinct_on."},
        {"query($id: Int = 1) { users_by_pk(id: $id) { id } }", "{\"id\": null}",
         "Argument \"id\" of field \"users_by_pk\" must not be null."},
        {"query($v: Boolean = true) { users @skip(if: $v) { id } }", "{\"v\": null}",
         "Argument \"if\" of @skip must be a Boolean!."},
        {"query($w: users_bool_exp = {}) { users(where: {_and: [$w]}) { id } }", "{\"w\": null}",
         "Expected an object of type \"users_bool_exp\", found null."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        result_t r = compile(cases[i][0], cases[i][1]);
        CHECK(r.plan == NULL);
        CHECK_STR(first_error(&r), cases[i][2]);
        done(&r);
    }
}

/* The compiler trusts validation. A document that skipped it (as after a bug of the
 * validator) gets one clean internal error naming what the compiler met, never a crash
 * nor a second copy of a validation message. */
static void test_unvalidated_document_is_an_internal_error(void)
{
    const char *cases[][2] = {
        {"{ users { nope } }", "the field \"nope\" on \"users\""},
        {"{ nope { id } }", "the field \"nope\" on \"query_root\""},
        {"{ users(nope: 1) { id } }", "the argument \"nope\" on \"query_root.users\""},
        {"{ users { ...F } }", "a spread of no fragment (\"...F\")"},
        {"{ users @nope { id } }", "the directive \"@nope\" on a selection"},
        {"{ users @skip { id } }", "@skip without \"if\""},
        {"{ users(where: {id: {_eq: $x}}) { id } }", "the variable \"$x\" defined nowhere"},
        {"{ users_by_pk { id } }", "\"users_by_pk\" without its key argument \"id\""},
        {"{ users_aggregate { nope { count } } }", "the field \"nope\" on \"users_aggregate\""},
        {"{ users_aggregate { aggregate { nope } } }", "the field \"nope\" on \"users_aggregate_fields\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gp_arena_t *a = gp_arena_new(4096);
        gp_errors_t errs;
        gp_errors_init(&errs, a, cases[i][0]);
        gp_document_t *doc = gp_parse(a, cases[i][0], strlen(cases[i][0]), &errs);
        CHECK(doc != NULL);
        if (doc != NULL) {
            CHECK(gp_compile(a, &(gp_plan_target_t){schema, 0, NULL}, NULL, doc, doc->operations, NULL, &errs) == NULL);
            CHECK(errs.count == 1 && errs.head->kind == GP_E_INTERNAL);
            char want[256];
            snprintf(want, sizeof want,
                     "Internal error: the validated document has %s, which the server does not handle.", cases[i][1]);
            CHECK_STR(errs.head != NULL ? errs.head->message : "(no error)", want);
        }
        gp_arena_free(a);
    }
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

TEST_MAIN(setup, test_list_is_one_statement_without_params, test_values_are_parameters, test_unknown_field_is_located,
          test_missing_required_variable, test_skip_include_and_fragments, test_order_by_through_object_relationship,
          test_bad_operand_types, test_wide_selection_is_chunked, test_many_operations_need_a_name,
          test_plans_that_only_bind_variables_are_reusable, test_plans_shaped_by_variables_are_not_reusable,
          test_introspection_beside_data_is_a_json_parameter, test_introspection_only_needs_no_statement,
          test_every_root_field_skipped_answers_empty, test_null_from_a_defaulted_variable_is_refused,
          test_unvalidated_document_is_an_internal_error, teardown)
