/* schema/types.c — the GraphQL type system derived from the model, as data.
 *
 * Built in two passes. The first decides which types exist (their names and kinds)
 * and sorts them, so the final array never moves; the second fills each type's
 * fields, arguments and values, writing every use of a type as text ("[Int!]!")
 * that is resolved against that array at once. A name that does not resolve is a
 * bug in this file, so it aborts instead of building a schema with a hole in it.
 *
 * What the API has follows schema/README (SDL, Mutations): per table the row type,
 * T_bool_exp, T_order_by, T_select_column and the aggregate types, and the mutation types
 * of the mutations it has; a comparison input per scalar used by a column; the custom
 * scalars; enum order_by, query_root, mutation_root and subscription_root (with T_stream
 * and its cursor inputs). Next to them
 * sit the built-in scalars, the introspection types and the built-in directives of
 * the GraphQL spec (October 2021, with graphql-js 16's specifiedByURL, isOneOf,
 * isRepeatable and @oneOf). */
#include "schema/types.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "schema/names.h"
#include "schema/pgtype.h"

/* What fills a type in the second pass. */
typedef enum {
    D_BUILTIN_SCALAR,
    D_SCALAR,
    D_META,
    D_ROW,
    D_BOOL_EXP,
    D_ORDER_BY,
    D_SELECT_COLUMN,
    D_AGGREGATE,
    D_AGGREGATE_FIELDS,
    D_AGG_FN_FIELDS,
    D_AGGREGATE_ORDER_BY,
    D_AGG_FN_ORDER_BY,
    D_COMPARISON,
    D_FN_ARGS,
    D_ORDER_BY_ENUM,
    D_QUERY_ROOT,
    D_INSERT_INPUT,
    D_OBJ_REL_INSERT_INPUT,
    D_ARR_REL_INSERT_INPUT,
    D_ON_CONFLICT,
    D_CONSTRAINT,
    D_UPDATE_COLUMN,
    D_SET_INPUT,
    D_INC_INPUT,
    D_JSONB_OP_INPUT,
    D_PK_COLUMNS_INPUT,
    D_UPDATES,
    D_MUTATION_RESPONSE,
    D_MUTATION_ROOT,
    D_STREAM_CURSOR_INPUT,
    D_STREAM_CURSOR_VALUE_INPUT,
    D_CURSOR_ORDERING,
    D_SUBSCRIPTION_ROOT,
} decl_kind_t;

typedef struct {
    const char *name;
    gp_type_kind_t kind;
    decl_kind_t what;
    const gp_table_t *table;
    const gp_column_t *column; /* D_COMPARISON: a column of that scalar */
    const gp_aggregate_fn_t *fn; /* D_AGG_FN_FIELDS, D_AGG_FN_ORDER_BY: avg, sum, min … */
    const void *meta;          /* D_META, D_BUILTIN_SCALAR, D_JSONB_OP_INPUT: the static description */
    const gp_function_t *function; /* D_FN_ARGS */
} decl_t;

typedef struct {
    gp_arena_t *a;
    const gp_model_t *m;
    decl_t *decls;
    int ndecls, cap;
    bool *array_target;   /* by table index: the target of an array relationship */
    gp_schema_t *s;
} builder_t;

/* Grows an arena array of `size`-byte elements so that one more fits. */
static void *grow(gp_arena_t *a, void *v, int n, int *cap, size_t size)
{
    if (n < *cap)
        return v;
    *cap = *cap ? 2 * *cap : 8;
    void *w = gp_arena_alloc(a, size * (size_t)*cap);
    if (n)
        memcpy(w, v, size * (size_t)n);
    return w;
}

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

/* ---- typerefs ---------------------------------------------------------------- */

static const gp_typeref_t *parse_ref(builder_t *b, const char *s, size_t n)
{
    gp_typeref_t *r = gp_arena_new_obj(b->a, gp_typeref_t);
    if (n > 1 && s[n - 1] == '!') {
        r->kind = GP_REF_NON_NULL;
        r->of = parse_ref(b, s, n - 1);
    } else if (n > 2 && s[0] == '[' && s[n - 1] == ']') {
        r->kind = GP_REF_LIST;
        r->of = parse_ref(b, s + 1, n - 2);
    } else {
        r->kind = GP_REF_NAMED;
        r->named = gp_schema_type(b->s, gp_arena_strndup(b->a, s, n));
        if (r->named == NULL) {
            fprintf(stderr, "schema/types.c: no type %.*s\n", (int)n, s);
            abort();
        }
    }
    return r;
}

/* A typeref from its GraphQL spelling: "posts", "[posts!]!". */
static const gp_typeref_t *ref(builder_t *b, const char *spelling)
{
    return parse_ref(b, spelling, strlen(spelling));
}

static const char *column_type(gp_arena_t *a, const gp_column_t *c)
{
    return gp_arena_printf(a, c->is_array ? "[%s!]%s" : "%s%s", c->gql_type, c->nullable ? "" : "!");
}

/* ---- field, input value and enum value lists ----------------------------------- */

typedef struct {
    gp_field_t *v;
    int n, cap;
} fields_t;

typedef struct {
    gp_input_value_t *v;
    int n, cap;
} inputs_t;

static gp_field_t *add_field(builder_t *b, fields_t *l, const char *name, const char *type, gp_field_role_t role,
                             const gp_table_t *t)
{
    l->v = grow(b->a, l->v, l->n, &l->cap, sizeof *l->v);
    gp_field_t *f = &l->v[l->n++];
    *f = (gp_field_t){.name = name, .type = ref(b, type), .role = role, .table = t};
    return f;
}

static gp_input_value_t *add_input(builder_t *b, inputs_t *l, const char *name, const char *type)
{
    l->v = grow(b->a, l->v, l->n, &l->cap, sizeof *l->v);
    gp_input_value_t *v = &l->v[l->n++];
    *v = (gp_input_value_t){.name = name, .type = ref(b, type)};
    return v;
}

static int cmp_field(const void *pa, const void *pb)
{
    return strcmp(((const gp_field_t *)pa)->name, ((const gp_field_t *)pb)->name);
}

static int cmp_input(const void *pa, const void *pb)
{
    return strcmp(((const gp_input_value_t *)pa)->name, ((const gp_input_value_t *)pb)->name);
}

static void set_fields(gp_type_t *ty, fields_t *l)
{
    if (l->n > 1) /* qsort wants a non-NULL array even for none */
        qsort(l->v, (size_t)l->n, sizeof *l->v, cmp_field);
    ty->fields = l->v;
    ty->nfields = l->n;
}

static void set_input_fields(gp_type_t *ty, inputs_t *l)
{
    if (l->n > 1)
        qsort(l->v, (size_t)l->n, sizeof *l->v, cmp_input);
    ty->input_fields = l->v;
    ty->ninput_fields = l->n;
}

static void set_args(gp_field_t *f, inputs_t *l)
{
    qsort(l->v, (size_t)l->n, sizeof *l->v, cmp_input);
    f->args = l->v;
    f->nargs = l->n;
}

/* ---- the built-in part: scalars, introspection types, directives ---------------- */

typedef struct {
    const char *name, *description;
} builtin_scalar_t;

static const builtin_scalar_t builtin_scalars[] = {
    {"Boolean", "The `Boolean` scalar type represents `true` or `false`."},
    {"Float", "A signed double-precision floating-point value (IEEE 754)."},
    {"ID", "A unique identifier, serialized as a string; not meant to be read by people."},
    {"Int", "A signed 32-bit integer."},
    {"String", "UTF-8 text."},
};

typedef struct {
    const char *name, *type;
    bool include_deprecated; /* takes (includeDeprecated: Boolean = false) */
} meta_field_t;

typedef struct {
    const char *name, *description;
    gp_type_kind_t kind;
    const meta_field_t *fields; /* OBJECT, ended by a NULL name */
    const char *const *values;  /* ENUM, ended by NULL */
} meta_type_t;

static const meta_field_t schema_fields[] = {
    {"description", "String", false},        {"directives", "[__Directive!]!", false},
    {"mutationType", "__Type", false},       {"queryType", "__Type!", false},
    {"subscriptionType", "__Type", false},   {"types", "[__Type!]!", false},
    {NULL, NULL, false},
};
static const meta_field_t type_fields[] = {
    {"description", "String", false},        {"enumValues", "[__EnumValue!]", true},
    {"fields", "[__Field!]", true},          {"inputFields", "[__InputValue!]", true},
    {"interfaces", "[__Type!]", false},      {"isOneOf", "Boolean", false},
    {"kind", "__TypeKind!", false},          {"name", "String", false},
    {"ofType", "__Type", false},             {"possibleTypes", "[__Type!]", false},
    {"specifiedByURL", "String", false},     {NULL, NULL, false},
};
static const meta_field_t field_fields[] = {
    {"args", "[__InputValue!]!", true},      {"deprecationReason", "String", false},
    {"description", "String", false},        {"isDeprecated", "Boolean!", false},
    {"name", "String!", false},              {"type", "__Type!", false},
    {NULL, NULL, false},
};
static const meta_field_t input_value_fields[] = {
    {"defaultValue", "String", false},       {"deprecationReason", "String", false},
    {"description", "String", false},        {"isDeprecated", "Boolean!", false},
    {"name", "String!", false},              {"type", "__Type!", false},
    {NULL, NULL, false},
};
static const meta_field_t enum_value_fields[] = {
    {"deprecationReason", "String", false},  {"description", "String", false},
    {"isDeprecated", "Boolean!", false},     {"name", "String!", false},
    {NULL, NULL, false},
};
static const meta_field_t directive_fields[] = {
    {"args", "[__InputValue!]!", true},      {"description", "String", false},
    {"isRepeatable", "Boolean!", false},     {"locations", "[__DirectiveLocation!]!", false},
    {"name", "String!", false},              {NULL, NULL, false},
};
static const char *const type_kinds[] = {"SCALAR", "OBJECT", "INTERFACE", "UNION", "ENUM",
                                         "INPUT_OBJECT", "LIST", "NON_NULL", NULL};
/* In the order of gp_directive_location_t's bits. */
static const char *const directive_locations[] = {
    "QUERY", "MUTATION", "SUBSCRIPTION", "FIELD", "FRAGMENT_DEFINITION", "FRAGMENT_SPREAD",
    "INLINE_FRAGMENT", "VARIABLE_DEFINITION", "SCHEMA", "SCALAR", "OBJECT", "FIELD_DEFINITION",
    "ARGUMENT_DEFINITION", "INTERFACE", "UNION", "ENUM", "ENUM_VALUE", "INPUT_OBJECT",
    "INPUT_FIELD_DEFINITION", NULL};

static const meta_type_t meta_types[] = {
    {"__Directive", "A directive the server supports: where it may appear and which arguments it takes.",
     GP_KIND_OBJECT, directive_fields, NULL},
    {"__DirectiveLocation", "A place in a document or a schema where a directive may appear.", GP_KIND_ENUM,
     NULL, directive_locations},
    {"__EnumValue", "One value of an enum type.", GP_KIND_OBJECT, enum_value_fields, NULL},
    {"__Field", "A field of an object or interface type, with its arguments and type.", GP_KIND_OBJECT,
     field_fields, NULL},
    {"__InputValue", "An argument or an input object field, with its type and default value.", GP_KIND_OBJECT,
     input_value_fields, NULL},
    {"__Schema", "The server's type system: its types, root operation types and directives.", GP_KIND_OBJECT,
     schema_fields, NULL},
    {"__Type", "A named type or a list or non-null wrapper around one; `kind` says which fields apply.",
     GP_KIND_OBJECT, type_fields, NULL},
    {"__TypeKind", "The kinds of type `__Type` describes.", GP_KIND_ENUM, NULL, type_kinds},
};

static void fill_meta(builder_t *b, gp_type_t *ty, const meta_type_t *mt)
{
    ty->description = mt->description;
    if (mt->values) {
        int n = 0;
        while (mt->values[n])
            n++;
        ty->enum_values = gp_arena_calloc(b->a, sizeof *ty->enum_values * (size_t)n);
        for (int i = 0; i < n; i++)
            ty->enum_values[i].name = mt->values[i];
        ty->nenum_values = n;
        return;
    }
    fields_t l = {0};
    for (const meta_field_t *mf = mt->fields; mf->name; mf++) {
        gp_field_t *f = add_field(b, &l, mf->name, mf->type, GP_FIELD_META, NULL);
        if (mf->include_deprecated) {
            inputs_t args = {0};
            add_input(b, &args, "includeDeprecated", "Boolean")->default_value = "false";
            set_args(f, &args);
        }
    }
    set_fields(ty, &l);
}

/* The built-in directives, sorted by name; each takes at most one argument. */
static const struct {
    const char *name, *description;
    unsigned locations;
    const char *arg, *arg_type, *arg_description, *arg_default;
} builtin_directives[] = {
    {"deprecated", "Marks an element of the schema as no longer supported.",
     GP_LOC_FIELD_DEFINITION | GP_LOC_ARGUMENT_DEFINITION | GP_LOC_INPUT_FIELD_DEFINITION | GP_LOC_ENUM_VALUE,
     "reason", "String", "Why it is deprecated and what to use instead, in Markdown.", "\"No longer supported\""},
    {"include", "Includes this field or fragment only when `if` is true.",
     GP_LOC_FIELD | GP_LOC_FRAGMENT_SPREAD | GP_LOC_INLINE_FRAGMENT, "if", "Boolean!", "Included when true.", NULL},
    {"oneOf", "The input object takes exactly one of its fields, and that field is not null.", GP_LOC_INPUT_OBJECT,
     NULL, NULL, NULL, NULL},
    {"skip", "Leaves out this field or fragment when `if` is true.",
     GP_LOC_FIELD | GP_LOC_FRAGMENT_SPREAD | GP_LOC_INLINE_FRAGMENT, "if", "Boolean!", "Skipped when true.", NULL},
    {"specifiedBy", "Names the specification a custom scalar follows.", GP_LOC_SCALAR, "url", "String!",
     "The URL of the scalar's specification.", NULL},
};

static void build_directives(builder_t *b)
{
    int n = (int)(sizeof builtin_directives / sizeof *builtin_directives);
    b->s->directives = gp_arena_calloc(b->a, sizeof *b->s->directives * (size_t)n);
    b->s->ndirectives = n;
    for (int i = 0; i < n; i++) {
        gp_directive_def_t *d = &b->s->directives[i];
        d->name = builtin_directives[i].name;
        d->description = builtin_directives[i].description;
        d->locations = builtin_directives[i].locations;
        if (builtin_directives[i].arg == NULL)
            continue;
        inputs_t l = {0};
        gp_input_value_t *v = add_input(b, &l, builtin_directives[i].arg, builtin_directives[i].arg_type);
        v->description = builtin_directives[i].arg_description;
        v->default_value = builtin_directives[i].arg_default;
        d->args = l.v;
        d->nargs = l.n;
    }
}

/* ---- the API: tables, comparisons, scalars, roots ------------------------------- */

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

static bool starts_with_any(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strncmp(s, *list, strlen(*list)) == 0)
            return true;
    return false;
}

/* Which aggregates a column takes: sum/avg/… need a number, min/max an ordering
 * PostgreSQL has min() and max() for (not bool, uuid, bytea, json, tsvector). A domain
 * takes its base type's; arrays take none here. */
static gp_agg_class_t agg_class(const gp_model_t *m, const gp_column_t *c)
{
    static const char *const numeric[] = {"Int", "Float", "bigint", "numeric", NULL};
    static const char *const ordered[] = {"String", "bpchar", "date", "time", "timetz", "timestamp",
                                          "timestamptz", "interval", "money", "inet", NULL};
    static const char *const base_numeric[] = {"smallint", "integer", "bigint", "real", "double precision",
                                               "numeric", NULL};
    static const char *const base_ordered[] = {"text", "character", "date", "time", "timestamp", "interval",
                                               "money", "inet", NULL};
    if (c->is_array)
        return GP_AGG_NONE;
    if (in_list(c->gql_type, numeric))
        return GP_AGG_NUMERIC;
    if (in_list(c->gql_type, ordered))
        return GP_AGG_MINMAX;
    for (int i = 0; i < m->nenums; i++)
        if (strcmp(m->enums[i].gql_name, c->gql_type) == 0)
            return GP_AGG_MINMAX;
    for (int i = 0; i < m->ndomains; i++)
        if (strcmp(m->domains[i].gql_name, c->gql_type) == 0) {
            if (starts_with_any(m->domains[i].base_pg_type, base_numeric))
                return GP_AGG_NUMERIC;
            if (starts_with_any(m->domains[i].base_pg_type, base_ordered))
                return GP_AGG_MINMAX;
        }
    return GP_AGG_NONE;
}

/* Sorted by name, for gp_aggregate_fn's binary search. */
const gp_aggregate_fn_t gp_aggregate_fns[] = {
    {"avg", GP_AGG_NUMERIC, true},     {"max", GP_AGG_MINMAX, false},     {"min", GP_AGG_MINMAX, false},
    {"stddev", GP_AGG_NUMERIC, true},  {"stddev_pop", GP_AGG_NUMERIC, true}, {"stddev_samp", GP_AGG_NUMERIC, true},
    {"sum", GP_AGG_NUMERIC, false},    {"var_pop", GP_AGG_NUMERIC, true}, {"var_samp", GP_AGG_NUMERIC, true},
    {"variance", GP_AGG_NUMERIC, true},
};
const int gp_naggregate_fns = (int)(sizeof gp_aggregate_fns / sizeof *gp_aggregate_fns);

static bool agg_fn_has_columns(const gp_model_t *m, const gp_table_t *t, const gp_aggregate_fn_t *fn)
{
    for (int i = 0; i < t->ncolumns; i++)
        if (agg_class(m, &t->columns[i]) >= fn->takes)
            return true;
    return false;
}

/* Whether every row has its parent: the key's columns are NOT NULL and every row is
 * checked by the key. */
static bool all_not_null(const gp_table_t *t, const gp_relationship_t *r)
{
    if (r->fkey->partial)
        return false;
    for (int i = 0; i < r->ncols; i++)
        if (t->columns[r->local_cols[i]].nullable)
            return false;
    return true;
}

/* distinct_on, limit, offset, order_by, where: the arguments of a list of T's rows. */
static void list_args(builder_t *b, gp_field_t *f, const char *t)
{
    gp_arena_t *a = b->a;
    inputs_t l = {0};
    add_input(b, &l, "distinct_on", gp_arena_printf(a, "[%s_select_column!]", t));
    add_input(b, &l, "limit", "Int");
    add_input(b, &l, "offset", "Int");
    add_input(b, &l, "order_by", gp_arena_printf(a, "[%s_order_by!]", t));
    add_input(b, &l, "where", gp_arena_printf(a, "%s_bool_exp", t));
    set_args(f, &l);
}

/* "PostgreSQL ident", with quotes doubled: how SQL spells a name. */
static const char *quoted(gp_arena_t *a, const char *name)
{
    size_t n = strlen(name), k = 0;
    char *q = gp_arena_alloc(a, 2 * n + 3);
    q[k++] = '"';
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            q[k++] = '"';
        q[k++] = *p;
    }
    q[k++] = '"';
    q[k] = '\0';
    return q;
}

/* The comment, and after it the PostgreSQL name when the GraphQL name differs from it. */
static const char *described(gp_arena_t *a, const char *comment, bool renamed, const char *what, const char *name)
{
    if (!renamed)
        return nonempty(comment);
    const char *note = gp_arena_printf(a, "PostgreSQL %s %s", what, name);
    return nonempty(comment) ? gp_arena_printf(a, "%s\n\n%s", comment, note) : note;
}

static const char *table_kind_word(const gp_table_t *t)
{
    return t->kind == GP_TABLE_VIEW ? "view" : t->kind == GP_TABLE_MATVIEW ? "materialized view" : "table";
}

/* The input type of a function's `args`: <fn>_args for a root field, T_<field>_args for a
 * computed field of T. */
static const char *fn_args_type(gp_arena_t *a, const gp_function_t *f)
{
    if (f->computed_on != NULL)
        return gp_arena_printf(a, "%s_%s_args", f->computed_on->gql_name, f->field);
    return gp_arena_printf(a, "%s_args", f->gql_name);
}

/* A computed scalar without further required parameters is in T_bool_exp and T_order_by. */
static bool computed_comparable(const gp_function_t *f)
{
    return f->returns == GP_FN_SCALAR && !f->has_required;
}

/* A field whose value a function gives: `args` when it has parameters; a list of rows
 * also takes the usual list arguments. */
static gp_field_t *function_field(builder_t *b, fields_t *l, const char *name, const gp_function_t *fn,
                                  gp_field_role_t role, const gp_table_t *t)
{
    gp_arena_t *a = b->a;
    const char *type = fn->returns == GP_FN_SCALAR ? column_type(a, &fn->result)
                       : fn->returns == GP_FN_ROW  ? fn->table->gql_name
                                                   : gp_arena_printf(a, "[%s!]!", fn->table->gql_name);
    if (role == GP_FIELD_ROOT_FUNCTION_AGGREGATE)
        type = gp_arena_printf(a, "%s_aggregate!", fn->table->gql_name);
    gp_field_t *f = add_field(b, l, name, type, role, t);
    f->function = fn;
    f->description = nonempty(fn->comment);
    inputs_t args = {0};
    if (fn->returns == GP_FN_SETOF)
        list_args(b, f, fn->table->gql_name);
    for (int i = 0; i < f->nargs; i++) /* list_args sorted its own; `args` joins them */
        add_input(b, &args, f->args[i].name, gp_typeref_string(a, f->args[i].type));
    if (fn->nparams > 0)
        add_input(b, &args, "args", gp_arena_printf(a, "%s%s", fn_args_type(a, fn), fn->has_required ? "!" : ""));
    if (args.n > 0)
        set_args(f, &args);
    return f;
}

static void fill_fn_args(builder_t *b, gp_type_t *ty, const gp_function_t *fn)
{
    inputs_t l = {0};
    for (int i = 0; i < fn->nparams; i++) {
        const gp_fn_param_t *p = &fn->params[i];
        add_input(b, &l, p->name,
                  gp_arena_printf(b->a, p->is_array ? "[%s!]%s" : "%s%s", p->gql_type, p->has_default ? "" : "!"));
    }
    set_input_fields(ty, &l);
}

/* posts → posts_aggregate: the field of the row type and the input of T_order_by for an
 * array relationship; NULL for an object relationship, or when a column or relationship
 * already has that name. */
static const char *rel_aggregate_name(gp_arena_t *a, const gp_table_t *t, const gp_relationship_t *r)
{
    const char *name = gp_arena_printf(a, "%s_aggregate", r->name);
    if (r->kind != GP_REL_ARRAY || gp_table_column(t, name) != NULL || gp_table_relationship(t, name) != NULL)
        return NULL;
    return name;
}

static void fill_row(builder_t *b, gp_type_t *ty, const gp_table_t *t)
{
    gp_arena_t *a = b->a;
    fields_t l = {0};
    ty->description = described(a, t->comment, gp_names_table_renamed(b->m, t), table_kind_word(t),
                                gp_arena_printf(a, "%s.%s", quoted(a, t->schema), quoted(a, t->name)));
    for (int i = 0; i < t->ncolumns; i++) {
        const gp_column_t *c = &t->columns[i];
        gp_field_t *f = add_field(b, &l, c->gql_name, column_type(a, c), GP_FIELD_COLUMN, t);
        f->column = c;
        f->description = described(a, c->comment, strcmp(c->gql_name, c->name) != 0, "column", quoted(a, c->name));
        if (!c->is_array && gp_pgtype_is_json(c->gql_type)) { /* Hasura's path: "a.b[0]" */
            inputs_t args = {0};
            add_input(b, &args, "path", "String")->description = "JSON select path";
            set_args(f, &args);
        }
    }
    for (int i = 0; i < t->nrels; i++) {
        const gp_relationship_t *r = &t->rels[i];
        const char *tn = r->target->gql_name;
        gp_field_t *f;
        if (r->kind == GP_REL_OBJECT) {
            f = add_field(b, &l, r->name, gp_arena_printf(a, "%s%s", tn, all_not_null(t, r) ? "!" : ""),
                          GP_FIELD_OBJECT_REL, t);
        } else {
            f = add_field(b, &l, r->name, gp_arena_printf(a, "[%s!]!", tn), GP_FIELD_ARRAY_REL, t);
            list_args(b, f, tn);
        }
        f->rel = r;
    }
    for (int i = 0; i < t->nrels; i++) {
        const gp_relationship_t *r = &t->rels[i];
        const char *name = rel_aggregate_name(a, t, r);
        if (name == NULL)
            continue;
        const char *tn = r->target->gql_name;
        gp_field_t *f = add_field(b, &l, name, gp_arena_printf(a, "%s_aggregate!", tn),
                                  GP_FIELD_ARRAY_REL_AGGREGATE, t);
        f->rel = r;
        list_args(b, f, tn);
    }
    for (int i = 0; i < t->ncomputed; i++)
        function_field(b, &l, t->computed[i]->field, t->computed[i], GP_FIELD_COMPUTED, t);
    set_fields(ty, &l);
}

static const char *comparison_name(gp_arena_t *a, const gp_column_t *c)
{
    return gp_arena_printf(a, "%s_%scomparison_exp", c->gql_type, c->is_array ? "array_" : "");
}

static void fill_bool_exp(builder_t *b, gp_type_t *ty, const gp_table_t *t)
{
    gp_arena_t *a = b->a;
    inputs_t l = {0};
    add_input(b, &l, "_and", gp_arena_printf(a, "[%s!]", ty->name));
    add_input(b, &l, "_not", ty->name);
    add_input(b, &l, "_or", gp_arena_printf(a, "[%s!]", ty->name));
    for (int i = 0; i < t->ncolumns; i++)
        add_input(b, &l, t->columns[i].gql_name, comparison_name(a, &t->columns[i]));
    for (int i = 0; i < t->nrels; i++)
        add_input(b, &l, t->rels[i].name, gp_arena_printf(a, "%s_bool_exp", t->rels[i].target->gql_name));
    for (int i = 0; i < t->ncomputed; i++)
        if (computed_comparable(t->computed[i]))
            add_input(b, &l, t->computed[i]->field, comparison_name(a, &t->computed[i]->result));
    set_input_fields(ty, &l);
}

static void fill_order_by(builder_t *b, gp_type_t *ty, const gp_table_t *t)
{
    inputs_t l = {0};
    for (int i = 0; i < t->ncolumns; i++) {
        const gp_column_t *c = &t->columns[i];
        if (gp_pgtype_sorts(c->gql_type))
            add_input(b, &l, c->gql_name, "order_by");
    }
    for (int i = 0; i < t->nrels; i++) {
        const gp_relationship_t *r = &t->rels[i];
        const char *agg = rel_aggregate_name(b->a, t, r);
        if (r->kind == GP_REL_OBJECT)
            add_input(b, &l, r->name, gp_arena_printf(b->a, "%s_order_by", r->target->gql_name));
        else if (agg != NULL)
            add_input(b, &l, agg, gp_arena_printf(b->a, "%s_aggregate_order_by", r->target->gql_name));
    }
    for (int i = 0; i < t->ncomputed; i++) {
        const gp_function_t *f = t->computed[i];
        if (computed_comparable(f) && gp_pgtype_sorts(f->result.gql_type))
            add_input(b, &l, f->field, "order_by");
    }
    set_input_fields(ty, &l);
}

/* T_aggregate_order_by, Hasura's: count, and per aggregate function with columns a
 * T_<fn>_order_by of those columns. */
static void fill_aggregate_order_by(builder_t *b, gp_type_t *ty, const gp_table_t *t)
{
    inputs_t l = {0};
    add_input(b, &l, "count", "order_by");
    for (const gp_aggregate_fn_t *fn = gp_aggregate_fns; fn < gp_aggregate_fns + gp_naggregate_fns; fn++)
        if (agg_fn_has_columns(b->m, t, fn))
            add_input(b, &l, fn->name, gp_arena_printf(b->a, "%s_%s_order_by", t->gql_name, fn->name));
    set_input_fields(ty, &l);
}

static int cmp_enum_value(const void *pa, const void *pb)
{
    return strcmp(((const gp_enum_value_t *)pa)->name, ((const gp_enum_value_t *)pb)->name);
}

static void fill_select_column(builder_t *b, gp_type_t *ty, const gp_table_t *t)
{
    ty->enum_values = gp_arena_calloc(b->a, sizeof *ty->enum_values * (size_t)(t->ncolumns + 1));
    int n = 0;
    for (int i = 0; i < t->ncolumns; i++) {
        const char *c = t->columns[i].gql_name;
        /* true, false and null are not allowed as enum values (schema/README "Columns"); json
         * columns cannot be compared for distinct_on or count(distinct). */
        if (strcmp(c, "true") != 0 && strcmp(c, "false") != 0 && strcmp(c, "null") != 0 &&
            gp_pgtype_sorts(t->columns[i].gql_type))
            ty->enum_values[n++].name = c;
    }
    if (n == 0) /* an enum needs a value; a table without columns (or only true, false, null) still gets a type */
        ty->enum_values[n++].name = "_";
    qsort(ty->enum_values, (size_t)n, sizeof *ty->enum_values, cmp_enum_value);
    ty->nenum_values = n;
}

static void fill_aggregate(builder_t *b, gp_type_t *ty, const gp_table_t *t)
{
    fields_t l = {0};
    add_field(b, &l, "aggregate", gp_arena_printf(b->a, "%s_aggregate_fields", t->gql_name), GP_FIELD_AGGREGATE, t);
    add_field(b, &l, "nodes", gp_arena_printf(b->a, "[%s!]!", t->gql_name), GP_FIELD_AGGREGATE, t);
    set_fields(ty, &l);
}

static void fill_aggregate_fields(builder_t *b, gp_type_t *ty, const gp_table_t *t)
{
    gp_arena_t *a = b->a;
    fields_t l = {0};
    gp_field_t *count = add_field(b, &l, "count", "Int!", GP_FIELD_AGGREGATE, t);
    inputs_t args = {0};
    add_input(b, &args, "columns", gp_arena_printf(a, "[%s_select_column!]", t->gql_name));
    add_input(b, &args, "distinct", "Boolean");
    set_args(count, &args);
    for (const gp_aggregate_fn_t *fn = gp_aggregate_fns; fn < gp_aggregate_fns + gp_naggregate_fns; fn++)
        if (agg_fn_has_columns(b->m, t, fn))
            add_field(b, &l, fn->name, gp_arena_printf(a, "%s_%s_fields", t->gql_name, fn->name), GP_FIELD_AGGREGATE,
                      t);
    set_fields(ty, &l);
}

/* T_<fn>_fields (`order_by` false: a field per column `fn` takes) or T_<fn>_order_by (an
 * input of type order_by per such column): the same columns. */
static void fill_agg_fn(builder_t *b, gp_type_t *ty, const gp_table_t *t, const gp_aggregate_fn_t *fn, bool order_by)
{
    fields_t l = {0};
    inputs_t in = {0};
    for (int i = 0; i < t->ncolumns; i++) {
        const gp_column_t *c = &t->columns[i];
        if (agg_class(b->m, c) < fn->takes)
            continue;
        if (order_by)
            add_input(b, &in, c->gql_name, "order_by");
        else
            add_field(b, &l, c->gql_name, fn->as_float ? "Float" : c->gql_type, GP_FIELD_AGGREGATE, t)->column = c;
    }
    if (order_by)
        set_input_fields(ty, &in);
    else
        set_fields(ty, &l);
}

/* One `<scalar>_comparison_exp` or `<scalar>_array_comparison_exp`. */
static void fill_comparison(builder_t *b, gp_type_t *ty, const gp_column_t *c)
{
    gp_arena_t *a = b->a;
    const char *x = c->is_array ? gp_arena_printf(a, "[%s!]", c->gql_type) : c->gql_type;
    const char *xs = gp_arena_printf(a, "[%s!]", x);
    static const char *const scalar_ops[] = {"_eq", "_gt", "_gte", "_lt", "_lte", "_neq", NULL};
    static const char *const text_ops[] = {"_like", "_ilike", "_nlike", "_nilike", "_similar", "_regex", "_iregex", NULL};
    static const char *const contain_ops[] = {"_contains", "_contained_in", NULL};
    inputs_t l = {0};
    for (const char *const *op = scalar_ops; *op; op++)
        add_input(b, &l, *op, x);
    add_input(b, &l, "_in", xs);
    add_input(b, &l, "_nin", xs);
    add_input(b, &l, "_is_null", "Boolean");
    if (c->is_array) {
        for (const char *const *op = contain_ops; *op; op++)
            add_input(b, &l, *op, x);
    } else if (gp_pgtype_has_text_ops(x)) {
        for (const char *const *op = text_ops; *op; op++)
            add_input(b, &l, *op, x);
    } else if (gp_pgtype_has_jsonb_ops(x)) {
        for (const char *const *op = contain_ops; *op; op++)
            add_input(b, &l, *op, x);
        add_input(b, &l, "_has_key", "String");
        add_input(b, &l, "_has_keys_all", "[String!]");
        add_input(b, &l, "_has_keys_any", "[String!]");
    }
    set_input_fields(ty, &l);
}

static const char *scalar_comment(const gp_model_t *m, const char *gql)
{
    for (int i = 0; i < m->nenums; i++)
        if (strcmp(m->enums[i].gql_name, gql) == 0)
            return m->enums[i].comment;
    for (int i = 0; i < m->ndomains; i++)
        if (strcmp(m->domains[i].gql_name, gql) == 0)
            return m->domains[i].comment;
    return NULL;
}

static const gp_enum_value_t order_by_values[] = {
    {"asc", "in ascending order, nulls last", false, NULL},
    {"asc_nulls_first", "in ascending order, nulls first", false, NULL},
    {"asc_nulls_last", "in ascending order, nulls last", false, NULL},
    {"desc", "in descending order, nulls first", false, NULL},
    {"desc_nulls_first", "in descending order, nulls first", false, NULL},
    {"desc_nulls_last", "in descending order, nulls last", false, NULL},
};

static void fill_order_by_enum(builder_t *b, gp_type_t *ty)
{
    int n = (int)(sizeof order_by_values / sizeof *order_by_values);
    ty->description = "column ordering options";
    ty->enum_values = gp_arena_alloc(b->a, sizeof order_by_values);
    memcpy(ty->enum_values, order_by_values, sizeof order_by_values);
    ty->nenum_values = n;
}

/* The <pk column>: Type! arguments of T_by_pk and delete_T_by_pk. */
static void pk_args(builder_t *b, gp_field_t *f, const gp_table_t *t)
{
    inputs_t args = {0};
    for (int k = 0; k < t->npk; k++) {
        const gp_column_t *c = &t->columns[t->pk[k]];
        add_input(b, &args, c->gql_name, gp_arena_printf(b->a, "%s%s", column_type(b->a, c), c->nullable ? "!" : ""));
    }
    set_args(f, &args);
}

/* The fields of query_root, which subscription_root has too (live queries). */
static void query_fields(builder_t *b, fields_t *l)
{
    gp_arena_t *a = b->a;
    for (int i = 0; i < b->m->nroots; i++) {
        const gp_root_field_t *r = &b->m->roots[i];
        const gp_table_t *t = r->table;
        if (r->kind == GP_ROOT_FUNCTION || r->kind == GP_ROOT_FUNCTION_AGGREGATE) {
            function_field(b, l, r->name, r->function,
                           r->kind == GP_ROOT_FUNCTION ? GP_FIELD_ROOT_FUNCTION : GP_FIELD_ROOT_FUNCTION_AGGREGATE, t);
            continue;
        }
        const char *tn = t->gql_name;
        if (r->kind == GP_ROOT_LIST) {
            list_args(b, add_field(b, l, r->name, gp_arena_printf(a, "[%s!]!", tn), GP_FIELD_ROOT_LIST, t), tn);
        } else if (r->kind == GP_ROOT_AGGREGATE) {
            list_args(b, add_field(b, l, r->name, gp_arena_printf(a, "%s_aggregate!", tn), GP_FIELD_ROOT_AGGREGATE, t),
                      tn);
        } else {
            pk_args(b, add_field(b, l, r->name, tn, GP_FIELD_ROOT_BY_PK, t), t);
        }
    }
}

static void fill_query_root(builder_t *b, gp_type_t *ty)
{
    fields_t l = {0};
    query_fields(b, &l);
    if (l.n == 0) /* GraphQL wants a field; Hasura's placeholder, which resolvers/select.c answers with an error */
        add_field(b, &l, GP_NO_QUERIES_FIELD, "String!", GP_FIELD_META, NULL)->description =
            "There are no tables, views or functions in the exposed schemas.";
    set_fields(ty, &l);
}

/* ---- mutations ------------------------------------------------------------------- */

/* How Hasura's descriptions name a table: "users", or "other.users" outside the default schema. */
static const char *table_label(builder_t *b, const gp_table_t *t)
{
    if (strcmp(t->schema, b->m->schemas[0]) == 0)
        return gp_arena_printf(b->a, "\"%s\"", t->name);
    return gp_arena_printf(b->a, "\"%s.%s\"", t->schema, t->name);
}

/* A column's type where a value may be left out: insert, _set and the like. */
static const char *optional_type(gp_arena_t *a, const gp_column_t *c)
{
    return gp_arena_printf(a, c->is_array ? "[%s!]" : "%s", c->gql_type);
}

/* _inc takes the updatable numbers: smallint, integer, bigint, numeric, real, double precision. */
static bool inc_column(const gp_column_t *c)
{
    static const char *const numbers[] = {"Int", "Float", "bigint", "numeric", NULL};
    return c->updatable && !c->is_array && in_list(c->gql_type, numbers);
}

/* _append, _prepend and the _delete_* operators take the updatable jsonb columns. */
static bool jsonb_column(const gp_column_t *c)
{
    return c->updatable && !c->is_array && gp_pgtype_has_jsonb_ops(c->gql_type);
}

static bool any_column(const gp_table_t *t, bool (*takes)(const gp_column_t *))
{
    for (int i = 0; i < t->ncolumns; i++)
        if (takes(&t->columns[i]))
            return true;
    return false;
}

/* Hasura's jsonb operators of update_T: the argument, its input type T_<suffix>_input,
 * the type each jsonb column has there, and what it does. */
typedef struct {
    const char *arg, *suffix, *type, *description;
} jsonb_op_t;

static const jsonb_op_t jsonb_ops[] = {
    {"_append", "append", NULL, "append existing jsonb value of filtered columns with new jsonb value"},
    {"_delete_at_path", "delete_at_path", "[String!]",
     "delete the field or element with specified path (for JSON arrays, negative integers count from the end)"},
    {"_delete_elem", "delete_elem", "Int",
     "delete the array element with specified index (negative integers count from the end). throws an error "
     "if top level container is not an array"},
    {"_delete_key", "delete_key", "String",
     "delete key/value pair or string element. key/value pairs are matched based on their key value"},
    {"_prepend", "prepend", NULL, "prepend existing jsonb value of filtered columns with new jsonb value"},
};
#define NJSONB_OPS ((int)(sizeof jsonb_ops / sizeof *jsonb_ops))

static const char *const set_description = "sets the columns of the filtered rows to the given values";
static const char *const inc_description = "increments the numeric columns with given value of the filtered values";
static const char *const upsert_description = "upsert condition";

/* _set, _inc and the jsonb operators, those T has: the arguments of update_T and
 * update_T_by_pk, the fields of T_updates. */
static void update_operators(builder_t *b, inputs_t *l, const gp_table_t *t)
{
    const char *tn = t->gql_name;
    add_input(b, l, "_set", gp_arena_printf(b->a, "%s_set_input", tn))->description = set_description;
    if (any_column(t, inc_column))
        add_input(b, l, "_inc", gp_arena_printf(b->a, "%s_inc_input", tn))->description = inc_description;
    if (!any_column(t, jsonb_column))
        return;
    for (int i = 0; i < NJSONB_OPS; i++)
        add_input(b, l, jsonb_ops[i].arg, gp_arena_printf(b->a, "%s_%s_input", tn, jsonb_ops[i].suffix))->description =
            jsonb_ops[i].description;
}

/* on_conflict, when T has a constraint to name. */
static void on_conflict_input(builder_t *b, inputs_t *l, const gp_table_t *t)
{
    if (t->nconstraints > 0)
        add_input(b, l, "on_conflict", gp_arena_printf(b->a, "%s_on_conflict", t->gql_name))->description =
            upsert_description;
}

static void fill_insert_input(builder_t *b, gp_type_t *ty, const gp_table_t *t)
{
    inputs_t l = {0};
    ty->description = gp_arena_printf(b->a, "input type for inserting data into table %s", table_label(b, t));
    for (int i = 0; i < t->ncolumns; i++)
        if (t->columns[i].insertable)
            add_input(b, &l, t->columns[i].gql_name, optional_type(b->a, &t->columns[i]));
    for (int i = 0; i < t->nrels; i++) {
        const gp_relationship_t *r = &t->rels[i];
        if (r->target->insertable)
            add_input(b, &l, r->name,
                      gp_arena_printf(b->a, "%s_%s_rel_insert_input", r->target->gql_name,
                                      r->kind == GP_REL_OBJECT ? "obj" : "arr"));
    }
    set_input_fields(ty, &l);
}

/* T_obj_rel_insert_input (one row) or T_arr_rel_insert_input (rows): T's rows inserted
 * through a relationship that leads to T. */
static void fill_rel_insert_input(builder_t *b, gp_type_t *ty, const gp_table_t *t, bool array)
{
    inputs_t l = {0};
    ty->description = gp_arena_printf(b->a, "input type for inserting %s relation for remote table %s",
                                      array ? "array" : "object", table_label(b, t));
    add_input(b, &l, "data", gp_arena_printf(b->a, array ? "[%s_insert_input!]!" : "%s_insert_input!", t->gql_name));
    on_conflict_input(b, &l, t);
    set_input_fields(ty, &l);
}

static void fill_on_conflict(builder_t *b, gp_type_t *ty, const gp_table_t *t)
{
    inputs_t l = {0};
    ty->description = gp_arena_printf(b->a, "on_conflict condition type for table %s", table_label(b, t));
    add_input(b, &l, "constraint", gp_arena_printf(b->a, "%s_constraint!", t->gql_name));
    add_input(b, &l, "update_columns", gp_arena_printf(b->a, "[%s_update_column!]!", t->gql_name))->default_value =
        "[]";
    add_input(b, &l, "where", gp_arena_printf(b->a, "%s_bool_exp", t->gql_name));
    set_input_fields(ty, &l);
}

static void fill_constraint(builder_t *b, gp_type_t *ty, const gp_table_t *t)
{
    gp_arena_t *a = b->a;
    ty->description = gp_arena_printf(a, "unique or primary key constraints on table %s", table_label(b, t));
    ty->enum_values = gp_arena_calloc(a, sizeof *ty->enum_values * (size_t)t->nconstraints);
    for (int i = 0; i < t->nconstraints; i++) {
        const gp_unique_t *u = &t->constraints[i];
        gp_strbuf_t sb;
        gp_strbuf_init(&sb, a, (size_t)1 << 20);
        gp_strbuf_lit(&sb, "unique or primary key constraint on columns ");
        for (int k = 0; k < u->ncols; k++)
            gp_strbuf_printf(&sb, "%s\"%s\"", k ? ", " : "", t->columns[u->cols[k]].name);
        ty->enum_values[i] = (gp_enum_value_t){.name = u->gql_name, .description = sb.data};
    }
    qsort(ty->enum_values, (size_t)t->nconstraints, sizeof *ty->enum_values, cmp_enum_value);
    ty->nenum_values = t->nconstraints;
}

static void fill_update_column(builder_t *b, gp_type_t *ty, const gp_table_t *t)
{
    ty->description = gp_arena_printf(b->a, "update columns of table %s", table_label(b, t));
    ty->enum_values = gp_arena_calloc(b->a, sizeof *ty->enum_values * (size_t)(t->ncolumns + 1));
    int n = 0;
    for (int i = 0; i < t->ncolumns; i++) {
        const char *c = t->columns[i].gql_name;
        /* true, false and null are not allowed as enum values (schema/README "Columns"). */
        if (t->columns[i].updatable && strcmp(c, "true") != 0 && strcmp(c, "false") != 0 && strcmp(c, "null") != 0)
            ty->enum_values[n++] = (gp_enum_value_t){.name = c, .description = "column name"};
    }
    if (n == 0) /* an enum needs a value: Hasura's for a table without updatable columns */
        ty->enum_values[n++] = (gp_enum_value_t){.name = "_PLACEHOLDER", .description = "placeholder (do not use)"};
    qsort(ty->enum_values, (size_t)n, sizeof *ty->enum_values, cmp_enum_value);
    ty->nenum_values = n;
}

/* T_set_input (every updatable column) or T_inc_input (the numeric ones). */
static void fill_set_input(builder_t *b, gp_type_t *ty, const gp_table_t *t, bool inc)
{
    inputs_t l = {0};
    ty->description = gp_arena_printf(b->a, inc ? "input type for incrementing numeric columns in table %s"
                                                 : "input type for updating data in table %s",
                                      table_label(b, t));
    for (int i = 0; i < t->ncolumns; i++) {
        const gp_column_t *c = &t->columns[i];
        if (inc ? inc_column(c) : c->updatable)
            add_input(b, &l, c->gql_name, optional_type(b->a, c));
    }
    set_input_fields(ty, &l);
}

static void fill_jsonb_op_input(builder_t *b, gp_type_t *ty, const gp_table_t *t, const jsonb_op_t *op)
{
    inputs_t l = {0};
    ty->description = op->description;
    for (int i = 0; i < t->ncolumns; i++) {
        const gp_column_t *c = &t->columns[i];
        if (jsonb_column(c))
            add_input(b, &l, c->gql_name, op->type != NULL ? op->type : c->gql_type);
    }
    set_input_fields(ty, &l);
}

static void fill_pk_columns_input(builder_t *b, gp_type_t *ty, const gp_table_t *t)
{
    inputs_t l = {0};
    ty->description = gp_arena_printf(b->a, "primary key columns input for table: %s", t->name);
    for (int k = 0; k < t->npk; k++) {
        const gp_column_t *c = &t->columns[t->pk[k]];
        add_input(b, &l, c->gql_name, gp_arena_printf(b->a, "%s%s", column_type(b->a, c), c->nullable ? "!" : ""));
    }
    set_input_fields(ty, &l);
}

static void fill_updates(builder_t *b, gp_type_t *ty, const gp_table_t *t)
{
    inputs_t l = {0};
    add_input(b, &l, "where", gp_arena_printf(b->a, "%s_bool_exp!", t->gql_name))->description =
        "filter the rows which have to be updated";
    update_operators(b, &l, t);
    set_input_fields(ty, &l);
}

static void fill_mutation_response(builder_t *b, gp_type_t *ty, const gp_table_t *t)
{
    fields_t l = {0};
    ty->description = gp_arena_printf(b->a, "response of any mutation on the table %s", table_label(b, t));
    add_field(b, &l, "affected_rows", "Int!", GP_FIELD_AFFECTED_ROWS, t)->description =
        "number of rows affected by the mutation";
    add_field(b, &l, "returning", gp_arena_printf(b->a, "[%s!]!", t->gql_name), GP_FIELD_RETURNING, t)->description =
        "data from the rows affected by the mutation";
    set_fields(ty, &l);
}

/* A mutation_root field of `t`, with its description and arguments. */
static gp_field_t *mutation_field(builder_t *b, fields_t *l, const gp_table_t *t, gp_mutation_kind_t kind,
                                  const char *type, gp_field_role_t role, const char *what)
{
    gp_field_t *f = add_field(b, l, gp_names_mutation(b->a, t->gql_name, kind), type, role, t);
    f->description = gp_arena_printf(b->a, what, table_label(b, t));
    return f;
}

static void table_mutations(builder_t *b, fields_t *l, const gp_table_t *t)
{
    gp_arena_t *a = b->a;
    const char *tn = t->gql_name, *response = gp_arena_printf(a, "%s_mutation_response", tn);
    inputs_t args;
    gp_field_t *f;
    if (gp_names_has_mutation(t, GP_MUTATION_INSERT)) {
        f = mutation_field(b, l, t, GP_MUTATION_INSERT, response, GP_FIELD_INSERT, "insert data into the table: %s");
        args = (inputs_t){0};
        add_input(b, &args, "objects", gp_arena_printf(a, "[%s_insert_input!]!", tn))->description =
            "the rows to be inserted";
        on_conflict_input(b, &args, t);
        set_args(f, &args);
        f = mutation_field(b, l, t, GP_MUTATION_INSERT_ONE, tn, GP_FIELD_INSERT_ONE,
                           "insert a single row into the table: %s");
        args = (inputs_t){0};
        add_input(b, &args, "object", gp_arena_printf(a, "%s_insert_input!", tn))->description =
            "the row to be inserted";
        on_conflict_input(b, &args, t);
        set_args(f, &args);
    }
    if (gp_names_has_mutation(t, GP_MUTATION_UPDATE)) {
        f = mutation_field(b, l, t, GP_MUTATION_UPDATE, response, GP_FIELD_UPDATE, "update data of the table: %s");
        args = (inputs_t){0};
        add_input(b, &args, "where", gp_arena_printf(a, "%s_bool_exp!", tn))->description =
            "filter the rows which have to be updated";
        update_operators(b, &args, t);
        set_args(f, &args);
        f = mutation_field(b, l, t, GP_MUTATION_UPDATE_MANY, gp_arena_printf(a, "[%s]", response),
                           GP_FIELD_UPDATE_MANY, "update multiples rows of table: %s");
        args = (inputs_t){0};
        add_input(b, &args, "updates", gp_arena_printf(a, "[%s_updates!]!", tn))->description =
            "updates to execute, in order";
        set_args(f, &args);
    }
    if (gp_names_has_mutation(t, GP_MUTATION_UPDATE_BY_PK)) {
        f = mutation_field(b, l, t, GP_MUTATION_UPDATE_BY_PK, tn, GP_FIELD_UPDATE_BY_PK,
                           "update single row of the table: %s");
        args = (inputs_t){0};
        add_input(b, &args, "pk_columns", gp_arena_printf(a, "%s_pk_columns_input!", tn));
        update_operators(b, &args, t);
        set_args(f, &args);
    }
    if (gp_names_has_mutation(t, GP_MUTATION_DELETE)) {
        f = mutation_field(b, l, t, GP_MUTATION_DELETE, response, GP_FIELD_DELETE, "delete data from the table: %s");
        args = (inputs_t){0};
        add_input(b, &args, "where", gp_arena_printf(a, "%s_bool_exp!", tn))->description =
            "filter the rows which have to be deleted";
        set_args(f, &args);
    }
    if (gp_names_has_mutation(t, GP_MUTATION_DELETE_BY_PK))
        pk_args(b, mutation_field(b, l, t, GP_MUTATION_DELETE_BY_PK, tn, GP_FIELD_DELETE_BY_PK,
                                  "delete single row from the table: %s"),
                t);
}

static int cmp_field_ptr(const void *pa, const void *pb)
{
    const gp_field_t *x = *(const gp_field_t *const *)pa, *y = *(const gp_field_t *const *)pb;
    int c = strcmp(x->name, y->name);
    return c ? c : (x < y ? -1 : x > y); /* the pointers are in the order the fields were added */
}

/* Keeps the first field added of each name: update_users_many of `users` and update_users_many
 * of a table `users_many` (users_stream of `users` and the list field of a table `users_stream`)
 * cannot both be fields. */
static void drop_duplicate_fields(builder_t *b, fields_t *l, const char *root)
{
    if (l->n < 2)
        return;
    const gp_field_t **order = gp_arena_alloc(b->a, sizeof *order * (size_t)l->n);
    bool *drop = gp_arena_calloc(b->a, (size_t)l->n);
    for (int i = 0; i < l->n; i++)
        order[i] = &l->v[i];
    qsort(order, (size_t)l->n, sizeof *order, cmp_field_ptr);
    for (int i = 1; i < l->n; i++)
        if (strcmp(order[i - 1]->name, order[i]->name) == 0) {
            fprintf(stderr, "schema: two %s fields are named %s; only the first is exposed\n", root, order[i]->name);
            drop[order[i] - l->v] = true;
        }
    int n = 0;
    for (int i = 0; i < l->n; i++)
        if (!drop[i])
            l->v[n++] = l->v[i];
    l->n = n;
}

static void fill_mutation_root(builder_t *b, gp_type_t *ty)
{
    fields_t l = {0};
    ty->description = "mutation root";
    for (int i = 0; i < b->m->ntables; i++)
        table_mutations(b, &l, &b->m->tables[i]);
    for (int i = 0; i < b->m->nfunctions; i++) {
        const gp_function_t *f = &b->m->functions[i];
        if (f->mutation)
            function_field(b, &l, f->gql_name, f, GP_FIELD_MUTATION_FUNCTION, f->table);
    }
    drop_duplicate_fields(b, &l, "mutation_root");
    set_fields(ty, &l);
}

/* ---- subscriptions -------------------------------------------------------------- */

/* A column a stream's cursor can follow: one that sorts, not a list. */
static bool cursor_column(const gp_column_t *c)
{
    return gp_pgtype_sorts(c->gql_type) && !c->is_array;
}

static const gp_enum_value_t cursor_ordering_values[] = {
    {"ASC", "ascending ordering of the cursor", false, NULL},
    {"DESC", "descending ordering of the cursor", false, NULL},
};

static void fill_cursor_ordering(builder_t *b, gp_type_t *ty)
{
    ty->description = "ordering argument of a cursor";
    ty->enum_values = gp_arena_alloc(b->a, sizeof cursor_ordering_values);
    memcpy(ty->enum_values, cursor_ordering_values, sizeof cursor_ordering_values);
    ty->nenum_values = (int)(sizeof cursor_ordering_values / sizeof *cursor_ordering_values);
}

/* T_stream_cursor_input { initial_value: T_stream_cursor_value_input!, ordering: cursor_ordering } */
static void fill_stream_cursor_input(builder_t *b, gp_type_t *ty, const gp_table_t *t)
{
    inputs_t l = {0};
    ty->description = gp_arena_printf(b->a, "Streaming cursor of the table %s", table_label(b, t));
    add_input(b, &l, "initial_value", gp_arena_printf(b->a, "%s_stream_cursor_value_input!", t->gql_name))->description =
        "Stream column input with initial value";
    add_input(b, &l, "ordering", "cursor_ordering")->description = "cursor ordering";
    set_input_fields(ty, &l);
}

static void fill_stream_cursor_value_input(builder_t *b, gp_type_t *ty, const gp_table_t *t)
{
    inputs_t l = {0};
    ty->description = "Initial value of the column from where the streaming should start";
    for (int i = 0; i < t->ncolumns; i++)
        if (cursor_column(&t->columns[i]))
            add_input(b, &l, t->columns[i].gql_name, optional_type(b->a, &t->columns[i]));
    set_input_fields(ty, &l);
}

/* T_stream(batch_size, cursor, where): [T!]! */
static void stream_field(builder_t *b, fields_t *l, const gp_table_t *t)
{
    gp_arena_t *a = b->a;
    const char *tn = t->gql_name;
    gp_field_t *f = add_field(b, l, gp_arena_printf(a, "%s_stream", tn), gp_arena_printf(a, "[%s!]!", tn),
                              GP_FIELD_ROOT_STREAM, t);
    f->description = gp_arena_printf(a, "fetch data from the table in a streaming manner: %s", table_label(b, t));
    inputs_t args = {0};
    add_input(b, &args, "batch_size", "Int!")->description = "maximum number of rows returned in a single batch";
    add_input(b, &args, "cursor", gp_arena_printf(a, "[%s_stream_cursor_input]!", tn))->description =
        "cursor to stream the results returned by the query";
    add_input(b, &args, "where", gp_arena_printf(a, "%s_bool_exp", tn))->description =
        "filter the rows which have to be fetched";
    set_args(f, &args);
}

/* subscription_root: every query field (a live query) and T_stream per table. */
static void fill_subscription_root(builder_t *b, gp_type_t *ty)
{
    fields_t l = {0};
    query_fields(b, &l);
    for (int i = 0; i < b->m->ntables; i++)
        if (any_column(&b->m->tables[i], cursor_column))
            stream_field(b, &l, &b->m->tables[i]);
    drop_duplicate_fields(b, &l, "subscription_root");
    set_fields(ty, &l);
}

/* ---- pass one: which types there are -------------------------------------------- */

static void declare(builder_t *b, decl_t d)
{
    b->decls = grow(b->a, b->decls, b->ndecls, &b->cap, sizeof *b->decls);
    b->decls[b->ndecls++] = d;
}

/* Marks the tables that some array relationship T_order_by offers leads to: only they
 * get T_aggregate_order_by (as Hasura declares it). */
static void mark_array_targets(builder_t *b)
{
    const gp_model_t *m = b->m;
    b->array_target = gp_arena_calloc(b->a, sizeof(bool) * (size_t)(m->ntables + 1));
    for (int i = 0; i < m->ntables; i++)
        for (int k = 0; k < m->tables[i].nrels; k++)
            if (rel_aggregate_name(b->a, &m->tables[i], &m->tables[i].rels[k]) != NULL)
                b->array_target[m->tables[i].rels[k].target - m->tables] = true;
}

static void declare_table(builder_t *b, const gp_table_t *t)
{
    gp_arena_t *a = b->a;
    const char *tn = t->gql_name;
    declare(b, (decl_t){.name = tn, .kind = GP_KIND_OBJECT, .what = D_ROW, .table = t});
    declare(b, (decl_t){gp_arena_printf(a, "%s_bool_exp", tn), GP_KIND_INPUT_OBJECT, D_BOOL_EXP, t, NULL, NULL, NULL, NULL});
    declare(b, (decl_t){gp_arena_printf(a, "%s_order_by", tn), GP_KIND_INPUT_OBJECT, D_ORDER_BY, t, NULL, NULL, NULL, NULL});
    declare(b, (decl_t){gp_arena_printf(a, "%s_select_column", tn), GP_KIND_ENUM, D_SELECT_COLUMN, t, NULL, NULL, NULL, NULL});
    declare(b, (decl_t){gp_arena_printf(a, "%s_aggregate", tn), GP_KIND_OBJECT, D_AGGREGATE, t, NULL, NULL, NULL, NULL});
    declare(b, (decl_t){gp_arena_printf(a, "%s_aggregate_fields", tn), GP_KIND_OBJECT, D_AGGREGATE_FIELDS, t, NULL,
                        NULL, NULL, NULL});
    for (const gp_aggregate_fn_t *fn = gp_aggregate_fns; fn < gp_aggregate_fns + gp_naggregate_fns; fn++)
        if (agg_fn_has_columns(b->m, t, fn))
            declare(b, (decl_t){gp_arena_printf(a, "%s_%s_fields", tn, fn->name), GP_KIND_OBJECT, D_AGG_FN_FIELDS, t,
                                NULL, fn, NULL, NULL});
    if (b->array_target[t - b->m->tables]) {
        declare(b, (decl_t){gp_arena_printf(a, "%s_aggregate_order_by", tn), GP_KIND_INPUT_OBJECT,
                            D_AGGREGATE_ORDER_BY, t, NULL, NULL, NULL, NULL});
        for (const gp_aggregate_fn_t *fn = gp_aggregate_fns; fn < gp_aggregate_fns + gp_naggregate_fns; fn++)
            if (agg_fn_has_columns(b->m, t, fn))
                declare(b, (decl_t){gp_arena_printf(a, "%s_%s_order_by", tn, fn->name), GP_KIND_INPUT_OBJECT,
                                    D_AGG_FN_ORDER_BY, t, NULL, fn, NULL, NULL});
    }
    for (int i = 0; i < t->ncolumns; i++) {
        const gp_column_t *c = &t->columns[i];
        declare(b, (decl_t){comparison_name(a, c), GP_KIND_INPUT_OBJECT, D_COMPARISON, NULL, c, NULL, NULL, NULL});
        if (!gp_pgtype_is_builtin(c->gql_type))
            declare(b, (decl_t){c->gql_type, GP_KIND_SCALAR, D_SCALAR, NULL, NULL, NULL, NULL, NULL});
    }
}

/* The scalar a function's parameter or result has, unless GraphQL has it already. */
static void declare_scalar(builder_t *b, const char *gql_type)
{
    if (!gp_pgtype_is_builtin(gql_type))
        declare(b, (decl_t){gql_type, GP_KIND_SCALAR, D_SCALAR, NULL, NULL, NULL, NULL, NULL});
}

/* <fn>_args or T_<field>_args, the scalars of its parameters and result, and the
 * comparison input of a computed scalar that filters. */
static void declare_function(builder_t *b, const gp_function_t *f)
{
    if (f->nparams > 0)
        declare(b, (decl_t){.name = fn_args_type(b->a, f), .kind = GP_KIND_INPUT_OBJECT, .what = D_FN_ARGS,
                            .function = f});
    for (int i = 0; i < f->nparams; i++)
        declare_scalar(b, f->params[i].gql_type);
    if (f->returns != GP_FN_SCALAR)
        return;
    declare_scalar(b, f->result.gql_type);
    if (f->computed_on != NULL && computed_comparable(f))
        declare(b, (decl_t){.name = comparison_name(b->a, &f->result), .kind = GP_KIND_INPUT_OBJECT,
                            .what = D_COMPARISON, .column = &f->result});
}

/* The mutation types of `t`, for the mutations it has (schema/README, Mutations), and
 * the nested-insert inputs of the tables its relationships lead to. */
static void declare_mutation_types(builder_t *b, const gp_table_t *t)
{
    gp_arena_t *a = b->a;
    const char *tn = t->gql_name;
    if (t->insertable || t->updatable || t->deletable)
        declare(b, (decl_t){.name = gp_arena_printf(a, "%s_mutation_response", tn), .kind = GP_KIND_OBJECT,
                            .what = D_MUTATION_RESPONSE, .table = t});
    if (t->insertable) {
        declare(b, (decl_t){.name = gp_arena_printf(a, "%s_insert_input", tn), .kind = GP_KIND_INPUT_OBJECT,
                            .what = D_INSERT_INPUT, .table = t});
        for (int i = 0; i < t->nrels; i++) {
            const gp_relationship_t *r = &t->rels[i];
            bool obj = r->kind == GP_REL_OBJECT;
            if (r->target->insertable)
                declare(b, (decl_t){.name = gp_arena_printf(a, "%s_%s_rel_insert_input", r->target->gql_name,
                                                            obj ? "obj" : "arr"),
                                    .kind = GP_KIND_INPUT_OBJECT,
                                    .what = obj ? D_OBJ_REL_INSERT_INPUT : D_ARR_REL_INSERT_INPUT,
                                    .table = r->target});
        }
        if (t->nconstraints > 0) {
            declare(b, (decl_t){.name = gp_arena_printf(a, "%s_on_conflict", tn), .kind = GP_KIND_INPUT_OBJECT,
                                .what = D_ON_CONFLICT, .table = t});
            declare(b, (decl_t){.name = gp_arena_printf(a, "%s_constraint", tn), .kind = GP_KIND_ENUM,
                                .what = D_CONSTRAINT, .table = t});
            declare(b, (decl_t){.name = gp_arena_printf(a, "%s_update_column", tn), .kind = GP_KIND_ENUM,
                                .what = D_UPDATE_COLUMN, .table = t});
        }
    }
    if (!t->updatable)
        return;
    declare(b, (decl_t){.name = gp_arena_printf(a, "%s_set_input", tn), .kind = GP_KIND_INPUT_OBJECT,
                        .what = D_SET_INPUT, .table = t});
    declare(b, (decl_t){.name = gp_arena_printf(a, "%s_updates", tn), .kind = GP_KIND_INPUT_OBJECT,
                        .what = D_UPDATES, .table = t});
    if (any_column(t, inc_column))
        declare(b, (decl_t){.name = gp_arena_printf(a, "%s_inc_input", tn), .kind = GP_KIND_INPUT_OBJECT,
                            .what = D_INC_INPUT, .table = t});
    if (any_column(t, jsonb_column))
        for (int i = 0; i < NJSONB_OPS; i++)
            declare(b, (decl_t){.name = gp_arena_printf(a, "%s_%s_input", tn, jsonb_ops[i].suffix),
                                .kind = GP_KIND_INPUT_OBJECT, .what = D_JSONB_OP_INPUT, .table = t,
                                .meta = &jsonb_ops[i]});
    if (t->npk > 0)
        declare(b, (decl_t){.name = gp_arena_printf(a, "%s_pk_columns_input", tn), .kind = GP_KIND_INPUT_OBJECT,
                            .what = D_PK_COLUMNS_INPUT, .table = t});
}

/* Whether mutation_root has a field: a table's mutation or a VOLATILE function. */
static bool has_mutations(const gp_model_t *m)
{
    for (int i = 0; i < m->ntables; i++)
        if (m->tables[i].insertable || m->tables[i].updatable || m->tables[i].deletable)
            return true;
    for (int i = 0; i < m->nfunctions; i++)
        if (m->functions[i].mutation)
            return true;
    return false;
}

static void declare_all(builder_t *b)
{
    for (size_t i = 0; i < sizeof builtin_scalars / sizeof *builtin_scalars; i++)
        declare(b, (decl_t){builtin_scalars[i].name, GP_KIND_SCALAR, D_BUILTIN_SCALAR, NULL, NULL, NULL,
                            &builtin_scalars[i], NULL});
    for (size_t i = 0; i < sizeof meta_types / sizeof *meta_types; i++)
        declare(b, (decl_t){meta_types[i].name, meta_types[i].kind, D_META, NULL, NULL, NULL, &meta_types[i], NULL});
    mark_array_targets(b);
    for (int i = 0; i < b->m->ntables; i++) {
        const gp_table_t *t = &b->m->tables[i];
        declare_table(b, t);
        declare_mutation_types(b, t);
        if (any_column(t, cursor_column)) {
            declare(b, (decl_t){.name = gp_arena_printf(b->a, "%s_stream_cursor_input", t->gql_name),
                                .kind = GP_KIND_INPUT_OBJECT, .what = D_STREAM_CURSOR_INPUT, .table = t});
            declare(b, (decl_t){.name = gp_arena_printf(b->a, "%s_stream_cursor_value_input", t->gql_name),
                                .kind = GP_KIND_INPUT_OBJECT, .what = D_STREAM_CURSOR_VALUE_INPUT, .table = t});
        }
    }
    for (int i = 0; i < b->m->nfunctions; i++) /* each is one or the other: its <fn>_args is declared once */
        if (b->m->functions[i].exposed || b->m->functions[i].mutation)
            declare_function(b, &b->m->functions[i]);
    declare(b, (decl_t){"order_by", GP_KIND_ENUM, D_ORDER_BY_ENUM, NULL, NULL, NULL, NULL, NULL});
    declare(b, (decl_t){"query_root", GP_KIND_OBJECT, D_QUERY_ROOT, NULL, NULL, NULL, NULL, NULL});
    if (has_mutations(b->m))
        declare(b, (decl_t){.name = "mutation_root", .kind = GP_KIND_OBJECT, .what = D_MUTATION_ROOT});
    if (b->m->nroots > 0) { /* something to subscribe to */
        declare(b, (decl_t){.name = "subscription_root", .kind = GP_KIND_OBJECT, .what = D_SUBSCRIPTION_ROOT});
        declare(b, (decl_t){.name = "cursor_ordering", .kind = GP_KIND_ENUM, .what = D_CURSOR_ORDERING});
    }
}

static int cmp_decl(const void *pa, const void *pb)
{
    const decl_t *x = pa, *y = pb;
    int c = strcmp(x->name, y->name);
    return c ? c : (x < y ? -1 : x > y); /* stable: the first declaration wins a tie */
}

/* Sorts the declarations and keeps the first of each name: comparison inputs and
 * scalars are declared once per column that uses them. */
static void settle_decls(builder_t *b)
{
    qsort(b->decls, (size_t)b->ndecls, sizeof *b->decls, cmp_decl);
    int n = 0;
    for (int i = 0; i < b->ndecls; i++) {
        if (n > 0 && strcmp(b->decls[n - 1].name, b->decls[i].name) == 0) {
            if (b->decls[i].what != b->decls[n - 1].what)
                fprintf(stderr, "schema: two types are named %s; only the first is exposed\n", b->decls[i].name);
            continue;
        }
        b->decls[n++] = b->decls[i];
    }
    b->ndecls = n;
}

/* ---- pass two ------------------------------------------------------------------- */

static void fill(builder_t *b, gp_type_t *ty, const decl_t *d)
{
    switch (d->what) {
    case D_BUILTIN_SCALAR:
        ty->description = ((const builtin_scalar_t *)d->meta)->description;
        break;
    case D_SCALAR:
        ty->description = nonempty(scalar_comment(b->m, ty->name));
        break;
    case D_META:
        fill_meta(b, ty, d->meta);
        break;
    case D_ROW:
        fill_row(b, ty, d->table);
        break;
    case D_BOOL_EXP:
        fill_bool_exp(b, ty, d->table);
        break;
    case D_ORDER_BY:
        fill_order_by(b, ty, d->table);
        break;
    case D_SELECT_COLUMN:
        fill_select_column(b, ty, d->table);
        break;
    case D_AGGREGATE:
        fill_aggregate(b, ty, d->table);
        break;
    case D_AGGREGATE_FIELDS:
        fill_aggregate_fields(b, ty, d->table);
        break;
    case D_AGG_FN_FIELDS:
        fill_agg_fn(b, ty, d->table, d->fn, false);
        break;
    case D_AGGREGATE_ORDER_BY:
        fill_aggregate_order_by(b, ty, d->table);
        break;
    case D_AGG_FN_ORDER_BY:
        fill_agg_fn(b, ty, d->table, d->fn, true);
        break;
    case D_COMPARISON:
        fill_comparison(b, ty, d->column);
        break;
    case D_FN_ARGS:
        fill_fn_args(b, ty, d->function);
        break;
    case D_ORDER_BY_ENUM:
        fill_order_by_enum(b, ty);
        break;
    case D_QUERY_ROOT:
        fill_query_root(b, ty);
        break;
    case D_INSERT_INPUT:
        fill_insert_input(b, ty, d->table);
        break;
    case D_OBJ_REL_INSERT_INPUT:
    case D_ARR_REL_INSERT_INPUT:
        fill_rel_insert_input(b, ty, d->table, d->what == D_ARR_REL_INSERT_INPUT);
        break;
    case D_ON_CONFLICT:
        fill_on_conflict(b, ty, d->table);
        break;
    case D_CONSTRAINT:
        fill_constraint(b, ty, d->table);
        break;
    case D_UPDATE_COLUMN:
        fill_update_column(b, ty, d->table);
        break;
    case D_SET_INPUT:
    case D_INC_INPUT:
        fill_set_input(b, ty, d->table, d->what == D_INC_INPUT);
        break;
    case D_JSONB_OP_INPUT:
        fill_jsonb_op_input(b, ty, d->table, d->meta);
        break;
    case D_PK_COLUMNS_INPUT:
        fill_pk_columns_input(b, ty, d->table);
        break;
    case D_UPDATES:
        fill_updates(b, ty, d->table);
        break;
    case D_MUTATION_RESPONSE:
        fill_mutation_response(b, ty, d->table);
        break;
    case D_MUTATION_ROOT:
        fill_mutation_root(b, ty);
        break;
    case D_STREAM_CURSOR_INPUT:
        fill_stream_cursor_input(b, ty, d->table);
        break;
    case D_STREAM_CURSOR_VALUE_INPUT:
        fill_stream_cursor_value_input(b, ty, d->table);
        break;
    case D_CURSOR_ORDERING:
        fill_cursor_ordering(b, ty);
        break;
    case D_SUBSCRIPTION_ROOT:
        fill_subscription_root(b, ty);
        break;
    }
}

gp_schema_t *gp_schema_build(const gp_model_t *m)
{
    gp_arena_t *a = gp_arena_new(64 * 1024);
    builder_t b = {.a = a, .m = m};
    b.s = gp_arena_new_obj(a, gp_schema_t);
    b.s->arena = a;
    b.s->model = m;
    declare_all(&b);
    settle_decls(&b);
    b.s->types = gp_arena_calloc(a, sizeof *b.s->types * (size_t)b.ndecls);
    b.s->ntypes = b.ndecls;
    for (int i = 0; i < b.ndecls; i++) {
        gp_type_t *ty = &b.s->types[i];
        ty->name = b.decls[i].name;
        ty->kind = b.decls[i].kind;
        if (b.decls[i].what == D_ROW || b.decls[i].what == D_BOOL_EXP || b.decls[i].what == D_ORDER_BY ||
            b.decls[i].what == D_SELECT_COLUMN || b.decls[i].what >= D_INSERT_INPUT)
            ty->table = b.decls[i].table; /* NULL for mutation_root */
    }
    for (int i = 0; i < b.ndecls; i++)
        fill(&b, &b.s->types[i], &b.decls[i]);
    b.s->query = gp_schema_type(b.s, "query_root");
    b.s->mutation = gp_schema_type(b.s, "mutation_root");
    b.s->subscription = gp_schema_type(b.s, "subscription_root");
    build_directives(&b);
    return b.s;
}

void gp_schema_free(gp_schema_t *s)
{
    if (s)
        gp_arena_free(s->arena);
}

/* ---- lookups -------------------------------------------------------------------- */

/* Binary search over an array of structs sorted by their `name` member at `name_off`. */
static const void *find_sorted(const void *base, int n, size_t size, size_t name_off, const char *name)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        const char *p = (const char *)base + size * (size_t)mid;
        int c = strcmp(*(const char *const *)(p + name_off), name);
        if (c == 0)
            return p;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

#define FIND(arr, n, type, key) ((const type *)find_sorted((arr), (n), sizeof(type), offsetof(type, name), (key)))

const gp_aggregate_fn_t *gp_aggregate_fn(const char *name)
{
    return FIND(gp_aggregate_fns, gp_naggregate_fns, gp_aggregate_fn_t, name);
}

const gp_type_t *gp_schema_type(const gp_schema_t *s, const char *name)
{
    return FIND(s->types, s->ntypes, gp_type_t, name);
}

const gp_directive_def_t *gp_schema_directive(const gp_schema_t *s, const char *name)
{
    return FIND(s->directives, s->ndirectives, gp_directive_def_t, name);
}

const gp_field_t *gp_type_field(const gp_type_t *t, const char *name)
{
    return FIND(t->fields, t->nfields, gp_field_t, name);
}

const gp_input_value_t *gp_type_input_field(const gp_type_t *t, const char *name)
{
    return FIND(t->input_fields, t->ninput_fields, gp_input_value_t, name);
}

const gp_input_value_t *gp_field_arg(const gp_field_t *f, const char *name)
{
    return FIND(f->args, f->nargs, gp_input_value_t, name);
}

const gp_input_value_t *gp_directive_arg(const gp_directive_def_t *d, const char *name)
{
    return FIND(d->args, d->nargs, gp_input_value_t, name);
}

const gp_enum_value_t *gp_type_enum_value(const gp_type_t *t, const char *name)
{
    for (int i = 0; i < t->nenum_values; i++)
        if (strcmp(t->enum_values[i].name, name) == 0)
            return &t->enum_values[i];
    return NULL;
}

bool gp_field_args_keyed(const gp_field_t *f)
{
    return (f->role == GP_FIELD_ROOT_BY_PK || f->role == GP_FIELD_DELETE_BY_PK) && f->table != NULL &&
           f->table->npk == f->nargs;
}

const gp_type_t *gp_typeref_named(const gp_typeref_t *r)
{
    while (r->kind != GP_REF_NAMED)
        r = r->of;
    return r->named;
}

const char *gp_typeref_string(gp_arena_t *a, const gp_typeref_t *r)
{
    switch (r->kind) {
    case GP_REF_LIST:
        return gp_arena_printf(a, "[%s]", gp_typeref_string(a, r->of));
    case GP_REF_NON_NULL:
        return gp_arena_printf(a, "%s!", gp_typeref_string(a, r->of));
    default:
        return r->named->name;
    }
}

bool gp_type_is_input(const gp_type_t *t)
{
    return t->kind == GP_KIND_SCALAR || t->kind == GP_KIND_ENUM || t->kind == GP_KIND_INPUT_OBJECT;
}

bool gp_type_is_output(const gp_type_t *t)
{
    return t->kind != GP_KIND_INPUT_OBJECT;
}

bool gp_type_is_composite(const gp_type_t *t)
{
    return t->kind == GP_KIND_OBJECT || t->kind == GP_KIND_INTERFACE || t->kind == GP_KIND_UNION;
}

bool gp_type_is_leaf(const gp_type_t *t)
{
    return t->kind == GP_KIND_SCALAR || t->kind == GP_KIND_ENUM;
}
