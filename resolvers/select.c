/* resolvers/select.c — the shape of the SQL:
 *
 *   list:   (SELECT coalesce(json_agg(_s.j), '[]') FROM
 *              (SELECT json_build_object('id', _t1."id", …) AS j
 *               FROM "public"."users" AS _t1 WHERE … ORDER BY … LIMIT … OFFSET …) AS _s)
 *   object: (SELECT json_build_object(…) FROM "public"."users" AS _t2 WHERE <join> LIMIT 1)
 *
 * Relationships are correlated subqueries, so a query of any depth stays one
 * statement and PostgreSQL plans each level with the indexes it has. */
#include "resolvers/select.h"

#include <stdio.h>
#include <string.h>

#include "graphql/introspection.h"
#include "graphql/validate.h"
#include "schema/pgtype.h"
#include "resolvers/filter.h"
#include "resolvers/jsonpath.h"
#include "resolvers/values.h"

/* What validation lets through nests no deeper than the compiler follows: its limits on
 * relationships and on fragments (CollectFields) cannot be reached. */
_Static_assert(GP_COMPILE_MAX_DEPTH >= GP_VALIDATE_MAX_DEPTH, "validation allows deeper nesting than the compiler");

/* json_build_object takes at most 100 arguments (FUNC_MAX_ARGS). */
#define PAIRS_PER_CALL 50

/* ---- collecting fields ---- */

static json_t *value_json(void *data, const gp_typeref_t *type, const gp_value_t *v, int *failed)
{
    return gp_values_json(data, type, v, failed); /* records which variable a value came from */
}

/* CollectFields and the introspection answers read values through the compiler. */
static void collector(gp_compile_t *c, gp_collect_t *k)
{
    *k = (gp_collect_t){c->arena, c->schema, c->doc, c->errs, GP_COMPILE_MAX_DEPTH, value_json, c};
}

gp_field_group_t *gp_select_collect(gp_compile_t *c, const char *type_name, const gp_selection_t *const *sets,
                                    int nsets, int *failed)
{
    gp_collect_t k;
    collector(c, &k);
    return gp_collect_fields(&k, type_name, sets, nsets, failed);
}

gp_introspection_t *gp_select_introspection(gp_compile_t *c)
{
    collector(c, &c->meta.collect); /* the memo of answers stays */
    return &c->meta;
}

const gp_selection_t **gp_select_sub_selections(gp_compile_t *c, const gp_field_group_t *g)
{
    const gp_selection_t **sets = gp_arena_alloc(c->arena, sizeof *sets * (size_t)g->nfields);
    for (int i = 0; i < g->nfields; i++)
        sets[i] = g->fields[i]->selections;
    return sets;
}

/* ---- writing JSON objects ---- */

int gp_select_object_of(gp_compile_t *c, const gp_field_group_t *groups,
                        int (*write_value)(gp_compile_t *c, const gp_field_group_t *g, void *ctx), void *ctx)
{
    int n = 0;
    for (const gp_field_group_t *g = groups; g != NULL; g = g->next)
        n++;
    if (n == 0) {
        gp_sql_raw(&c->sql, "'{}'::json");
        return 0;
    }
    /* Past 50 pairs, calls are joined as text: jsonb would reorder the keys. */
    bool chunked = n > PAIRS_PER_CALL;
    if (chunked)
        gp_sql_raw(&c->sql, "('{' || ");
    int i = 0;
    for (const gp_field_group_t *g = groups; g != NULL; g = g->next, i++) {
        if (i % PAIRS_PER_CALL == 0) {
            if (i > 0)
                gp_sql_raw(&c->sql, chunked ? ")::text, 2), -1) || ', ' || " : ")");
            gp_sql_raw(&c->sql, chunked ? "left(substr(json_build_object(" : "json_build_object(");
        } else {
            gp_sql_raw(&c->sql, ", ");
        }
        gp_sql_key(&c->sql, g->key);
        gp_sql_raw(&c->sql, ", ");
        if (write_value(c, g, ctx) != 0)
            return -1;
    }
    gp_sql_raw(&c->sql, chunked ? ")::text, 2), -1) || '}')::json" : ")");
    return 0;
}

/* ---- arguments ---- */

typedef struct {
    json_t *where, *order_by, *limit, *offset, *distinct_on, *args;
    long where_at, order_by_at, limit_at, offset_at, distinct_on_at, args_at;
} list_args_t;

static void list_args_free(list_args_t *a)
{
    json_decref(a->where);
    json_decref(a->order_by);
    json_decref(a->limit);
    json_decref(a->offset);
    json_decref(a->distinct_on);
    json_decref(a->args);
}

static int list_args(gp_compile_t *c, const gp_selection_t *f, const char *parent_type, list_args_t *out)
{
    memset(out, 0, sizeof *out);
    for (const gp_argument_t *a = f->arguments; a != NULL; a = a->next) {
        json_t **slot;
        long *at;
        if (strcmp(a->name, "where") == 0)
            slot = &out->where, at = &out->where_at;
        else if (strcmp(a->name, "order_by") == 0)
            slot = &out->order_by, at = &out->order_by_at;
        else if (strcmp(a->name, "limit") == 0)
            slot = &out->limit, at = &out->limit_at;
        else if (strcmp(a->name, "offset") == 0)
            slot = &out->offset, at = &out->offset_at;
        else if (strcmp(a->name, "distinct_on") == 0)
            slot = &out->distinct_on, at = &out->distinct_on_at;
        else if (strcmp(a->name, "args") == 0) /* a function's */
            slot = &out->args, at = &out->args_at;
        else
            return gp_compile_unreachable(c, a->offset, "the argument \"%s\" on \"%s.%s\"", a->name, parent_type,
                                          f->name);
        int failed = 0;
        json_t *v = gp_values_json(c, gp_values_arg_type(c, parent_type, f->name, a->name), a->value, &failed);
        if (failed)
            return -1;
        if (v != NULL && json_is_null(v)) {
            json_decref(v);
            v = NULL;
        }
        json_decref(*slot);
        *slot = v;
        *at = a->offset;
    }
    return 0;
}

/* LIMIT or OFFSET `v`; a LIMIT of at most `cap` rows when `cap` > 0 (--max-rows):
 * least(<the client's>, cap), which serves any value a cached plan is re-bound to. */
static int write_count(gp_compile_t *c, const char *clause, const json_t *v, long at, int cap)
{
    if (v == NULL) {
        if (cap > 0)
            gp_strbuf_printf(&c->sql.text, " LIMIT %d", cap);
        return 0;
    }
    if (!gp_values_check(GP_CHECK_COUNT, v)) /* checked again whenever a cached plan is re-bound */
        return gp_compile_fail(c, at, "Expected a non-negative Int for %s.", clause);
    gp_sql_raw(&c->sql, clause[0] == 'l' ? " LIMIT " : " OFFSET ");
    gp_sql_raw(&c->sql, cap > 0 ? "least(" : "");
    gp_values_count(c, v);
    if (cap > 0)
        gp_strbuf_printf(&c->sql.text, ", %d)", cap);
    return 0;
}

/* DISTINCT ON (…) for distinct_on: one column name or a list of them. PostgreSQL
 * wants the ORDER BY to start with the same columns; its error says so if not. */
static int write_distinct_on(gp_compile_t *c, const gp_table_t *t, int alias, const json_t *v, long at)
{
    if (v == NULL)
        return 0;
    json_t *list = json_is_array(v) ? json_incref((json_t *)v) : json_pack("[O]", v);
    size_t i;
    json_t *item;
    int rc = 0;
    gp_sql_raw(&c->sql, "DISTINCT ON (");
    json_array_foreach(list, i, item) {
        const gp_column_t *col = json_is_string(item) ? gp_table_column(t, json_string_value(item)) : NULL;
        if (col == NULL) {
            rc = gp_compile_fail(c, at, "Expected a column of \"%s\" in distinct_on.", t->gql_name);
            break;
        }
        if (i > 0)
            gp_sql_raw(&c->sql, ", ");
        gp_sql_column(&c->sql, alias, col->name);
    }
    gp_sql_raw(&c->sql, ") ");
    json_decref(list);
    return rc;
}

/* ---- rows ---- */

typedef struct {
    const gp_table_t *table;
    int alias;
} row_t;

static int write_row_value(gp_compile_t *c, const gp_field_group_t *g, void *ctx);

/* json_build_object(...) for one row of `t` aliased _t<alias>. */
static int write_row(gp_compile_t *c, const gp_table_t *t, int alias, const gp_field_group_t *parent)
{
    int failed = 0;
    gp_field_group_t *groups = gp_select_collect(c, t->gql_name, gp_select_sub_selections(c, parent), parent->nfields, &failed);
    if (failed)
        return -1;
    row_t row = {t, alias};
    return gp_select_object_of(c, groups, write_row_value, &row);
}

/* "schema"."fn"(_tR, a => $1::"pg_catalog"."int4", …): the row _t<row_alias> first for a
 * computed field (row_alias > 0), then the `args` given, by name, so that a parameter left
 * out takes its default. Validation requires the others; a null that a variable with a
 * default puts there is refused here. A null for a parameter with a default is left out. */
static int write_call(gp_compile_t *c, const gp_function_t *fn, int row_alias, const json_t *args, long at)
{
    int n = 0;
    gp_compile_function(c, fn);
    gp_sql_raw(&c->sql, "(");
    if (row_alias > 0) {
        gp_sql_alias(&c->sql, row_alias);
        n++;
    }
    for (int i = 0; i < fn->nparams; i++) {
        const gp_fn_param_t *p = &fn->params[i];
        json_t *v = args != NULL ? json_object_get(args, p->name) : NULL;
        if (v == NULL || json_is_null(v)) {
            if (p->has_default)
                continue;
            return gp_compile_fail(c, at, "Expected a value for the argument \"%s\" of \"%s\", found null.", p->name,
                                   fn->computed_on != NULL ? fn->field : fn->gql_name);
        }
        gp_sql_raw(&c->sql, n++ ? ", " : "");
        gp_sql_ident(&c->sql, p->name);
        gp_sql_raw(&c->sql, " => ");
        gp_values_param(c, v, p->is_array ? GP_PARAM_ARRAY : gp_pgtype_is_json(p->gql_type) ? GP_PARAM_JSON : GP_PARAM_TEXT,
                        p->sql_type);
    }
    gp_sql_raw(&c->sql, ")");
    return 0;
}

/* FROM <table, function call or source> AS _tN WHERE <join?> AND <where?> ORDER BY … LIMIT …
 * OFFSET … A function `fn` that is a computed field of `outer`'s table takes outer's row.
 * `source`, when given, is SQL of a set of rows of t's row type (a mutation's written
 * rows) read instead of the table. `capped`: rows that go out as a list, at most
 * --max-rows of them. */
static int write_from(gp_compile_t *c, const gp_table_t *t, const gp_function_t *fn, const char *source, int alias,
                      const gp_relationship_t *rel, const row_t *outer, const list_args_t *args, bool capped)
{
    gp_sql_raw(&c->sql, " FROM ");
    if (source != NULL)
        gp_sql_raw(&c->sql, source);
    else if (fn == NULL)
        gp_compile_table(c, t);
    else if (write_call(c, fn, outer != NULL ? outer->alias : 0, args != NULL ? args->args : NULL,
                        args != NULL ? args->args_at : 0) != 0)
        return -1;
    gp_sql_raw(&c->sql, " AS ");
    gp_sql_alias(&c->sql, alias);
    if (source == NULL && fn != NULL && fn->returns == GP_FN_ROW) { /* a function that found no row returns a row of nulls */
        gp_sql_raw(&c->sql, " WHERE NOT (");
        gp_sql_alias(&c->sql, alias);
        gp_sql_raw(&c->sql, " IS NULL) LIMIT 1");
        return 0;
    }
    if (rel != NULL || (args != NULL && args->where != NULL)) {
        gp_sql_raw(&c->sql, " WHERE ");
        if (rel != NULL)
            gp_filter_join(c, outer->table, rel, outer->alias, alias);
        if (args != NULL && args->where != NULL) {
            if (rel != NULL)
                gp_sql_raw(&c->sql, " AND ");
            if (gp_filter_where(c, t, alias, args->where, args->where_at) != 0)
                return -1;
        }
    }
    if (args == NULL)
        return 0;
    if (args->order_by != NULL && gp_filter_order_by(c, t, alias, args->order_by, args->order_by_at) != 0)
        return -1;
    if (write_count(c, "limit", args->limit, args->limit_at, capped ? c->config.max_rows : 0) != 0 ||
        write_count(c, "offset", args->offset, args->offset_at, 0) != 0)
        return -1;
    return 0;
}

/* The rows of `t` that `args` pick (of the array relationship `rel` of `outer`, or that
 * function `fn` returns, if any) as a JSON array, each row the selection of `g`. */
static int write_rows(gp_compile_t *c, const gp_table_t *t, const gp_function_t *fn, const char *source,
                      const gp_field_group_t *g, const gp_relationship_t *rel, const row_t *outer,
                      const list_args_t *args)
{
    int alias = ++c->next_alias;
    gp_sql_raw(&c->sql, "(SELECT coalesce(json_agg(_s.j), '[]') FROM (SELECT ");
    if (write_distinct_on(c, t, alias, args->distinct_on, args->distinct_on_at) != 0 ||
        write_row(c, t, alias, g) != 0)
        return -1;
    gp_sql_raw(&c->sql, " AS j");
    if (write_from(c, t, fn, source, alias, rel, outer, args, true) != 0)
        return -1;
    gp_sql_raw(&c->sql, ") AS _s)");
    return 0;
}

/* A list of rows of `t`, optionally the array relationship `rel` of `outer`, or the rows
 * function `fn` returns (a computed field of `outer` when that is given). */
static int write_list(gp_compile_t *c, const gp_table_t *t, const gp_function_t *fn, const char *source,
                      const gp_field_group_t *g, const char *parent_type, const gp_relationship_t *rel,
                      const row_t *outer)
{
    list_args_t args;
    int rc = list_args(c, g->fields[0], parent_type, &args);
    if (rc == 0)
        rc = write_rows(c, t, fn, source, g, rel, outer, &args);
    list_args_free(&args);
    return rc;
}

/* ---- aggregates ----
 *
 *   (SELECT json_build_object('aggregate', json_build_object('count', count(*),
 *                                          'max', json_build_object('id', max(_s."c0"))),
 *                             'nodes', coalesce(json_agg(_s."j0"), '[]'))
 *    FROM (SELECT _t1."id" AS "c0", json_build_object(…) AS "j0" FROM … WHERE … LIMIT …) AS _s)
 *
 * The inner query projects only the columns the aggregates read (c<column index>)
 * and one JSON row per `nodes` selection (j<n>), so a count over many rows reads
 * little. Under --max-rows, `nodes` is a list of its own instead (write_rows, capped),
 * beside aggregates over every row the arguments pick: the cap bounds what is sent,
 * not what is counted. */

static bool is_aggregate_function(const char *name)
{
    return gp_aggregate_fn(name) != NULL; /* schema/types.c's list, which the type system offers */
}

typedef struct {
    const gp_table_t *table;
    bool *columns;               /* read by some aggregate: projected as c<index> */
    const gp_field_group_t **nodes;
    int nnodes;
    bool nodes_apart;            /* --max-rows: each `nodes` is a capped list of its own, */
    const gp_relationship_t *rel;/* of these rows: */
    const gp_function_t *fn;
    const row_t *outer;
    const list_args_t *args;
} aggregate_t;

static gp_field_group_t *collect_on(gp_compile_t *c, const char *type, const gp_field_group_t *g, int *failed)
{
    return gp_select_collect(c, type, gp_select_sub_selections(c, g), g->nfields, failed);
}

/* The column a count(columns:) or a T_<fn>_fields field names; NULL after an error.
 * Validation cannot rule out every miss: `name` is NULL for an item of count(columns:)
 * that a nullable variable with a default made null, and "_" (the value of a
 * T_select_column without usable columns) names no column. */
static const gp_column_t *aggregate_column(gp_compile_t *c, const aggregate_t *ag, const char *name, long at)
{
    const gp_column_t *col = name != NULL ? gp_table_column(ag->table, name) : NULL;
    if (col == NULL)
        gp_compile_fail(c, at, "Cannot aggregate %s of \"%s\".",
                        name != NULL ? gp_arena_printf(c->arena, "\"%s\"", name) : "null", ag->table->gql_name);
    return col;
}

/* The arguments of count on `ag_type` (T_aggregate_fields). */
static json_t *count_columns(gp_compile_t *c, const char *ag_type, const gp_selection_t *f, bool *distinct,
                             int *failed)
{
    json_t *columns = NULL;
    *distinct = false;
    for (const gp_argument_t *a = f->arguments; a != NULL && !*failed; a = a->next) {
        json_t *v = gp_values_json(c, gp_values_arg_type(c, ag_type, f->name, a->name), a->value, failed);
        if (strcmp(a->name, "distinct") == 0)
            *distinct = v != NULL && json_is_true(v);
        else if (strcmp(a->name, "columns") == 0 && v != NULL && !json_is_null(v))
            columns = json_is_array(v) ? json_incref(v) : json_pack("[O]", v);
        json_decref(v);
    }
    return columns;
}

/* Pass one: which columns the aggregates read, and the nodes selections. */
static int plan_aggregate(gp_compile_t *c, aggregate_t *ag, const gp_field_group_t *groups)
{
    const char *t = ag->table->gql_name;
    int failed = 0;
    for (const gp_field_group_t *g = groups; g != NULL && !failed; g = g->next) {
        if (strcmp(g->name, "nodes") == 0) {
            const gp_field_group_t **nodes = gp_arena_alloc(c->arena, sizeof *nodes * (size_t)(ag->nnodes + 1));
            if (ag->nnodes > 0)
                memcpy(nodes, ag->nodes, sizeof *nodes * (size_t)ag->nnodes);
            nodes[ag->nnodes++] = g;
            ag->nodes = nodes;
        }
        if (strcmp(g->name, "aggregate") != 0)
            continue;
        const char *fields_type = gp_arena_printf(c->arena, "%s_aggregate_fields", t);
        gp_field_group_t *fns = collect_on(c, fields_type, g, &failed);
        for (const gp_field_group_t *fn = fns; fn != NULL && !failed; fn = fn->next) {
            if (strcmp(fn->name, "count") == 0) {
                bool distinct;
                json_t *cols = count_columns(c, fields_type, fn->fields[0], &distinct, &failed);
                size_t i;
                json_t *col;
                json_array_foreach(cols, i, col) {
                    const gp_column_t *cc = aggregate_column(c, ag, json_string_value(col), fn->fields[0]->offset);
                    if (cc == NULL)
                        failed = 1;
                    else
                        ag->columns[cc - ag->table->columns] = true;
                }
                json_decref(cols);
            } else if (is_aggregate_function(fn->name)) {
                const char *type = gp_arena_printf(c->arena, "%s_%s_fields", t, fn->name);
                for (const gp_field_group_t *f = collect_on(c, type, fn, &failed); f != NULL && !failed; f = f->next) {
                    if (strcmp(f->name, "__typename") == 0)
                        continue;
                    const gp_column_t *cc = aggregate_column(c, ag, f->name, f->fields[0]->offset);
                    if (cc == NULL)
                        failed = 1;
                    else
                        ag->columns[cc - ag->table->columns] = true;
                }
            }
        }
    }
    return failed ? -1 : 0;
}

static void projected_column(gp_compile_t *c, const aggregate_t *ag, const gp_column_t *col)
{
    gp_strbuf_printf(&c->sql.text, "_s.\"c%d\"", (int)(col - ag->table->columns));
}

static int write_count_of(gp_compile_t *c, const aggregate_t *ag, const gp_field_group_t *g)
{
    bool distinct;
    int failed = 0;
    const char *fields_type = gp_arena_printf(c->arena, "%s_aggregate_fields", ag->table->gql_name);
    json_t *cols = count_columns(c, fields_type, g->fields[0], &distinct, &failed);
    if (failed)
        return -1;
    size_t n = json_array_size(cols);
    if (n == 0) {
        gp_sql_raw(&c->sql, "count(*)");
    } else {
        gp_sql_raw(&c->sql, distinct ? "count(DISTINCT " : "count(");
        gp_sql_raw(&c->sql, n > 1 ? "ROW(" : "");
        size_t i;
        json_t *col;
        json_array_foreach(cols, i, col) {
            if (i > 0)
                gp_sql_raw(&c->sql, ", ");
            projected_column(c, ag, gp_table_column(ag->table, json_string_value(col)));
        }
        gp_sql_raw(&c->sql, n > 1 ? "))" : ")");
    }
    json_decref(cols);
    return 0;
}

typedef struct {
    const aggregate_t *ag;
    const char *function;
} function_t;

static int write_function_column(gp_compile_t *c, const gp_field_group_t *g, void *ctx)
{
    const function_t *fn = ctx;
    if (strcmp(g->name, "__typename") == 0) {
        gp_sql_key(&c->sql, gp_arena_printf(c->arena, "%s_%s_fields", fn->ag->table->gql_name, fn->function));
        return 0;
    }
    const gp_column_t *col = gp_table_column(fn->ag->table, g->name);
    bool stringify = c->schema != NULL && c->schema->stringify_numeric && gp_pgtype_is_wide_number(col->sql_type);
    gp_sql_raw(&c->sql, fn->function);
    gp_sql_raw(&c->sql, "(");
    projected_column(c, fn->ag, col);
    gp_sql_raw(&c->sql, stringify ? ")::\"pg_catalog\".\"text\"" : ")");
    return 0;
}

static int write_aggregate_field(gp_compile_t *c, const gp_field_group_t *g, void *ctx)
{
    const aggregate_t *ag = ctx;
    if (strcmp(g->name, "__typename") == 0) {
        gp_sql_key(&c->sql, gp_arena_printf(c->arena, "%s_aggregate_fields", ag->table->gql_name));
        return 0;
    }
    if (strcmp(g->name, "count") == 0)
        return write_count_of(c, ag, g);
    if (!is_aggregate_function(g->name))
        return gp_compile_unreachable(c, g->fields[0]->offset, "the field \"%s\" on \"%s_aggregate_fields\"", g->name,
                                      ag->table->gql_name);
    int failed = 0;
    const char *type = gp_arena_printf(c->arena, "%s_%s_fields", ag->table->gql_name, g->name);
    gp_field_group_t *cols = collect_on(c, type, g, &failed);
    if (failed)
        return -1;
    function_t fn = {ag, g->name};
    return gp_select_object_of(c, cols, write_function_column, &fn);
}

static int write_aggregate_value(gp_compile_t *c, const gp_field_group_t *g, void *ctx)
{
    const aggregate_t *ag = ctx;
    if (strcmp(g->name, "__typename") == 0) {
        gp_sql_key(&c->sql, gp_arena_printf(c->arena, "%s_aggregate", ag->table->gql_name));
        return 0;
    }
    if (strcmp(g->name, "nodes") == 0) {
        if (ag->nodes_apart)
            return write_rows(c, ag->table, ag->fn, NULL, g, ag->rel, ag->outer, ag->args);
        for (int i = 0; i < ag->nnodes; i++)
            if (ag->nodes[i] == g)
                gp_strbuf_printf(&c->sql.text, "coalesce(json_agg(_s.\"j%d\"), '[]')", i);
        return 0;
    }
    if (strcmp(g->name, "aggregate") != 0)
        return gp_compile_unreachable(c, g->fields[0]->offset, "the field \"%s\" on \"%s_aggregate\"", g->name,
                                      ag->table->gql_name);
    int failed = 0;
    const char *type = gp_arena_printf(c->arena, "%s_aggregate_fields", ag->table->gql_name);
    gp_field_group_t *fns = collect_on(c, type, g, &failed);
    if (failed)
        return -1;
    return gp_select_object_of(c, fns, write_aggregate_field, (void *)ag);
}

/* T_aggregate at the root, <relationship>_aggregate of `outer`'s row, or <fn>_aggregate. */
static int write_aggregate(gp_compile_t *c, const gp_table_t *t, const gp_function_t *fn, const gp_field_group_t *g,
                           const char *parent_type, const gp_relationship_t *rel, const row_t *outer)
{
    list_args_t args;
    int rc = -1, failed = 0;
    if (list_args(c, g->fields[0], parent_type, &args) != 0)
        goto Done;
    aggregate_t ag = {.table = t, .columns = gp_arena_calloc(c->arena, sizeof(bool) * (size_t)t->ncolumns),
                      .nodes_apart = c->config.max_rows > 0, .rel = rel, .fn = fn, .outer = outer, .args = &args};
    gp_field_group_t *groups = collect_on(c, gp_arena_printf(c->arena, "%s_aggregate", t->gql_name), g, &failed);
    if (failed || plan_aggregate(c, &ag, groups) != 0)
        goto Done;
    int alias = ++c->next_alias;
    gp_sql_raw(&c->sql, "(SELECT ");
    if (gp_select_object_of(c, groups, write_aggregate_value, &ag) != 0)
        goto Done;
    gp_sql_raw(&c->sql, " FROM (SELECT ");
    if (write_distinct_on(c, t, alias, args.distinct_on, args.distinct_on_at) != 0)
        goto Done;
    gp_sql_raw(&c->sql, "1");
    for (int i = 0; i < t->ncolumns; i++) {
        if (!ag.columns[i])
            continue;
        gp_sql_raw(&c->sql, ", ");
        gp_sql_column(&c->sql, alias, t->columns[i].name);
        gp_strbuf_printf(&c->sql.text, " AS \"c%d\"", i);
    }
    for (int i = 0; i < ag.nnodes && !ag.nodes_apart; i++) {
        gp_sql_raw(&c->sql, ", ");
        if (write_row(c, t, alias, ag.nodes[i]) != 0)
            goto Done;
        gp_strbuf_printf(&c->sql.text, " AS \"j%d\"", i);
    }
    if (write_from(c, t, fn, NULL, alias, rel, outer, &args, false) != 0)
        goto Done;
    /* One row even when only __typename is selected (no aggregate function at all). */
    gp_sql_raw(&c->sql, ") AS _s GROUP BY ())");
    rc = 0;
Done:
    list_args_free(&args);
    return rc;
}

static int write_object_relationship(gp_compile_t *c, const gp_field_group_t *g, const gp_relationship_t *rel,
                                     const row_t *outer)
{
    int alias = ++c->next_alias;
    gp_sql_raw(&c->sql, "(SELECT ");
    if (write_row(c, rel->target, alias, g) != 0)
        return -1;
    if (write_from(c, rel->target, NULL, NULL, alias, rel, outer, NULL, false) != 0)
        return -1;
    gp_sql_raw(&c->sql, " LIMIT 1)");
    return 0;
}

/* The `path` argument of a json or jsonb field: NULL when absent or null (the whole
 * value); a bad path is the client's error. */
static int json_path_arg(gp_compile_t *c, const gp_table_t *t, const gp_field_group_t *g, json_t **out)
{
    *out = NULL;
    const gp_selection_t *f = g->fields[0]; /* validation made every field of the group agree */
    for (const gp_argument_t *a = f->arguments; a != NULL; a = a->next) {
        if (strcmp(a->name, "path") != 0)
            return gp_compile_unreachable(c, a->offset, "the argument \"%s\" on \"%s.%s\"", a->name, t->gql_name,
                                          f->name);
        int failed = 0;
        json_t *v = gp_values_json(c, gp_values_arg_type(c, t->gql_name, f->name, "path"), a->value, &failed);
        if (failed)
            return -1;
        if (v == NULL || json_is_null(v)) {
            json_decref(v);
            return 0;
        }
        const char **items;
        int n;
        size_t at;
        const char *err = json_is_string(v) ? gp_jsonpath_parse(c->arena, json_string_value(v), json_string_length(v),
                                                                 &items, &n, &at)
                                            : "not a string";
        if (err != NULL) {
            int rc = gp_compile_fail_kind(c, GP_E_BAD_INPUT, a->offset, "Invalid JSON path \"%s\" for \"%s\": %s (at byte %zu).",
                                          json_is_string(v) ? json_string_value(v) : "", f->name, err, at);
            json_decref(v);
            return rc;
        }
        *out = v;
    }
    return 0;
}

/* A column's value: `#> path` for a json path, `::text` for a wide number under
 * --stringify-numeric-types (a JSON string, as Hasura sends it). */
static int write_column(gp_compile_t *c, const row_t *row, const gp_column_t *col, const gp_field_group_t *g)
{
    json_t *path = NULL;
    if (g->fields[0]->arguments != NULL && json_path_arg(c, row->table, g, &path) != 0)
        return -1;
    bool stringify = c->schema != NULL && c->schema->stringify_numeric && gp_pgtype_is_wide_number(col->sql_type);
    if (path != NULL || stringify)
        gp_sql_raw(&c->sql, "(");
    gp_sql_column(&c->sql, row->alias, col->name);
    if (path != NULL) {
        gp_sql_raw(&c->sql, " #> ");
        gp_values_param_checked(c, path, GP_PARAM_JSON_PATH, "\"pg_catalog\".\"text\"[]", GP_CHECK_JSON_PATH);
        gp_sql_raw(&c->sql, ")");
        json_decref(path);
    } else if (stringify) {
        gp_sql_raw(&c->sql, col->is_array ? ")::\"pg_catalog\".\"text\"[]" : ")::\"pg_catalog\".\"text\"");
    }
    return 0;
}

/* A function's one row (GP_FN_ROW), or its scalar value, at the root or as a computed
 * field of `outer`'s row. */
static int write_function_value(gp_compile_t *c, const gp_function_t *fn, const gp_field_group_t *g,
                                const char *parent_type, const row_t *outer)
{
    list_args_t args;
    int rc = -1;
    if (list_args(c, g->fields[0], parent_type, &args) != 0)
        goto Done;
    if (fn->returns == GP_FN_SCALAR) {
        rc = write_call(c, fn, outer != NULL ? outer->alias : 0, args.args, args.args_at);
        goto Done;
    }
    int alias = ++c->next_alias;
    gp_sql_raw(&c->sql, "(SELECT ");
    if (write_row(c, fn->table, alias, g) != 0 ||
        write_from(c, fn->table, fn, NULL, alias, NULL, outer, &args, false) != 0)
        goto Done;
    gp_sql_raw(&c->sql, ")");
    rc = 0;
Done:
    list_args_free(&args);
    return rc;
}

static int write_computed(gp_compile_t *c, const gp_function_t *fn, const gp_field_group_t *g, const row_t *row)
{
    if (fn->returns != GP_FN_SETOF)
        return write_function_value(c, fn, g, row->table->gql_name, row);
    if (++c->depth > GP_COMPILE_MAX_DEPTH) /* validation bounds the nesting of selections */
        return gp_compile_unreachable(c, g->fields[0]->offset, "fields nested more than %d deep", GP_COMPILE_MAX_DEPTH);
    int rc = write_list(c, fn->table, fn, NULL, g, row->table->gql_name, NULL, row);
    c->depth--;
    return rc;
}

static int write_row_value(gp_compile_t *c, const gp_field_group_t *g, void *ctx)
{
    const row_t *row = ctx;
    const gp_table_t *t = row->table;
    if (strcmp(g->name, "__typename") == 0) {
        gp_sql_key(&c->sql, t->gql_name);
        return 0;
    }
    const gp_column_t *col = gp_table_column(t, g->name);
    if (col != NULL)
        return write_column(c, row, col, g);
    const gp_function_t *fn = gp_table_computed(t, g->name);
    if (fn != NULL)
        return write_computed(c, fn, g, row);
    const gp_relationship_t *rel = gp_table_relationship(t, g->name);
    bool aggregate = false;
    if (rel == NULL) { /* <array relationship>_aggregate, as the type system names it */
        rel = gp_filter_aggregate_rel(c, t, g->name);
        aggregate = rel != NULL;
    }
    if (rel == NULL)
        return gp_compile_unreachable(c, g->fields[0]->offset, "the field \"%s\" on \"%s\"", g->name, t->gql_name);
    if (++c->depth > GP_COMPILE_MAX_DEPTH) /* validation bounds the nesting of selections */
        return gp_compile_unreachable(c, g->fields[0]->offset, "relationships nested more than %d deep",
                                      GP_COMPILE_MAX_DEPTH);
    int rc = aggregate                   ? write_aggregate(c, rel->target, NULL, g, t->gql_name, rel, row)
             : rel->kind == GP_REL_OBJECT ? write_object_relationship(c, g, rel, row)
                                          : write_list(c, rel->target, NULL, NULL, g, t->gql_name, rel, row);
    c->depth--;
    return rc;
}

/* ---- root fields ---- */

static int write_by_pk(gp_compile_t *c, const gp_table_t *t, const gp_field_group_t *g)
{
    const gp_selection_t *f = g->fields[0];
    int alias = ++c->next_alias;
    gp_sql_raw(&c->sql, "(SELECT ");
    if (write_row(c, t, alias, g) != 0)
        return -1;
    gp_sql_raw(&c->sql, " FROM ");
    gp_compile_table(c, t);
    gp_sql_raw(&c->sql, " AS ");
    gp_sql_alias(&c->sql, alias);
    for (int i = 0; i < t->npk; i++) {
        const gp_column_t *col = &t->columns[t->pk[i]];
        const gp_argument_t *a = f->arguments;
        while (a != NULL && strcmp(a->name, col->gql_name) != 0)
            a = a->next;
        if (a == NULL)
            return gp_compile_unreachable(c, f->offset, "\"%s\" without its key argument \"%s\"", f->name,
                                          col->gql_name);
        int failed = 0;
        json_t *v = gp_values_json(c, gp_values_arg_type(c, "query_root", f->name, a->name), a->value, &failed);
        if (failed)
            return -1;
        if (v == NULL || json_is_null(v)) {
            json_decref(v);
            return gp_compile_fail(c, a->offset, "Argument \"%s\" of field \"%s\" must not be null.", a->name, f->name);
        }
        gp_sql_raw(&c->sql, i == 0 ? " WHERE " : " AND ");
        gp_sql_column(&c->sql, alias, col->name);
        gp_sql_raw(&c->sql, " = ");
        gp_values_param(c, v, GP_PARAM_TEXT, col->sql_type);
        json_decref(v);
    }
    gp_sql_raw(&c->sql, " LIMIT 1)");
    return 0;
}

/* The parameter an introspection answer is bound to. The memo gives every alias of one
 * selection the same text (the same pointer), so the pointer is the key. */
struct gp_introspection_param {
    const char *json;
    int param;
    struct gp_introspection_param *next;
};

int gp_select_introspection_param(gp_compile_t *c, const gp_field_group_t *g)
{
    const char *json = gp_introspection_root_value(gp_select_introspection(c), g);
    if (json == NULL)
        return -1;
    for (const struct gp_introspection_param *e = c->introspection_params; e != NULL; e = e->next) {
        if (e->json == json) { /* the same parameter again: PostgreSQL receives the text once */
            gp_sql_param_again(&c->sql, e->param, "\"pg_catalog\".\"json\"");
            return 0;
        }
    }
    gp_sql_param(&c->sql, json, "\"pg_catalog\".\"json\"");
    struct gp_introspection_param *e = gp_arena_new_obj(c->arena, struct gp_introspection_param);
    *e = (struct gp_introspection_param){json, c->sql.nparams, c->introspection_params};
    c->introspection_params = e;
    return 0;
}

int gp_select_root_field(gp_compile_t *c, const gp_field_group_t *g)
{
    if (strcmp(g->name, "__typename") == 0) {
        gp_sql_key(&c->sql, c->op->kind == GP_OP_SUBSCRIPTION ? "subscription_root" : "query_root");
        return 0;
    }
    if (strcmp(g->name, "__schema") == 0 || strcmp(g->name, "__type") == 0)
        return gp_select_introspection_param(c, g); /* built by graphql/introspection.c, once per distinct selection */
    const gp_root_field_t *root = gp_model_root(c->model, g->name);
    if (root == NULL && strcmp(g->name, GP_NO_QUERIES_FIELD) == 0)
        return gp_compile_fail(c, g->fields[0]->offset, "There are no tables, views or functions to query.");
    if (root == NULL)
        return gp_compile_unreachable(c, g->fields[0]->offset, "the field \"%s\" on \"query_root\"", g->name);
    const gp_function_t *fn = root->function;
    switch (root->kind) {
    case GP_ROOT_LIST:
        return write_list(c, root->table, NULL, NULL, g, "query_root", NULL, NULL);
    case GP_ROOT_BY_PK:
        return write_by_pk(c, root->table, g);
    case GP_ROOT_AGGREGATE:
        return write_aggregate(c, root->table, NULL, g, "query_root", NULL, NULL);
    case GP_ROOT_FUNCTION:
        return fn->returns == GP_FN_SETOF ? write_list(c, fn->table, fn, NULL, g, "query_root", NULL, NULL)
                                          : write_function_value(c, fn, g, "query_root", NULL);
    case GP_ROOT_FUNCTION_AGGREGATE:
        return write_aggregate(c, fn->table, fn, g, "query_root", NULL, NULL);
    }
    return gp_compile_unreachable(c, g->fields[0]->offset, "the field \"%s\" on \"query_root\"", g->name);
}

/* ---- streams ----
 *
 * T_stream(batch_size, cursor: [{initial_value: {col: v}, ordering}], where) is a live
 * query over the rows past a cursor: each refresh answers the next batch_size rows in
 * cursor order, and the cursor moves to the last of them. The cursor is the
 * subscriber's (server/live.c keeps it as GP_SQL_LIVE_CURSOR, NULL until a batch moved
 * it; the initial value is an ordinary parameter), and a second expression, the
 * cursor's next value, reads the same rows:
 *
 *   (SELECT coalesce(json_agg(_s.j), '[]') FROM (SELECT <row> AS j FROM t AS _tN WHERE <where>
 *      AND _tN."col" > coalesce(_live.c::type, $k::type) ORDER BY _tN."col" LIMIT $b) AS _s)
 *   (SELECT max(_s.v)::text FROM (SELECT _tM."col" AS v FROM … the same …) AS _s)
 */

typedef struct {
    const gp_table_t *t;
    const gp_column_t *col;     /* the cursor */
    bool desc;
    json_t *initial, *where, *batch;
    long at;
} stream_t;

static void stream_free(stream_t *s)
{
    json_decref(s->initial);
    json_decref(s->where);
    json_decref(s->batch);
}

static int stream_args(gp_compile_t *c, const gp_field_group_t *g, const gp_table_t *t, stream_t *s)
{
    const gp_selection_t *f = g->fields[0];
    *s = (stream_t){.t = t, .at = f->offset};
    for (const gp_argument_t *a = f->arguments; a != NULL; a = a->next) {
        int failed = 0;
        json_t *v = gp_values_json(c, gp_values_arg_type(c, "subscription_root", f->name, a->name), a->value, &failed);
        if (failed)
            return -1;
        if (strcmp(a->name, "batch_size") == 0) {
            s->batch = v;
        } else if (strcmp(a->name, "where") == 0) {
            s->where = v;
        } else if (strcmp(a->name, "cursor") == 0) {
            const json_t *cursor = json_array_get(v, 0);
            const json_t *initial = json_object_get(cursor, "initial_value");
            const char *key = NULL, *k;
            json_t *x;
            int n = 0;
            json_object_foreach((json_t *)initial, k, x)
                if (!json_is_null(x))
                    key = k, n++;
            if (json_array_size(v) != 1 || n != 1) {
                json_decref(v);
                return gp_compile_fail(c, a->offset, "A stream takes exactly one cursor with exactly one column.");
            }
            s->col = gp_table_column(t, key);
            s->initial = json_incref(json_object_get(initial, key));
            const json_t *ordering = json_object_get(cursor, "ordering");
            s->desc = json_is_string(ordering) && strcmp(json_string_value(ordering), "DESC") == 0;
            json_decref(v);
        } else {
            json_decref(v);
        }
    }
    if (s->col == NULL)
        return gp_compile_unreachable(c, s->at, "\"%s\" without its cursor", f->name);
    if (!json_is_integer(s->batch) || json_integer_value(s->batch) < 0)
        return gp_compile_fail(c, s->at, "batch_size must not be negative.");
    return 0;
}

/* FROM t AS _tN WHERE <where> AND <past the cursor> ORDER BY <cursor> LIMIT <batch_size> */
static int stream_rows(gp_compile_t *c, const stream_t *s, int alias)
{
    gp_sql_raw(&c->sql, " FROM ");
    gp_compile_table(c, s->t);
    gp_sql_raw(&c->sql, " AS ");
    gp_sql_alias(&c->sql, alias);
    gp_sql_raw(&c->sql, " WHERE ");
    if (s->where != NULL && !json_is_null(s->where)) {
        gp_sql_raw(&c->sql, "(");
        if (gp_filter_where(c, s->t, alias, s->where, s->at) != 0)
            return -1;
        gp_sql_raw(&c->sql, ") AND ");
    }
    gp_filter_value(c, alias, s->col);
    gp_sql_raw(&c->sql, s->desc ? " < coalesce(" GP_SQL_LIVE_CURSOR "::" : " > coalesce(" GP_SQL_LIVE_CURSOR "::");
    gp_sql_raw(&c->sql, s->col->sql_type);
    gp_sql_raw(&c->sql, ", ");
    gp_values_param(c, s->initial, GP_PARAM_TEXT, s->col->sql_type);
    gp_sql_raw(&c->sql, ") ORDER BY ");
    gp_filter_value(c, alias, s->col);
    gp_sql_raw(&c->sql, s->desc ? " DESC LIMIT " : " ASC LIMIT ");
    gp_values_param_checked(c, s->batch, GP_PARAM_TEXT, "\"pg_catalog\".\"int4\"", GP_CHECK_COUNT);
    return 0;
}

int gp_select_stream(gp_compile_t *c, const gp_field_group_t *g, const char **cursor_sql)
{
    const gp_field_t *f = gp_type_field(c->schema->subscription, g->name);
    if (f == NULL || f->role != GP_FIELD_ROOT_STREAM)
        return gp_compile_unreachable(c, g->fields[0]->offset, "the field \"%s\" on \"subscription_root\"", g->name);
    stream_t s;
    int rc = stream_args(c, g, f->table, &s);
    if (rc != 0)
        goto Done;
    int alias = ++c->next_alias;
    gp_sql_raw(&c->sql, "SELECT json_build_object(");
    gp_sql_key(&c->sql, g->key);
    gp_sql_raw(&c->sql, ", (SELECT coalesce(json_agg(_s.j), '[]') FROM (SELECT ");
    if ((rc = write_row(c, s.t, alias, g)) != 0)
        goto Done;
    gp_sql_raw(&c->sql, " AS j");
    if ((rc = stream_rows(c, &s, alias)) != 0)
        goto Done;
    gp_sql_raw(&c->sql, ") AS _s))");
    size_t mark = c->sql.text.len;
    alias = ++c->next_alias;
    gp_sql_raw(&c->sql, s.desc ? "SELECT min(_s.v)::text FROM (SELECT " : "SELECT max(_s.v)::text FROM (SELECT ");
    gp_filter_value(c, alias, s.col);
    gp_sql_raw(&c->sql, " AS v");
    if ((rc = stream_rows(c, &s, alias)) != 0)
        goto Done;
    gp_sql_raw(&c->sql, ") AS _s");
    *cursor_sql = gp_arena_strdup(c->arena, c->sql.text.data + mark);
    gp_strbuf_truncate(&c->sql.text, mark);
Done:
    stream_free(&s);
    return rc;
}

/* ---- what a mutation wrote ---- */

int gp_select_call(gp_compile_t *c, const gp_function_t *fn, const json_t *args, long at)
{
    return write_call(c, fn, 0, args, at);
}

int gp_select_written(gp_compile_t *c, const gp_table_t *t, const char *source, const gp_field_group_t *g,
                      const char *parent_type, bool one)
{
    if (one) { /* its arguments (a key, an object) chose the row: none apply here */
        int alias = ++c->next_alias;
        gp_sql_raw(&c->sql, "(SELECT ");
        if (write_row(c, t, alias, g) != 0 || write_from(c, t, NULL, source, alias, NULL, NULL, NULL, false) != 0)
            return -1;
        gp_sql_raw(&c->sql, " LIMIT 1)");
        return 0;
    }
    return write_list(c, t, NULL, source, g, parent_type, NULL, NULL);
}
