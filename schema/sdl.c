/* schema/sdl.c — the GraphQL schema derived from the model, printed as SDL.
 *
 * Every definition and every field is sorted by name, so the same model always
 * prints the same text (golden-file tests diff it). Descriptions come from the
 * database's comments only. Aggregates follow Hasura: T_aggregate { aggregate, nodes },
 * count for every table, sum/avg/stddev/variance over numeric columns and min/max
 * over the columns PostgreSQL has min() and max() for. Columns whose names are not GraphQL names cannot be queried and are left out. */
#include "schema/sdl.h"

#include <stdlib.h>
#include <string.h>

#include "schema/names.h"
#include "schema/pgtype.h"

typedef struct {
    const char *name;
    const char *text;
    const gp_column_t *col; /* for comparison inputs: a column of that type */
} item_t;

typedef struct {
    gp_arena_t *a;
    item_t *v;
    int n, cap;
} items_t;

static void items_add(items_t *l, const char *name, const char *text)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        item_t *v = gp_arena_alloc(l->a, sizeof *v * (size_t)cap);
        if (l->n)
            memcpy(v, l->v, sizeof *v * (size_t)l->n);
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (item_t){name, text, NULL};
}

static bool items_has(const items_t *l, const char *name)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0)
            return true;
    return false;
}

static int cmp_item(const void *pa, const void *pb)
{
    return strcmp(((const item_t *)pa)->name, ((const item_t *)pb)->name);
}

/* Appends the items sorted by name, each followed by `sep`. */
static void items_print(items_t *l, gp_strbuf_t *sb, const char *sep)
{
    qsort(l->v, (size_t)l->n, sizeof *l->v, cmp_item);
    for (int i = 0; i < l->n; i++) {
        gp_strbuf_puts(sb, l->v[i].text);
        gp_strbuf_puts(sb, sep);
    }
}

/* A description as a block string at `indent`, or "" when there is no comment.
 * Inside a block string only `"""` needs escaping; control characters other than
 * tab and newline are not allowed in GraphQL source, so they become spaces. */
static const char *description(gp_arena_t *a, const char *text, const char *indent)
{
    if (text == NULL || *text == '\0')
        return "";
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, (size_t)1 << 20);
    size_t n = strlen(text);
    bool multiline = strchr(text, '\n') != NULL || text[n - 1] == '"' || text[n - 1] == '\\';
    gp_strbuf_printf(&sb, "%s\"\"\"%s%s", indent, multiline ? "\n" : "", multiline ? indent : "");
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (strncmp(p, "\"\"\"", 3) == 0) {
            gp_strbuf_lit(&sb, "\\\"\"\"");
            p += 2;
        } else if (c == '\n') {
            gp_strbuf_putc(&sb, '\n');
            gp_strbuf_puts(&sb, indent);
        } else if (c == '\r') {
            continue;
        } else {
            gp_strbuf_putc(&sb, c < 0x20 && c != '\t' ? ' ' : (char)c);
        }
    }
    gp_strbuf_printf(&sb, "%s%s\"\"\"\n", multiline ? "\n" : "", multiline ? indent : "");
    return sb.data;
}

static const char *column_type(gp_arena_t *a, const gp_column_t *c)
{
    return gp_arena_printf(a, c->is_array ? "[%s!]%s" : "%s%s", c->gql_type, c->nullable ? "" : "!");
}

static const char *comparison_name(gp_arena_t *a, const gp_column_t *c)
{
    return gp_arena_printf(a, "%s_%scomparison_exp", c->gql_type, c->is_array ? "array_" : "");
}

/* The arguments of a list of rows, a root field or an array relationship. */
static const char *list_args(gp_arena_t *a, const char *t)
{
    return gp_arena_printf(a,
                           "(distinct_on: [%s_select_column!], limit: Int, offset: Int, "
                           "order_by: [%s_order_by!], where: %s_bool_exp)",
                           t, t, t);
}

static bool all_not_null(const gp_table_t *t, const gp_relationship_t *r)
{
    for (int i = 0; i < r->ncols; i++)
        if (t->columns[r->local_cols[i]].nullable)
            return false;
    return true;
}

static const char *typedef_text(gp_arena_t *a, const char *desc, const char *head, items_t *fields)
{
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, (size_t)1 << 24);
    gp_strbuf_puts(&sb, desc);
    gp_strbuf_printf(&sb, "%s {\n", head);
    items_print(fields, &sb, "");
    gp_strbuf_lit(&sb, "}\n");
    return sb.data;
}

static void object_type(gp_arena_t *a, const gp_table_t *t, items_t *defs)
{
    items_t f = {.a = a};
    for (int i = 0; i < t->ncolumns; i++) {
        const gp_column_t *c = &t->columns[i];
        if (gp_names_is_valid(c->name))
            items_add(&f, c->name,
                      gp_arena_printf(a, "%s  %s: %s\n", description(a, c->comment, "  "), c->name,
                                      column_type(a, c)));
    }
    for (int i = 0; i < t->nrels; i++) {
        const gp_relationship_t *r = &t->rels[i];
        const char *tn = r->target->gql_name;
        if (r->kind == GP_REL_OBJECT)
            items_add(&f, r->name, gp_arena_printf(a, "  %s: %s%s\n", r->name, tn, all_not_null(t, r) ? "!" : ""));
        else
            items_add(&f, r->name, gp_arena_printf(a, "  %s%s: [%s!]!\n", r->name, list_args(a, tn), tn));
    }
    /* posts → posts_aggregate, unless a column or relationship already has that name. */
    for (int i = 0; i < t->nrels; i++) {
        const gp_relationship_t *r = &t->rels[i];
        const char *name = gp_arena_printf(a, "%s_aggregate", r->name);
        if (r->kind == GP_REL_ARRAY && !items_has(&f, name))
            items_add(&f, name, gp_arena_printf(a, "  %s%s: %s_aggregate!\n", name, list_args(a, r->target->gql_name),
                                                r->target->gql_name));
    }
    items_add(defs, t->gql_name,
              typedef_text(a, description(a, t->comment, ""), gp_arena_printf(a, "type %s", t->gql_name), &f));
}

static void bool_exp(gp_arena_t *a, const gp_table_t *t, items_t *defs, items_t *comparisons)
{
    const char *name = gp_arena_printf(a, "%s_bool_exp", t->gql_name);
    items_t f = {.a = a};
    items_add(&f, "_and", gp_arena_printf(a, "  _and: [%s!]\n", name));
    items_add(&f, "_not", gp_arena_printf(a, "  _not: %s\n", name));
    items_add(&f, "_or", gp_arena_printf(a, "  _or: [%s!]\n", name));
    for (int i = 0; i < t->ncolumns; i++) {
        const gp_column_t *c = &t->columns[i];
        if (!gp_names_is_valid(c->name))
            continue;
        const char *cmp = comparison_name(a, c);
        items_add(&f, c->name, gp_arena_printf(a, "  %s: %s\n", c->name, cmp));
        if (!items_has(comparisons, cmp)) {
            items_add(comparisons, cmp, NULL); /* its text is written once all are known */
            comparisons->v[comparisons->n - 1].col = c;
        }
    }
    for (int i = 0; i < t->nrels; i++)
        items_add(&f, t->rels[i].name,
                  gp_arena_printf(a, "  %s: %s_bool_exp\n", t->rels[i].name, t->rels[i].target->gql_name));
    items_add(defs, name, typedef_text(a, "", gp_arena_printf(a, "input %s", name), &f));
}

static void order_by(gp_arena_t *a, const gp_table_t *t, items_t *defs)
{
    const char *name = gp_arena_printf(a, "%s_order_by", t->gql_name);
    items_t f = {.a = a};
    for (int i = 0; i < t->ncolumns; i++) {
        const gp_column_t *c = &t->columns[i];
        /* json has no ordering operator; everything else sorts. */
        if (gp_names_is_valid(c->name) && strcmp(c->gql_type, "json") != 0)
            items_add(&f, c->name, gp_arena_printf(a, "  %s: order_by\n", c->name));
    }
    for (int i = 0; i < t->nrels; i++)
        if (t->rels[i].kind == GP_REL_OBJECT)
            items_add(&f, t->rels[i].name,
                      gp_arena_printf(a, "  %s: %s_order_by\n", t->rels[i].name, t->rels[i].target->gql_name));
    items_add(defs, name, typedef_text(a, "", gp_arena_printf(a, "input %s", name), &f));
}

static void select_column(gp_arena_t *a, const gp_table_t *t, items_t *defs)
{
    const char *name = gp_arena_printf(a, "%s_select_column", t->gql_name);
    items_t f = {.a = a};
    for (int i = 0; i < t->ncolumns; i++) {
        const char *c = t->columns[i].name;
        /* true, false and null are not allowed as enum values. */
        if (gp_names_is_valid(c) && strcmp(c, "true") != 0 && strcmp(c, "false") != 0 && strcmp(c, "null") != 0)
            items_add(&f, c, gp_arena_printf(a, "  %s\n", c));
    }
    if (f.n == 0) /* an enum needs a value; a table of only unusable names still gets a type */
        items_add(&f, "_", "  _\n");
    items_add(defs, name, typedef_text(a, "", gp_arena_printf(a, "enum %s", name), &f));
}

/* The text of one `<scalar>_comparison_exp` or `<scalar>_array_comparison_exp`. */
static const char *comparison_text(gp_arena_t *a, const char *name, const gp_column_t *c)
{
    const char *x = c->is_array ? gp_arena_printf(a, "[%s!]", c->gql_type) : c->gql_type;
    items_t f = {.a = a};
    static const char *const scalar_ops[] = {"_eq", "_gt", "_gte", "_lt", "_lte", "_neq"};
    for (size_t i = 0; i < sizeof scalar_ops / sizeof *scalar_ops; i++)
        items_add(&f, scalar_ops[i], gp_arena_printf(a, "  %s: %s\n", scalar_ops[i], x));
    items_add(&f, "_in", gp_arena_printf(a, "  _in: [%s!]\n", x));
    items_add(&f, "_nin", gp_arena_printf(a, "  _nin: [%s!]\n", x));
    items_add(&f, "_is_null", "  _is_null: Boolean\n");
    if (c->is_array) {
        items_add(&f, "_contains", gp_arena_printf(a, "  _contains: %s\n", x));
        items_add(&f, "_contained_in", gp_arena_printf(a, "  _contained_in: %s\n", x));
    } else if (gp_pgtype_has_text_ops(x)) {
        static const char *const text_ops[] = {"_like", "_ilike", "_nlike", "_nilike", "_similar", "_regex", "_iregex"};
        for (size_t i = 0; i < sizeof text_ops / sizeof *text_ops; i++)
            items_add(&f, text_ops[i], gp_arena_printf(a, "  %s: %s\n", text_ops[i], x));
    } else if (gp_pgtype_has_jsonb_ops(x)) {
        items_add(&f, "_contains", gp_arena_printf(a, "  _contains: %s\n", x));
        items_add(&f, "_contained_in", gp_arena_printf(a, "  _contained_in: %s\n", x));
        items_add(&f, "_has_key", "  _has_key: String\n");
        items_add(&f, "_has_keys_all", "  _has_keys_all: [String!]\n");
        items_add(&f, "_has_keys_any", "  _has_keys_any: [String!]\n");
    }
    return typedef_text(a, "", gp_arena_printf(a, "input %s", name), &f);
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

static void scalars(gp_arena_t *a, const gp_model_t *m, items_t *defs)
{
    items_t seen = {.a = a};
    for (int i = 0; i < m->ntables; i++)
        for (int k = 0; k < m->tables[i].ncolumns; k++) {
            const char *s = m->tables[i].columns[k].gql_type;
            if (gp_pgtype_is_builtin(s) || items_has(&seen, s))
                continue;
            items_add(&seen, s, s);
            items_add(defs, s, gp_arena_printf(a, "%sscalar %s\n", description(a, scalar_comment(m, s), ""), s));
        }
}

typedef enum { AGG_NONE, AGG_MINMAX, AGG_NUMERIC } agg_class_t;

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
static agg_class_t agg_class(const gp_model_t *m, const gp_column_t *c)
{
    static const char *const numeric[] = {"Int", "Float", "bigint", "numeric", NULL};
    static const char *const ordered[] = {"String", "bpchar", "date", "time", "timetz", "timestamp",
                                          "timestamptz", "interval", "money", "inet", NULL};
    static const char *const base_numeric[] = {"smallint", "integer", "bigint", "real", "double precision",
                                               "numeric", NULL};
    static const char *const base_ordered[] = {"text", "character", "date", "time", "timestamp", "interval",
                                               "money", "inet", NULL};
    if (c->is_array)
        return AGG_NONE;
    if (in_list(c->gql_type, numeric))
        return AGG_NUMERIC;
    if (in_list(c->gql_type, ordered))
        return AGG_MINMAX;
    for (int i = 0; i < m->nenums; i++)
        if (strcmp(m->enums[i].gql_name, c->gql_type) == 0)
            return AGG_MINMAX;
    for (int i = 0; i < m->ndomains; i++)
        if (strcmp(m->domains[i].gql_name, c->gql_type) == 0) {
            if (starts_with_any(m->domains[i].base_pg_type, base_numeric))
                return AGG_NUMERIC;
            if (starts_with_any(m->domains[i].base_pg_type, base_ordered))
                return AGG_MINMAX;
        }
    return AGG_NONE;
}

/* `type T_<fn>_fields` with the columns of at least class `need`, typed Float or as the
 * column; returns false (and prints nothing) when no column qualifies. */
static bool agg_fields(gp_arena_t *a, const gp_model_t *m, const gp_table_t *t, const char *fn,
                       agg_class_t need, bool as_float, items_t *defs)
{
    items_t f = {.a = a};
    for (int i = 0; i < t->ncolumns; i++) {
        const gp_column_t *c = &t->columns[i];
        if (gp_names_is_valid(c->name) && agg_class(m, c) >= need)
            items_add(&f, c->name, gp_arena_printf(a, "  %s: %s\n", c->name, as_float ? "Float" : c->gql_type));
    }
    if (f.n == 0)
        return false;
    const char *name = gp_arena_printf(a, "%s_%s_fields", t->gql_name, fn);
    items_add(defs, name, typedef_text(a, "", gp_arena_printf(a, "type %s", name), &f));
    return true;
}

static void aggregate(gp_arena_t *a, const gp_model_t *m, const gp_table_t *t, items_t *defs)
{
    static const char *const stats[] = {"avg", "stddev", "stddev_pop", "stddev_samp",
                                        "var_pop", "var_samp", "variance", NULL};
    const char *tn = t->gql_name;
    items_t f = {.a = a};
    items_add(&f, "count", gp_arena_printf(a, "  count(columns: [%s_select_column!], distinct: Boolean): Int!\n", tn));
    for (const char *const *fn = stats; *fn; fn++)
        if (agg_fields(a, m, t, *fn, AGG_NUMERIC, /* as_float= */ true, defs))
            items_add(&f, *fn, gp_arena_printf(a, "  %s: %s_%s_fields\n", *fn, tn, *fn));
    if (agg_fields(a, m, t, "sum", AGG_NUMERIC, /* as_float= */ false, defs))
        items_add(&f, "sum", gp_arena_printf(a, "  sum: %s_sum_fields\n", tn));
    static const char *const minmax[] = {"max", "min", NULL};
    for (const char *const *fn = minmax; *fn; fn++)
        if (agg_fields(a, m, t, *fn, AGG_MINMAX, /* as_float= */ false, defs))
            items_add(&f, *fn, gp_arena_printf(a, "  %s: %s_%s_fields\n", *fn, tn, *fn));
    const char *fields = gp_arena_printf(a, "%s_aggregate_fields", tn);
    items_add(defs, fields, typedef_text(a, "", gp_arena_printf(a, "type %s", fields), &f));
    const char *name = gp_arena_printf(a, "%s_aggregate", tn);
    items_add(defs, name,
              gp_arena_printf(a, "type %s {\n  aggregate: %s\n  nodes: [%s!]!\n}\n", name, fields, tn));
}

static void query_root(gp_arena_t *a, const gp_model_t *m, items_t *defs)
{
    items_t f = {.a = a};
    for (int i = 0; i < m->nroots; i++) {
        const gp_root_field_t *r = &m->roots[i];
        const gp_table_t *t = r->table;
        if (r->kind == GP_ROOT_LIST) {
            items_add(&f, r->name, gp_arena_printf(a, "  %s%s: [%s!]!\n", r->name, list_args(a, t->gql_name), t->gql_name));
        } else if (r->kind == GP_ROOT_BY_PK) {
            gp_strbuf_t sb;
            gp_strbuf_init(&sb, a, (size_t)1 << 20);
            gp_strbuf_printf(&sb, "  %s(", r->name);
            for (int k = 0; k < t->npk; k++) {
                const gp_column_t *c = &t->columns[t->pk[k]];
                gp_strbuf_printf(&sb, "%s%s: %s%s", k ? ", " : "", c->name, column_type(a, c), c->nullable ? "!" : "");
            }
            gp_strbuf_printf(&sb, "): %s\n", t->gql_name);
            items_add(&f, r->name, sb.data);
        } else {
            items_add(&f, r->name, gp_arena_printf(a, "  %s%s: %s_aggregate!\n", r->name, list_args(a, t->gql_name),
                                                   t->gql_name));
        }
    }
    items_add(defs, "query_root", typedef_text(a, "", "type query_root", &f));
}

static const char order_by_enum[] =
    "\"\"\"column ordering options\"\"\"\n"
    "enum order_by {\n"
    "  \"\"\"in ascending order, nulls last\"\"\"\n"
    "  asc\n"
    "  \"\"\"in ascending order, nulls first\"\"\"\n"
    "  asc_nulls_first\n"
    "  \"\"\"in ascending order, nulls last\"\"\"\n"
    "  asc_nulls_last\n"
    "  \"\"\"in descending order, nulls first\"\"\"\n"
    "  desc\n"
    "  \"\"\"in descending order, nulls first\"\"\"\n"
    "  desc_nulls_first\n"
    "  \"\"\"in descending order, nulls last\"\"\"\n"
    "  desc_nulls_last\n"
    "}\n";

void gp_sdl_print(const gp_model_t *m, gp_strbuf_t *out)
{
    gp_arena_t *a = gp_arena_new(64 * 1024); /* scratch: the pieces before they are sorted */
    items_t defs = {.a = a}, comparisons = {.a = a};
    for (int i = 0; i < m->ntables; i++) {
        const gp_table_t *t = &m->tables[i];
        object_type(a, t, &defs);
        bool_exp(a, t, &defs, &comparisons);
        order_by(a, t, &defs);
        select_column(a, t, &defs);
        aggregate(a, m, t, &defs);
    }
    for (int i = 0; i < comparisons.n; i++)
        items_add(&defs, comparisons.v[i].name,
                  comparison_text(a, comparisons.v[i].name, comparisons.v[i].col));
    scalars(a, m, &defs);
    items_add(&defs, "order_by", order_by_enum);
    query_root(a, m, &defs);
    gp_strbuf_lit(out, "schema {\n  query: query_root\n}\n\n");
    items_print(&defs, out, "\n");
    gp_strbuf_truncate(out, out->len - 1); /* one newline at the end, not a blank line */
    gp_arena_free(a);
}
