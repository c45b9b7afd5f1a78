/* resolvers/filter.c — WHERE and ORDER BY from Hasura-style inputs.
 *
 * where: {_and: [..], _or: [..], _not: {..}, <column>: {<op>: value, ..},
 *         <relationship>: <bool_exp on the target>}
 * A null operand means "no condition", as in Hasura, so optional variables can be
 * passed straight into a filter. */
#include "resolvers/filter.h"

#include <string.h>

#include "base/json.h"
#include "resolvers/values.h"
#include "schema/pgtype.h"

typedef enum { OPERAND_SCALAR, OPERAND_LIST, OPERAND_BOOL, OPERAND_TEXT, OPERAND_TEXT_LIST } operand_t;

/* The operators of the comparison inputs (schema/types.c offers each only on the
 * columns it applies to; validation and coercion hold every operand to its type). */
typedef struct {
    const char *name;
    const char *sql;      /* operator, or the start of a function call for lists */
    operand_t operand;
} comparison_t;

static const comparison_t comparisons[] = {
    {"_eq", " = ", OPERAND_SCALAR},
    {"_neq", " <> ", OPERAND_SCALAR},
    {"_gt", " > ", OPERAND_SCALAR},
    {"_gte", " >= ", OPERAND_SCALAR},
    {"_lt", " < ", OPERAND_SCALAR},
    {"_lte", " <= ", OPERAND_SCALAR},
    {"_in", " = ANY(", OPERAND_LIST},
    {"_nin", " <> ALL(", OPERAND_LIST},
    {"_is_null", NULL, OPERAND_BOOL},
    {"_like", " LIKE ", OPERAND_SCALAR},
    {"_nlike", " NOT LIKE ", OPERAND_SCALAR},
    {"_ilike", " ILIKE ", OPERAND_SCALAR},
    {"_nilike", " NOT ILIKE ", OPERAND_SCALAR},
    {"_similar", " SIMILAR TO ", OPERAND_SCALAR},
    {"_nsimilar", " NOT SIMILAR TO ", OPERAND_SCALAR},
    {"_regex", " ~ ", OPERAND_SCALAR},
    {"_nregex", " !~ ", OPERAND_SCALAR},
    {"_iregex", " ~* ", OPERAND_SCALAR},
    {"_niregex", " !~* ", OPERAND_SCALAR},
    {"_contains", " @> ", OPERAND_SCALAR},
    {"_contained_in", " <@ ", OPERAND_SCALAR},
    {"_has_key", " ? ", OPERAND_TEXT},
    {"_has_keys_any", " ?| ", OPERAND_TEXT_LIST},
    {"_has_keys_all", " ?& ", OPERAND_TEXT_LIST},
};

static const comparison_t *find_comparison(const char *name)
{
    for (size_t i = 0; i < sizeof comparisons / sizeof *comparisons; i++)
        if (strcmp(comparisons[i].name, name) == 0)
            return &comparisons[i];
    return NULL;
}

/* A json or jsonb column's values are sent as JSON text: "x" is the string "x",
 * not the bare x that PostgreSQL cannot read as json. */
static bool is_json_value(const gp_column_t *col)
{
    return gp_pgtype_is_json(col->gql_type);
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return gp_json_is_exact(v) ? "a number" : "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

/* An item of a list of T_bool_exp! or T_order_by! (`input`) that is not an object: a
 * null, which a nullable variable with a default may put where validation wants one. */
static int not_an_object(gp_compile_t *c, const gp_table_t *t, const char *input, const json_t *v, long offset)
{
    return gp_compile_fail(c, offset, "Expected an object of type \"%s_%s\", found %s.", t->gql_name, input,
                           json_kind(v));
}

static const char *element_cast(gp_compile_t *c, const gp_column_t *col)
{
    if (!col->is_array)
        return col->sql_type;
    size_t n = strlen(col->sql_type);
    return gp_arena_strndup(c->arena, col->sql_type, n >= 2 ? n - 2 : n); /* drop the [] */
}

static void compare_list(gp_compile_t *c, const gp_column_t *col, const comparison_t *cmp, const json_t *v)
{
    gp_sql_raw(&c->sql, cmp->sql);
    gp_values_param(c, v, is_json_value(col) ? GP_PARAM_JSONS : GP_PARAM_ARRAY,
                    gp_arena_printf(c->arena, "%s[]", col->sql_type));
    gp_sql_raw(&c->sql, ")");
}

/* _in and _nin on an array column take a list of arrays, which no PostgreSQL array
 * holds (multidimensional ones must be rectangular). The parameter is a text[] of
 * array literals, each cast back to the column's type, and the expression keeps
 * IN's three-valued logic: true on a match, else NULL when a comparison was NULL,
 * else false (also for an empty list); _nin is its NOT, as NOT IN is. An item is null
 * when a nullable variable with a default made it so. */
static int array_in_list(gp_compile_t *c, int alias, const gp_column_t *col, const comparison_t *cmp,
                         const json_t *v, long offset)
{
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        if (!json_is_array(item))
            return gp_compile_fail(c, offset, "Expected a list of lists for %s on the array column \"%s\", found %s.",
                                   cmp->name, col->gql_name, json_kind(item));
    }
    gp_sql_raw(&c->sql, strcmp(cmp->name, "_nin") == 0 ? "NOT " : "");
    gp_sql_raw(&c->sql, "(SELECT CASE WHEN bool_or(_in_s.m) THEN true WHEN bool_or(_in_s.m IS NULL) THEN NULL "
                        "ELSE false END FROM (SELECT ");
    gp_filter_value(c, alias, col);
    gp_sql_raw(&c->sql, " = _in_e.a::");
    gp_sql_raw(&c->sql, col->sql_type);
    gp_sql_raw(&c->sql, " AS m FROM unnest(");
    gp_values_param(c, v, GP_PARAM_ARRAYS, "\"pg_catalog\".\"text\"[]");
    gp_sql_raw(&c->sql, ") AS _in_e(a)) AS _in_s)");
    return 0;
}

/* Writes `_tA."col" <op> <operand>`. */
static int comparison(gp_compile_t *c, int alias, const gp_column_t *col, const comparison_t *cmp, const json_t *v,
                      long offset)
{
    if (col->is_array && cmp->operand == OPERAND_LIST)
        return array_in_list(c, alias, col, cmp, v, offset);
    gp_filter_value(c, alias, col);
    switch (cmp->operand) {
    case OPERAND_BOOL:
        gp_sql_raw(&c->sql, json_is_true(v) ? " IS NULL" : " IS NOT NULL");
        return 0;
    case OPERAND_LIST:
        compare_list(c, col, cmp, v);
        return 0;
    case OPERAND_TEXT:
        gp_sql_raw(&c->sql, cmp->sql);
        gp_values_param(c, v, GP_PARAM_TEXT, "\"pg_catalog\".\"text\"");
        return 0;
    case OPERAND_TEXT_LIST:
        gp_sql_raw(&c->sql, cmp->sql);
        gp_values_param(c, v, GP_PARAM_ARRAY, "\"pg_catalog\".\"text\"[]");
        return 0;
    case OPERAND_SCALAR:
        break;
    }
    gp_sql_raw(&c->sql, cmp->sql);
    if (col->is_array) /* a list, also for @> and <@ */
        gp_values_param(c, v, GP_PARAM_ARRAY, col->sql_type);
    else
        gp_values_param(c, v, is_json_value(col) ? GP_PARAM_JSON : GP_PARAM_TEXT, element_cast(c, col));
    return 0;
}

/* Writes the AND of the comparisons in `ops` for one column. */
static int column_condition(gp_compile_t *c, int alias, const gp_column_t *col, const json_t *ops, long offset)
{
    int written = 0;
    const char *op;
    json_t *v;
    json_object_foreach((json_t *)ops, op, v) {
        const comparison_t *cmp = find_comparison(op);
        if (cmp == NULL)
            return gp_compile_unreachable(c, offset, "the comparison \"%s\" on the column \"%s\"", op, col->gql_name);
        if (json_is_null(v))
            continue;
        gp_sql_raw(&c->sql, written++ ? " AND " : "(");
        if (comparison(c, alias, col, cmp, v, offset) != 0)
            return -1;
    }
    gp_sql_raw(&c->sql, written ? ")" : "true");
    return 0;
}

static int relationship_condition(gp_compile_t *c, const gp_table_t *t, int alias, const gp_relationship_t *rel,
                                  const json_t *where, long offset)
{
    int inner = ++c->next_alias;
    gp_sql_raw(&c->sql, "EXISTS (SELECT 1 FROM ");
    gp_compile_table(c, rel->target);
    gp_sql_raw(&c->sql, " AS ");
    gp_sql_alias(&c->sql, inner);
    gp_sql_raw(&c->sql, " WHERE ");
    gp_filter_join(c, t, rel, alias, inner);
    gp_sql_raw(&c->sql, " AND ");
    if (gp_filter_where(c, rel->target, inner, where, offset) != 0)
        return -1;
    gp_sql_raw(&c->sql, ")");
    return 0;
}

/* _and / _or over a list of bool_exps (coercion made a single one a list of one); the
 * empty list is the operator's identity. */
static int connective(gp_compile_t *c, const gp_table_t *t, int alias, const char *name, const json_t *list,
                      long offset)
{
    bool is_and = strcmp(name, "_and") == 0;
    if (json_array_size(list) == 0) {
        gp_sql_raw(&c->sql, is_and ? "true" : "false");
        return 0;
    }
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        gp_sql_raw(&c->sql, i == 0 ? "(" : is_and ? " AND " : " OR ");
        if (gp_filter_where(c, t, alias, item, offset) != 0)
            return -1;
    }
    gp_sql_raw(&c->sql, ")");
    return 0;
}

static int condition(gp_compile_t *c, const gp_table_t *t, int alias, const char *key, const json_t *v,
                     long offset)
{
    if (strcmp(key, "_and") == 0 || strcmp(key, "_or") == 0)
        return connective(c, t, alias, key, v, offset);
    if (strcmp(key, "_not") == 0) {
        gp_sql_raw(&c->sql, "NOT ");
        return gp_filter_where(c, t, alias, v, offset);
    }
    const gp_column_t *col = gp_table_column(t, key);
    if (col != NULL)
        return column_condition(c, alias, col, v, offset);
    const gp_relationship_t *rel = gp_table_relationship(t, key);
    if (rel != NULL)
        return relationship_condition(c, t, alias, rel, v, offset);
    const gp_function_t *fn = gp_table_computed(t, key); /* a scalar without required arguments */
    if (fn != NULL && fn->returns == GP_FN_SCALAR)
        return column_condition(c, alias, &fn->result, v, offset);
    return gp_compile_unreachable(c, offset, "the field \"%s\" of \"%s_bool_exp\"", key, t->gql_name);
}

int gp_filter_where(gp_compile_t *c, const gp_table_t *t, int alias, const json_t *where, long offset)
{
    if (!json_is_object(where))
        return not_an_object(c, t, "bool_exp", where, offset);
    if (++c->depth > GP_COMPILE_MAX_DEPTH)
        return gp_compile_fail_kind(c, GP_E_TOO_COMPLEX, offset, "The filter is nested too deeply.");
    int written = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)where, key, v) {
        if (json_is_null(v))
            continue;
        gp_sql_raw(&c->sql, written++ ? " AND " : "(");
        if (condition(c, t, alias, key, v, offset) != 0)
            return -1;
    }
    gp_sql_raw(&c->sql, written ? ")" : "true");
    c->depth--;
    return 0;
}

void gp_filter_value(gp_compile_t *c, int alias, const gp_column_t *col)
{
    if (col->computed == NULL) {
        gp_sql_column(&c->sql, alias, col->name);
        return;
    }
    gp_compile_function(c, col->computed); /* its further parameters take their defaults */
    gp_sql_raw(&c->sql, "(");
    gp_sql_alias(&c->sql, alias);
    gp_sql_raw(&c->sql, ")");
}

void gp_filter_join(gp_compile_t *c, const gp_table_t *t, const gp_relationship_t *rel, int outer_alias,
                    int target_alias)
{
    for (int i = 0; i < rel->ncols; i++) {
        if (i > 0)
            gp_sql_raw(&c->sql, " AND ");
        gp_sql_column(&c->sql, target_alias, rel->target->columns[rel->remote_cols[i]].name);
        gp_sql_raw(&c->sql, " = ");
        gp_sql_column(&c->sql, outer_alias, t->columns[rel->local_cols[i]].name);
    }
}

/* ---- ORDER BY ---- */

static const struct {
    const char *name, *sql;
} directions[] = {
    {"asc", " ASC"},
    {"asc_nulls_first", " ASC NULLS FIRST"},
    {"asc_nulls_last", " ASC NULLS LAST"},
    {"desc", " DESC"}, /* PostgreSQL puts nulls first when descending, as Hasura's desc does */
    {"desc_nulls_first", " DESC NULLS FIRST"},
    {"desc_nulls_last", " DESC NULLS LAST"},
};

static const char *direction_sql(const json_t *v)
{
    if (!json_is_string(v))
        return NULL;
    for (size_t i = 0; i < sizeof directions / sizeof *directions; i++)
        if (strcmp(directions[i].name, json_string_value(v)) == 0)
            return directions[i].sql;
    return NULL;
}

/* The path of object relationships from the ordered table to the column being ordered by. */
typedef struct {
    const gp_table_t *tables[GP_COMPILE_MAX_DEPTH + 1];
    const gp_relationship_t *rels[GP_COMPILE_MAX_DEPTH];
    int aliases[GP_COMPILE_MAX_DEPTH + 1];
    int n; /* relationships on the path */
} order_path_t;

/* What one ORDER BY term sorts by, at the end of the path: a column, or an aggregate
 * (`fn` of `col`, or count(*) when `col` is NULL) over the rows of the array
 * relationship `rel`. */
typedef struct {
    const gp_column_t *col;
    const gp_relationship_t *rel;
    const char *fn;
} order_value_t;

/* (SELECT count(*) FROM <target> AS _tK WHERE <join>): one correlated scalar subquery,
 * which the foreign key's index answers. */
static void order_aggregate(gp_compile_t *c, const gp_table_t *t, int alias, const order_value_t *v)
{
    int inner = ++c->next_alias;
    gp_sql_raw(&c->sql, "(SELECT ");
    if (v->col == NULL) {
        gp_sql_raw(&c->sql, "count(*)");
    } else {
        gp_sql_raw(&c->sql, v->fn); /* a name from gp_aggregate_fns, the SQL function's own */
        gp_sql_raw(&c->sql, "(");
        gp_sql_column(&c->sql, inner, v->col->name);
        gp_sql_raw(&c->sql, ")");
    }
    gp_sql_raw(&c->sql, " FROM ");
    gp_compile_table(c, v->rel->target);
    gp_sql_raw(&c->sql, " AS ");
    gp_sql_alias(&c->sql, inner);
    gp_sql_raw(&c->sql, " WHERE ");
    gp_filter_join(c, t, v->rel, alias, inner);
    gp_sql_raw(&c->sql, ")");
}

/* Writes one ORDER BY term: the value, reached through scalar subqueries along the path. */
static void order_term(gp_compile_t *c, const order_path_t *path, const order_value_t *v, const char *dir,
                       int *terms)
{
    gp_sql_raw(&c->sql, (*terms)++ ? ", " : " ORDER BY ");
    for (int i = 0; i < path->n; i++)
        gp_sql_raw(&c->sql, "(SELECT ");
    if (v->rel != NULL)
        order_aggregate(c, path->tables[path->n], path->aliases[path->n], v);
    else
        gp_filter_value(c, path->aliases[path->n], v->col);
    for (int i = path->n - 1; i >= 0; i--) {
        gp_sql_raw(&c->sql, " FROM ");
        gp_compile_table(c, path->rels[i]->target);
        gp_sql_raw(&c->sql, " AS ");
        gp_sql_alias(&c->sql, path->aliases[i + 1]);
        gp_sql_raw(&c->sql, " WHERE ");
        gp_filter_join(c, path->tables[i], path->rels[i], path->aliases[i], path->aliases[i + 1]);
        gp_sql_raw(&c->sql, " LIMIT 1)");
    }
    gp_sql_raw(&c->sql, dir);
}

static int order_direction(gp_compile_t *c, const json_t *v, const char *key, long offset, const char **dir)
{
    *dir = direction_sql(v);
    if (*dir == NULL)
        return gp_compile_unreachable(c, offset, "an order_by value for \"%s\" that is none", key);
    return 0;
}

/* {<rel>_aggregate: {count: dir, max: {col: dir}, …}}: T_aggregate_order_by of the
 * relationship's target, one term per direction given, in the order given. */
static int order_aggregates(gp_compile_t *c, const order_path_t *path, const gp_relationship_t *rel,
                            const json_t *obj, long offset, int *terms)
{
    const gp_table_t *target = rel->target;
    if (!json_is_object(obj))
        return not_an_object(c, target, "aggregate_order_by", obj, offset);
    const char *fn;
    json_t *v;
    json_object_foreach((json_t *)obj, fn, v) {
        const char *dir;
        if (json_is_null(v))
            continue;
        if (strcmp(fn, "count") == 0) {
            if (order_direction(c, v, fn, offset, &dir) != 0)
                return -1;
            order_term(c, path, &(order_value_t){NULL, rel, fn}, dir, terms);
            continue;
        }
        if (gp_aggregate_fn(fn) == NULL)
            return gp_compile_unreachable(c, offset, "the field \"%s\" of \"%s_aggregate_order_by\"", fn,
                                          target->gql_name);
        if (!json_is_object(v))
            return not_an_object(c, target, gp_arena_printf(c->arena, "%s_order_by", fn), v, offset);
        const char *key;
        json_t *d;
        json_object_foreach(v, key, d) {
            const gp_column_t *col = gp_table_column(target, key);
            if (json_is_null(d))
                continue;
            if (col == NULL)
                return gp_compile_unreachable(c, offset, "the field \"%s\" of \"%s_%s_order_by\"", key,
                                              target->gql_name, fn);
            if (order_direction(c, d, key, offset, &dir) != 0)
                return -1;
            order_term(c, path, &(order_value_t){col, rel, fn}, dir, terms);
        }
    }
    return 0;
}

static int order_object(gp_compile_t *c, order_path_t *path, const json_t *obj, long offset, int *terms)
{
    const gp_table_t *t = path->tables[path->n];
    if (!json_is_object(obj))
        return not_an_object(c, t, "order_by", obj, offset);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        if (json_is_null(v))
            continue;
        const gp_column_t *col = gp_table_column(t, key);
        const gp_function_t *fn = col == NULL ? gp_table_computed(t, key) : NULL;
        if (fn != NULL && fn->returns == GP_FN_SCALAR)
            col = &fn->result;
        if (col != NULL) {
            const char *dir;
            if (order_direction(c, v, key, offset, &dir) != 0)
                return -1;
            order_term(c, path, &(order_value_t){col, NULL, NULL}, dir, terms);
            continue;
        }
        const gp_relationship_t *agg = gp_filter_aggregate_rel(c, t, key);
        if (agg != NULL) {
            if (order_aggregates(c, path, agg, v, offset, terms) != 0)
                return -1;
            continue;
        }
        const gp_relationship_t *rel = gp_table_relationship(t, key);
        if (rel == NULL || rel->kind != GP_REL_OBJECT)
            return gp_compile_unreachable(c, offset, "the field \"%s\" of \"%s_order_by\"", key, t->gql_name);
        if (path->n == GP_COMPILE_MAX_DEPTH)
            return gp_compile_fail_kind(c, GP_E_TOO_COMPLEX, offset, "The order_by is nested too deeply.");
        path->rels[path->n] = rel;
        path->n++;
        path->tables[path->n] = rel->target;
        path->aliases[path->n] = ++c->next_alias;
        int rc = order_object(c, path, v, offset, terms);
        path->n--;
        if (rc != 0)
            return -1;
    }
    return 0;
}

const gp_relationship_t *gp_filter_aggregate_rel(const gp_compile_t *c, const gp_table_t *t, const char *name)
{
    const gp_type_t *row = c->schema != NULL ? gp_schema_type(c->schema, t->gql_name) : NULL;
    const gp_field_t *f = row != NULL ? gp_type_field(row, name) : NULL;
    return f != NULL && f->role == GP_FIELD_ARRAY_REL_AGGREGATE ? f->rel : NULL;
}

int gp_filter_order_by(gp_compile_t *c, const gp_table_t *t, int alias, const json_t *order_by, long offset)
{
    order_path_t path = {.tables = {t}, .aliases = {alias}, .n = 0};
    int terms = 0;
    if (!json_is_array(order_by))
        return order_object(c, &path, order_by, offset, &terms);
    size_t i;
    json_t *item;
    json_array_foreach(order_by, i, item) {
        if (order_object(c, &path, item, offset, &terms) != 0)
            return -1;
    }
    return 0;
}
