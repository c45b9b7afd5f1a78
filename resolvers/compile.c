/* resolvers/compile.c — one query → one statement (a mutation: resolvers/mutation.c):
 *
 *   SELECT json_build_object('users', (<list>), 'post', (<by pk>))
 *
 * whose single cell is the `data` object, spliced into the response unparsed. */
#include "resolvers/compile.h"

#include <stdarg.h>

#include "graphql/introspection.h"
#include "resolvers/mutation.h"
#include "resolvers/select.h"
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

int gp_compile_unreachable(gp_compile_t *c, long offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gp_errors_vunreachable(c->errs, offset, fmt, ap);
    va_end(ap);
    return -1;
}

void gp_compile_table(gp_compile_t *c, const gp_table_t *t)
{
    gp_sql_raw(&c->sql, t->sql_name);
    int i = (int)(t - c->model->tables);
    if (i < 0 || i >= c->model->ntables)
        return;
    if (c->reads == NULL)
        c->reads = gp_arena_calloc(c->arena, (size_t)c->model->ntables / 8 + 1);
    c->reads[i / 8] |= (uint8_t)(1u << (i % 8));
}

void gp_compile_function(gp_compile_t *c, const gp_function_t *fn)
{
    gp_sql_raw(&c->sql, fn->sql_name);
    c->reads_any = true;
}

static int write_root_value(gp_compile_t *c, const gp_field_group_t *g, void *ctx)
{
    (void)ctx;
    return gp_select_root_field(c, g);
}

/* A query, or a subscription: a live query, the same statement with its parameters
 * named as columns of its subscriber's row (GP_SQL_LIVE_REF). */
static int compile_query(gp_compile_t *c, const gp_operation_t *op)
{
    int failed = 0;
    const gp_selection_t *sets[] = {op->selections};
    bool live = op->kind == GP_OP_SUBSCRIPTION;
    if (live)
        c->sql.param_ref = GP_SQL_LIVE_REF;
    gp_field_group_t *groups = gp_select_collect(c, live ? "subscription_root" : "query_root", sets, 1, &failed);
    if (failed)
        return -1;
    const gp_field_t *f = live && groups != NULL ? gp_type_field(c->schema->subscription, groups->name) : NULL;
    if (f != NULL && f->role == GP_FIELD_ROOT_STREAM) /* validation: a subscription selects one root field */
        return gp_select_stream(c, groups, &c->cursor_sql);
    if (gp_introspection_only(groups)) { /* the server knows the whole answer: no statement */
        c->answer = gp_introspection_answer(gp_select_introspection(c), groups);
        return c->answer != NULL ? 0 : -1;
    }
    gp_sql_raw(&c->sql, "SELECT ");
    return gp_select_object_of(c, groups, write_root_value, NULL);
}

gp_plan_t *gp_compile(gp_arena_t *a, const gp_plan_target_t *on, const gp_compile_config_t *config,
                      const gp_document_t *doc, const gp_operation_t *op, const json_t *variables,
                      gp_errors_t *errs)
{
    const gp_schema_t *s = on->schema;
    gp_compile_t c = {.arena = a, .model = s->model, .schema = s, .doc = doc, .op = op, .errs = errs};
    c.meta.shared = on->answers;
    if (config != NULL)
        c.config = *config;
    gp_sql_init(&c.sql, a);
    c.variables = variables != NULL ? json_incref((json_t *)variables) : json_object();
    gp_plan_t *plan = NULL;
    const gp_plan_write_t *writes = NULL;
    int nwrites = 0;
    if (op->kind == GP_OP_MUTATION ? gp_mutation_compile(&c, op, &writes, &nwrites) != 0 : compile_query(&c, op) != 0)
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
    plan->is_mutation = op->kind == GP_OP_MUTATION;
    plan->is_subscription = op->kind == GP_OP_SUBSCRIPTION;
    plan->reads = c.reads;
    plan->reads_size = c.reads != NULL ? (size_t)s->model->ntables / 8 + 1 : 0;
    plan->reads_any = c.reads_any;
    plan->cursor_sql = c.cursor_sql;
    plan->writes = writes;
    plan->nwrites = nwrites;
    /* A mutation's SQL follows its values (which columns, how many rows): compiled anew
     * every time, never cached. */
    plan->reusable = !plan->is_mutation && !gp_values_shaped_sql(&c);
    plan->answer = c.answer;
    if (c.answer != NULL && gp_introspection_answer_kept(c.answer) > GP_PLAN_ANSWER_KEEP_MAX)
        plan->reusable = false; /* the cache keeps only answers of a bounded size */
Done:
    gp_values_release(&c);
    json_decref(c.variables);
    return plan;
}

