/* schema/functions.c — which functions become fields, and as what.
 *
 * A STABLE or IMMUTABLE function of an exposed schema is
 *   - a computed field `<field>` of table T when it is named `<T>_<field>` and its
 *     first parameter is T's row (PostGraphile's rule): a scalar, one row or SETOF a
 *     table; its other parameters are the field's `args`;
 *   - else a query root field: SETOF an exposed table (with `<fn>_aggregate`), one
 *     row of one, or a scalar; its parameters are `args`.
 * A VOLATILE one that would be such a root field is a mutation_root field instead (as
 * Hasura's functions tracked as mutations), with the same arguments and result.
 * Everything else is skipped with one log line saying why. */
#include "schema/functions.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "schema/names.h"
#include "schema/pgtype.h"

typedef struct {
    gp_model_t *m;
    gp_arena_t *a;
    const char *default_schema;
} fload_t;

static const char *str(fload_t *l, json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s != NULL ? gp_arena_strdup(l->a, s) : NULL;
}

/* The exposed table whose row type `type` is; NULL for any other type. */
static gp_table_t *row_table(fload_t *l, json_t *type)
{
    const char *schema = json_string_value(json_object_get(type, "relation_schema"));
    const char *name = json_string_value(json_object_get(type, "relation"));
    if (schema == NULL || name == NULL || json_is_true(json_object_get(type, "is_array")))
        return NULL;
    gp_table_t *t = (gp_table_t *)gp_model_table(l->m, gp_names_table(l->a, schema, name, l->default_schema));
    return t != NULL && strcmp(t->schema, schema) == 0 && strcmp(t->name, name) == 0 ? t : NULL;
}

/* A base type, enum, domain or range, or an array of one: what a column may be. */
static bool is_plain(json_t *type)
{
    bool is_array = json_is_true(json_object_get(type, "is_array"));
    const char *k = json_string_value(json_object_get(type, is_array ? "elem_typtype" : "typtype"));
    return k != NULL && strchr("bedrm", k[0]) != NULL && k[0] != '\0';
}

/* Fills a column-like description of a plain type (sql_type, gql_type, is_array). */
static void plain_type(fload_t *l, json_t *type, gp_column_t *c)
{
    c->is_array = json_is_true(json_object_get(type, "is_array"));
    const char *schema = str(l, type, c->is_array ? "elem_schema" : "schema");
    const char *name = str(l, type, c->is_array ? "elem_name" : "name");
    c->sql_type = gp_pgtype_sql(l->a, schema, name, c->is_array);
    c->pg_type = gp_pgtype_readable(l->a, name, c->is_array);
    c->gql_type = gp_pgtype_scalar(l->a, schema, name, l->default_schema);
    c->nullable = true;
}

static const char *type_name(json_t *type)
{
    const char *n = json_string_value(json_object_get(type, "name"));
    return n != NULL ? n : "?";
}

/* The table this function is a computed field of, or NULL. */
static gp_table_t *computed_table(fload_t *l, const char *name, json_t *params)
{
    json_t *first = json_array_get(params, 0);
    gp_table_t *t = first != NULL ? row_table(l, json_object_get(first, "type")) : NULL;
    size_t n = t != NULL ? strlen(t->name) : 0;
    if (t == NULL || strncmp(name, t->name, n) != 0 || name[n] != '_' || name[n + 1] == '\0')
        return NULL;
    return t;
}

/* Reads the parameters (all but the row of a computed field); returns why they cannot
 * be arguments, or NULL. */
static const char *load_params(fload_t *l, gp_function_t *f, json_t *params, int skip, int ndefaults)
{
    int n = (int)json_array_size(params);
    f->params = gp_arena_calloc(l->a, sizeof *f->params * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        json_t *p = json_array_get(params, (size_t)i);
        const char *mode = json_string_value(json_object_get(p, "mode"));
        if (mode == NULL || strcmp(mode, "i") != 0)
            return "it has OUT, INOUT, VARIADIC or TABLE parameters";
    }
    for (int i = skip; i < n; i++) {
        json_t *p = json_array_get(params, (size_t)i);
        const char *name = str(l, p, "name");
        json_t *type = json_object_get(p, "type");
        if (name == NULL)
            return gp_arena_printf(l->a, "its parameter %d has no name", i + 1);
        if (!gp_names_is_valid(name))
            return gp_arena_printf(l->a, "its parameter \"%s\" is not a GraphQL name", name);
        if (!is_plain(type))
            return gp_arena_printf(l->a, "its parameter %s has the type %s, which has no GraphQL input type", name,
                                   type_name(type));
        gp_column_t c = {0};
        plain_type(l, type, &c);
        f->params[f->nparams++] = (gp_fn_param_t){name, c.sql_type, c.gql_type, c.is_array, i >= n - ndefaults};
        f->has_required |= i < n - ndefaults;
    }
    return NULL;
}

/* What the function returns; why it cannot be a field, or NULL. */
static const char *load_returns(fload_t *l, gp_function_t *f, json_t *j)
{
    json_t *type = json_object_get(j, "returns");
    bool set = json_is_true(json_object_get(j, "returns_set"));
    f->table = row_table(l, type);
    if (f->table != NULL) {
        f->returns = set ? GP_FN_SETOF : GP_FN_ROW;
        return NULL;
    }
    if (set)
        return gp_arena_printf(l->a, "it returns a set of %s, not of an exposed table or view", type_name(type));
    if (!is_plain(type))
        return gp_arena_printf(l->a, "it returns %s, neither a scalar nor an exposed table's row", type_name(type));
    f->returns = GP_FN_SCALAR;
    plain_type(l, type, &f->result);
    return NULL;
}

static bool table_has_field(const gp_table_t *t, const char *field)
{
    if (gp_table_column(t, field) != NULL || gp_table_relationship(t, field) != NULL)
        return true;
    for (int i = 0; i < t->nrels; i++) /* <array relationship>_aggregate */
        if (t->rels[i].kind == GP_REL_ARRAY && strncmp(field, t->rels[i].name, strlen(t->rels[i].name)) == 0 &&
            strcmp(field + strlen(t->rels[i].name), "_aggregate") == 0)
            return true;
    return false;
}

static bool same_name(json_t *arr, size_t i, size_t k)
{
    json_t *a = json_array_get(arr, i), *b = json_array_get(arr, k);
    return b != NULL && json_equal(json_object_get(a, "schema"), json_object_get(b, "schema")) &&
           json_equal(json_object_get(a, "name"), json_object_get(b, "name"));
}

/* How many functions have the name of function i; the catalog lists them by schema and
 * name, so those are its neighbours. */
static int overloads(json_t *arr, size_t i)
{
    size_t lo = i, hi = i;
    while (lo > 0 && same_name(arr, i, lo - 1))
        lo--;
    while (same_name(arr, i, hi + 1))
        hi++;
    return (int)(hi - lo + 1);
}

/* Decides what `f` becomes; returns why it is skipped, or NULL. */
static const char *classify(fload_t *l, gp_function_t *f, json_t *arr, size_t i)
{
    json_t *j = json_array_get(arr, i);
    json_t *params = json_object_get(j, "params");
    int n = overloads(arr, i);
    if (n > 1) /* said once for all of them */
        return i > 0 && same_name(arr, i, i - 1) ? "" : gp_arena_printf(l->a, "it is overloaded (%d functions have its name)", n);
    f->computed_on = computed_table(l, f->name, params);
    int ndefaults = (int)json_integer_value(json_object_get(j, "defaults"));
    const char *why = load_params(l, f, params, f->computed_on != NULL, ndefaults);
    if (why == NULL)
        why = load_returns(l, f, j);
    if (why != NULL || f->computed_on == NULL)
        return why;
    f->field = f->name + strlen(f->computed_on->name) + 1;
    if (!gp_names_is_valid(f->field))
        return gp_arena_printf(l->a, "its field name \"%s\" is not a GraphQL name", f->field);
    if (table_has_field(f->computed_on, f->field))
        return gp_arena_printf(l->a, "%s already has a field \"%s\"", f->computed_on->gql_name, f->field);
    f->result.name = f->field;
    f->result.computed = f;
    return NULL;
}

static void load_one(fload_t *l, gp_function_t *f, json_t *arr, size_t i)
{
    json_t *j = json_array_get(arr, i);
    const char *v = json_string_value(json_object_get(j, "volatility"));
    f->schema = str(l, j, "schema");
    f->name = str(l, j, "name");
    f->comment = str(l, j, "comment");
    f->volatility = v && v[0] == 'i' ? GP_FN_IMMUTABLE : v && v[0] == 's' ? GP_FN_STABLE : GP_FN_VOLATILE;
    if (f->schema == NULL || f->name == NULL)
        return;
    f->sql_name = gp_pgtype_sql(l->a, f->schema, f->name, /* is_array= */ false);
    f->gql_name = gp_names_table(l->a, f->schema, f->name, l->default_schema);
    const char *why = classify(l, f, arr, i);
    if (why == NULL && f->volatility == GP_FN_VOLATILE && f->computed_on != NULL)
        why = "a VOLATILE function is no computed field";
    if (why != NULL) {
        if (why[0] != '\0')
            gp_info("schema", "function %s.%s is not exposed: %s", f->schema, f->name, why);
        return;
    }
    f->result.name = f->result.name ? f->result.name : f->gql_name;
    if (f->volatility == GP_FN_VOLATILE)
        f->mutation = true; /* unless its name is taken: add_mutations decides */
    else
        f->exposed = true;
}

static int cmp_root(const void *pa, const void *pb)
{
    return strcmp(((const gp_root_field_t *)pa)->name, ((const gp_root_field_t *)pb)->name);
}

static bool root_taken(const gp_model_t *m, const char *name)
{
    for (int i = 0; i < m->nroots; i++)
        if (strcmp(m->roots[i].name, name) == 0)
            return true;
    return false;
}

/* Root fields for the exposed functions that are no computed fields; a name a table's
 * root field (or an earlier function's) has is skipped. */
static void add_roots(fload_t *l)
{
    gp_model_t *m = l->m;
    gp_root_field_t *roots = gp_arena_calloc(l->a, sizeof *roots * (size_t)(m->nroots + 2 * m->nfunctions + 1));
    memcpy(roots, m->roots, sizeof *roots * (size_t)m->nroots);
    m->roots = roots;
    for (int i = 0; i < m->nfunctions; i++) {
        gp_function_t *f = &m->functions[i];
        if (!f->exposed || f->computed_on != NULL)
            continue;
        const char *agg = gp_names_root(l->a, f->gql_name, GP_ROOT_FUNCTION_AGGREGATE);
        if (root_taken(m, f->gql_name) || (f->returns == GP_FN_SETOF && root_taken(m, agg))) {
            gp_info("schema", "function %s.%s is not exposed: the root field %s is taken", f->schema, f->name,
                    f->gql_name);
            f->exposed = false;
            continue;
        }
        m->roots[m->nroots++] = (gp_root_field_t){f->gql_name, GP_ROOT_FUNCTION, f->table, f};
        if (f->returns == GP_FN_SETOF)
            m->roots[m->nroots++] = (gp_root_field_t){agg, GP_ROOT_FUNCTION_AGGREGATE, f->table, f};
    }
    qsort(m->roots, (size_t)m->nroots, sizeof *m->roots, cmp_root);
}

/* Whether some table's mutation_root field, or another function's field in either root,
 * has the name `name` (a function's `<fn>_args` type follows its name, so a mutation and a
 * query function must not share one). */
static bool mutation_taken(const gp_model_t *m, const gp_function_t *self)
{
    if (gp_names_table_mutation(m, self->gql_name) != NULL)
        return true;
    for (const gp_function_t *f = m->functions; f < m->functions + m->nfunctions; f++) {
        bool query = f->exposed && f->computed_on == NULL, earlier = f->mutation && f < self;
        if ((query || earlier) && strcmp(f->gql_name, self->gql_name) == 0)
            return true;
    }
    return false;
}

/* The mutation_root fields of the VOLATILE functions: the first of two with one name
 * (by schema and name) keeps it, and none takes a name a table's mutation or a query
 * function has. */
static void add_mutations(fload_t *l)
{
    gp_model_t *m = l->m;
    for (int i = 0; i < m->nfunctions; i++) {
        gp_function_t *f = &m->functions[i];
        if (f->mutation && mutation_taken(m, f)) {
            gp_info("schema", "function %s.%s is not exposed: the name %s is taken", f->schema, f->name, f->gql_name);
            f->mutation = false;
        }
    }
}

static int cmp_computed(const void *pa, const void *pb)
{
    return strcmp((*(const gp_function_t *const *)pa)->field, (*(const gp_function_t *const *)pb)->field);
}

static void add_computed(fload_t *l)
{
    gp_model_t *m = l->m;
    for (int t = 0; t < m->ntables; t++) {
        gp_table_t *tab = &m->tables[t];
        for (int i = 0; i < m->nfunctions; i++)
            if (m->functions[i].exposed && m->functions[i].computed_on == tab) {
                if (tab->computed == NULL)
                    tab->computed = gp_arena_calloc(l->a, sizeof *tab->computed * (size_t)m->nfunctions);
                tab->computed[tab->ncomputed++] = &m->functions[i];
            }
        if (tab->ncomputed > 1)
            qsort(tab->computed, (size_t)tab->ncomputed, sizeof *tab->computed, cmp_computed);
    }
}

void gp_functions_load(gp_model_t *m, json_t *arr, const char *default_schema)
{
    fload_t l = {m, m->arena, default_schema};
    size_t n = json_array_size(arr);
    m->functions = gp_arena_calloc(l.a, sizeof *m->functions * (n ? n : 1));
    for (size_t i = 0; i < n; i++)
        load_one(&l, &m->functions[m->nfunctions++], arr, i);
    add_roots(&l);
    add_computed(&l);
    add_mutations(&l);
}
