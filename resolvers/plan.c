/* resolvers/plan.c — one operation → one statement:
 *
 *   SELECT json_build_object('users', (<list>), 'post', (<by pk>)) 
 *
 * whose single cell is the `data` object, spliced into the response unparsed. */
#include "resolvers/plan.h"

#include <string.h>

#include "graphql/coerce.h"
#include "graphql/introspection.h"
#include "graphql/parse.h"
#include "graphql/validate.h"
#include "resolvers/compile.h"
#include "resolvers/plan_select.h"
#include "resolvers/values.h"

/* A cached introspection answer keeps its distinct texts: a few full introspections
 * at most, so that the cache's memory stays bounded by its capacity. */
#define GP_PLAN_ANSWER_KEEP_MAX (2u << 20)

int gp_compile_fail_kind(gp_compile_t *c, gp_error_kind_t kind, long offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gp_errors_vadd(c->errs, kind, offset, fmt, ap);
    va_end(ap);
    return -1;
}

int gp_compile_fail(gp_compile_t *c, long offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gp_errors_vadd(c->errs, GP_E_VALIDATION, offset, fmt, ap);
    va_end(ap);
    return -1;
}

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

static int write_root_value(gp_compile_t *c, const gp_field_group_t *g, void *ctx)
{
    (void)ctx;
    return gp_select_root_field(c, g);
}

static int compile_query(gp_compile_t *c, const gp_operation_t *op)
{
    int failed = 0;
    const gp_selection_t *sets[] = {op->selections};
    gp_field_group_t *groups = gp_select_collect(c, "query_root", sets, 1, &failed);
    if (failed)
        return -1;
    if (gp_meta_only(groups)) { /* the server knows the whole answer: no statement */
        c->answer = gp_meta_answer(gp_select_meta(c), groups);
        return c->answer != NULL ? 0 : -1;
    }
    gp_sql_raw(&c->sql, "SELECT ");
    return gp_select_object_of(c, groups, write_root_value, NULL);
}

gp_plan_t *gp_plan_compile(gp_arena_t *a, const gp_schema_t *s, const gp_document_t *doc, const gp_operation_t *op,
                           const json_t *variables, gp_errors_t *errs)
{
    gp_compile_t c = {.arena = a, .model = s->model, .schema = s, .doc = doc, .op = op, .errs = errs};
    gp_sql_init(&c.sql, a);
    c.variables = variables != NULL ? json_incref((json_t *)variables) : json_object();
    gp_plan_t *plan = NULL;
    if (op->kind != GP_OP_QUERY) {
        gp_compile_fail_kind(&c, GP_E_REQUEST, op->offset, "%s operations are not supported yet.",
                             op->kind == GP_OP_MUTATION ? "Mutation" : "Subscription");
        goto Done;
    }
    if (compile_query(&c, op) != 0)
        goto Done;
    if (gp_sql_failed(&c.sql)) {
        gp_compile_fail_kind(&c, GP_E_TOO_COMPLEX, op->offset, "The operation compiles to too large a statement.");
        goto Done;
    }
    plan = gp_arena_new_obj(a, gp_plan_t);
    plan->sql = c.sql.text.data;
    plan->params.count = c.sql.nparams;
    plan->params.values = c.sql.params;
    gp_values_reserve_bindings(&c, c.sql.nparams);
    plan->bindings = c.bindings;
    plan->is_mutation = false;
    plan->reusable = !gp_values_shaped_sql(&c);
    plan->answer = c.answer;
    if (c.answer != NULL && gp_meta_answer_kept(c.answer) > GP_PLAN_ANSWER_KEEP_MAX)
        plan->reusable = false; /* the cache keeps only answers of a bounded size */
Done:
    gp_values_release(&c);
    json_decref(c.variables);
    return plan;
}

gp_plan_t *gp_plan_request(gp_arena_t *a, const gp_schema_t *s, const char *query, size_t query_len,
                           const char *operation_name, const json_t *variables, gp_errors_t *errs)
{
    gp_document_t *doc = gp_parse(a, query, query_len, errs);
    if (doc == NULL || gp_validate(a, s, doc, errs) != 0)
        return NULL;
    const gp_operation_t *op = gp_plan_operation(doc, operation_name, errs);
    if (op == NULL)
        return NULL;
    json_t *coerced = gp_coerce_variables(a, s, op, variables, errs);
    if (coerced == NULL)
        return NULL;
    gp_plan_t *plan = gp_plan_compile(a, s, doc, op, coerced, errs);
    json_decref(coerced);
    return plan;
}
