/* resolvers/plan.c — what a compiled plan is used for: picking the operation,
 * re-binding a cached plan to new variables, and the whole pipeline in one call. */
#include "resolvers/plan.h"

#include <string.h>

#include "graphql/coerce.h"
#include "graphql/parse.h"
#include "graphql/validate.h"
#include "resolvers/compile.h"
#include "resolvers/values.h"

const gp_operation_t *gp_plan_operation(const gp_document_t *doc, const char *name, gp_errors_t *errs)
{
    const gp_operation_t *ops = doc->operations;
    if (ops == NULL) {
        gp_errors_add(errs, GP_E_VALIDATION, -1, "The document contains no operation.");
        return NULL;
    }
    if (name == NULL || name[0] == '\0') {
        if (ops->next == NULL)
            return ops;
        gp_errors_add(errs, GP_E_REQUEST, -1, "Must provide operation name if query contains multiple operations.");
        return NULL;
    }
    for (const gp_operation_t *op = ops; op != NULL; op = op->next)
        if (op->name != NULL && strcmp(op->name, name) == 0)
            return op;
    gp_errors_add(errs, GP_E_REQUEST, -1, "Unknown operation named \"%s\".", name);
    return NULL;
}

bool gp_plan_bind(const gp_plan_t *plan, gp_arena_t *a, const json_t *variables, gp_params_t *out)
{
    gp_params_t p = {plan->params.count, plan->params.values};
    *out = p;
    if (p.count == 0)
        return true;
    const char **values = gp_arena_alloc(a, sizeof *values * (size_t)p.count);
    for (int i = 0; i < p.count; i++) {
        const gp_param_binding_t *b = &plan->bindings[i];
        if (b->variable == NULL) {
            values[i] = plan->params.values[i];
            continue;
        }
        /* Null drops a condition; another JSON type or a failed check would be
         * compiled differently or refused: the compile decides and words it. */
        const json_t *v = json_object_get(variables, b->variable);
        if (v == NULL || (int)json_typeof(v) != b->json_type || !gp_values_check(b->check, v))
            return false;
        values[i] = gp_values_form_text(a, v, b->form);
    }
    out->values = values;
    return true;
}

bool gp_plan_equal(const gp_plan_t *x, const gp_plan_t *y)
{
    if (strcmp(x->sql, y->sql) != 0 || x->params.count != y->params.count || (x->answer == NULL) != (y->answer == NULL))
        return false;
    for (int i = 0; i < x->params.count; i++) {
        const char *p = x->params.values[i], *q = y->params.values[i];
        if ((p == NULL) != (q == NULL) || (p != NULL && strcmp(p, q) != 0))
            return false;
    }
    for (int i = 0; x->answer != NULL && (x->answer[i] != NULL || y->answer[i] != NULL); i++)
        if (x->answer[i] == NULL || y->answer[i] == NULL || strcmp(x->answer[i], y->answer[i]) != 0)
            return false;
    return true;
}

gp_plan_t *gp_plan_request(gp_arena_t *a, const gp_plan_target_t *on, const gp_compile_config_t *config,
                           const char *query, size_t query_len, const char *operation_name,
                           const json_t *variables, gp_errors_t *errs)
{
    const gp_schema_t *s = on->schema;
    gp_document_t *doc = gp_parse(a, query, query_len, errs);
    if (doc == NULL || gp_validate(a, s, doc, errs) != 0)
        return NULL;
    const gp_operation_t *op = gp_plan_operation(doc, operation_name, errs);
    if (op == NULL)
        return NULL;
    json_t *coerced = gp_coerce_variables(a, s, op, variables, errs);
    if (coerced == NULL)
        return NULL;
    gp_plan_t *plan = gp_compile(a, on, config, doc, op, coerced, errs);
    json_decref(coerced);
    return plan;
}
