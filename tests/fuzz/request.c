/* tests/fuzz/request.c — libFuzzer target for what one POST /graphql body goes
 * through below the sockets: JSON body → query, variables, operation name → the
 * plan cache (parse, validate, coerce variables, compile, re-bind) on the blog
 * model. Any bytes must give a plan or at least one error, never a crash, a leak
 * or UB. The cache lives across inputs, so hits and evictions are exercised too.
 * Run from the repository root (it reads the blog fixture). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = json_loadb((const char *)data, size, 0, NULL);
    const json_t *query = json_object_get(body, "query");
    if (!json_is_string(query)) {
        json_decref(body);
        return 0;
    }
    const json_t *name = json_object_get(body, "operationName");
    const json_t *variables = json_object_get(body, "variables");
    gp_arena_t *a = gp_arena_new(4096);
    size_t len = json_string_length(query);
    const char *text = gp_arena_strndup(a, json_string_value(query), len);
    gp_errors_t errs;
    gp_errors_init(&errs, a, text);
    gp_plan_t *plan = gp_plan_cache_resolve(cache, a, text, len, json_is_string(name) ? json_string_value(name) : NULL,
                                            json_is_object(variables) ? variables : NULL, &errs);
    if ((plan == NULL) == (errs.count == 0))
        abort(); /* exactly one of: a plan, or errors that say why not */
    if (plan != NULL && strncmp(plan->sql, "SELECT ", 7) != 0)
        abort();
    gp_arena_free(a);
    json_decref(body);
    return 0;
}
