/* tests/fuzz/request.c — libFuzzer target for what one POST /graphql body goes
 * through below the sockets: JSON body (gp_json_load, as the server reads it) →
 * query, variables, operation name → the plan cache (parse, validate, coerce
 * variables, compile, re-bind) on the blog model. Any bytes must give a plan or
 * at least one error, never a crash, a leak or UB.
 *
 * It also asserts the plan cache's soundness: the body may carry a second set of
 * variables ("variables2"); the document is resolved through the cache with
 * "variables", then with "variables2", and each answer must equal a cold compile
 * of the same request (same SQL text and every parameter, or the same errors), and
 * never an internal error: what the compiler trusts validation for, validation checks.
 * The cache lives across inputs, so hits and evictions are exercised too.
 * Run from the repository root (it reads the blog fixture). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "resolvers/plan_cache.h"
#include "schema/catalog.h"
#include "schema/types.h"
#include "tests/unit/schema/fixture.h"

static gp_model_t *model;
static gp_schema_t *schema;
static gp_plan_cache_t *cache;
static gp_introspection_answers_t *answers; /* the hot side shares them, as a server does */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    model = fixture_model("blog");
    schema = gp_schema_build(model);
    cache = gp_plan_cache_new(16, NULL);
    answers = gp_introspection_answers_new();
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

/* The compiler trusts validation and coercion: an internal error means it met what they
 * should have refused (gp_compile_unreachable, gp_collect_unreachable). */
static bool has_internal(const gp_errors_t *errs)
{
    for (const gp_error_t *e = errs->head; e != NULL; e = e->next)
        if (e->kind == GP_E_INTERNAL)
            return true;
    return false;
}

/* One request through the cache and cold; aborts when they differ. */
static void resolve_both(gp_arena_t *a, const char *text, size_t len, const char *name, const json_t *variables)
{
    gp_errors_t hot_errs, cold_errs;
    gp_errors_init(&hot_errs, a, text);
    gp_errors_init(&cold_errs, a, text);
    gp_plan_t *hot = gp_plan_cache_resolve(cache, &(gp_plan_target_t){schema, 1, answers}, a, text, len, name, variables, &hot_errs);
    gp_plan_t *cold = gp_plan_request(a, &(gp_plan_target_t){schema, 0, NULL}, NULL, text, len, name, variables, &cold_errs);
    if ((hot == NULL) == (hot_errs.count == 0))
        abort(); /* exactly one of: a plan, or errors that say why not */
    if (hot != NULL && hot->answer == NULL && strncmp(hot->sql, "SELECT ", 7) != 0)
        abort();
    if ((hot == NULL) != (cold == NULL) || (hot != NULL && !gp_plan_equal(hot, cold)))
        abort(); /* a re-bound plan is not what a fresh compile writes */
    if (!same_errors(&hot_errs, &cold_errs))
        abort(); /* a hit skipped (or invented) a check */
    if (has_internal(&cold_errs))
        abort(); /* a check that validation should have made and did not */
}

/* A neighbour of `v` for a second request when the input names none: booleans
 * flip, numbers move across zero and the 32-bit edge, strings change, nulls and
 * values swap, lists lose an item; `seed` picks among them. New reference. */
static json_t *neighbour(const json_t *v, uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    unsigned pick = (*seed >> 16) % 4;
    if (pick == 3)
        return json_null();
    switch (json_typeof(v)) {
    case JSON_TRUE:
    case JSON_FALSE:
        return json_boolean(!json_is_true(v));
    case JSON_INTEGER: {
        static const json_int_t moves[] = {-1, 0, 2147483648LL};
        return json_integer(pick == 0 ? -json_integer_value(v) - 1 : moves[pick]);
    }
    case JSON_REAL:
        return json_real(-json_real_value(v));
    case JSON_STRING:
        return pick == 0 ? json_string("") : pick == 1 ? json_integer(7) : gp_json_exact("1e400", 5);
    case JSON_NULL:
        return pick == 0 ? json_true() : json_integer(1);
    case JSON_ARRAY: {
        json_t *out = json_array();
        for (size_t i = 1; i < json_array_size(v); i++)
            json_array_append_new(out, neighbour(json_array_get(v, i), seed));
        return out;
    }
    case JSON_OBJECT: {
        json_t *out = json_object();
        const char *key;
        json_t *item;
        json_object_foreach ((json_t *)v, key, item)
            json_object_set_new(out, key, neighbour(item, seed));
        return out;
    }
    }
    return json_null();
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
    if (json_is_object(variables2)) {
        resolve_both(a, text, len, op, variables2);
    } else if (json_is_object(variables)) {
        uint32_t seed = (uint32_t)size;
        for (int i = 0; i < 3; i++) {
            json_t *next = neighbour(variables, &seed);
            if (!json_is_object(next)) { /* the whole object became null */
                json_decref(next);
                next = json_object();
            }
            resolve_both(a, text, len, op, next);
            json_decref(next);
        }
    }
    gp_arena_free(a);
    json_decref(body);
    return 0;
}
