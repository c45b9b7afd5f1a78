/* tests/fuzz/request.c — libFuzzer target for what one POST /graphql body goes
 * through below the sockets: JSON body (gp_json_load, as the server reads it) →
 * query, variables, operation name → the plan cache (parse, validate, coerce
 * variables, compile, re-bind) on the blog model. Any bytes must give a plan or
 * at least one error, never a crash, a leak or UB.
 *
 * It also asserts the plan cache's soundness: the body may carry a second set of
 * variables ("variables2"); the document is resolved through the cache with
 * "variables", then with "variables2", and each answer must equal a cold compile
 * of the same request (same SQL text and every parameter, or the same errors).
 * The cache lives across inputs, so hits and evictions are exercised too.
 * Run from the repository root (it reads the blog fixture). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "resolvers/plan_cache.h"
#include "schema/introspect.h"
#include "schema/types.h"
#include "tests/unit/schema/fixture.h"

static gp_model_t *model;
static gp_schema_t *schema;
static gp_plan_cache_t *cache;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    model = fixture_model("blog");
    schema = gp_schema_build(model);
    cache = gp_plan_cache_new(schema, 16);
    return 0;
}

static bool same_errors(const gp_errors_t *x, const gp_errors_t *y)
{
    const gp_error_t *e = x->head, *f = y->head;
    for (; e != NULL && f != NULL; e = e->next, f = f->next)
        if (e->kind != f->kind || strcmp(e->message, f->message) != 0)
            return false;
    return e == NULL && f == NULL;
}

/* One request through the cache and cold; aborts when they differ. */
static void resolve_both(gp_arena_t *a, const char *text, size_t len, const char *name, const json_t *variables)
{
    gp_errors_t hot_errs, cold_errs;
    gp_errors_init(&hot_errs, a, text);
    gp_errors_init(&cold_errs, a, text);
    gp_plan_t *hot = gp_plan_cache_resolve(cache, a, text, len, name, variables, &hot_errs);
    gp_plan_t *cold = gp_plan_request(a, schema, text, len, name, variables, &cold_errs);
    if ((hot == NULL) == (hot_errs.count == 0))
        abort(); /* exactly one of: a plan, or errors that say why not */
    if (hot != NULL && hot->answer == NULL && strncmp(hot->sql, "SELECT ", 7) != 0)
        abort();
    if ((hot == NULL) != (cold == NULL) || (hot != NULL && !gp_plan_equal(hot, cold)))
        abort(); /* a re-bound plan is not what a fresh compile writes */
    if (!same_errors(&hot_errs, &cold_errs))
        abort(); /* a hit skipped (or invented) a check */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = gp_json_load((const char *)data, size, NULL);
    const json_t *query = json_object_get(body, "query");
    if (!gp_json_is_string(query)) {
        json_decref(body);
        return 0;
    }
    const json_t *name = json_object_get(body, "operationName");
    const json_t *variables = json_object_get(body, "variables");
    const json_t *variables2 = json_object_get(body, "variables2");
    gp_arena_t *a = gp_arena_new(4096);
    size_t len = json_string_length(query);
    const char *text = gp_arena_strndup(a, json_string_value(query), len);
    const char *op = gp_json_is_string(name) ? json_string_value(name) : NULL;
    resolve_both(a, text, len, op, json_is_object(variables) ? variables : NULL);
    if (json_is_object(variables2))
        resolve_both(a, text, len, op, variables2);
    gp_arena_free(a);
    json_decref(body);
    return 0;
}
