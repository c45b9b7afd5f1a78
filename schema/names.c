/* schema/names.c — Hasura-compatible GraphQL names; the rules are in schema/README.
 *
 * Relationship names are settled per table in rounds over the whole set of that
 * table's relationships, never one at a time, so the result does not depend on the
 * order in which the catalog listed the foreign keys. */
#include "schema/names.h"

#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"

static bool is_name_char(char c, bool first)
{
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (!first && c >= '0' && c <= '9');
}

bool gp_names_is_valid(const char *s)
{
    if (*s == '\0' || (s[0] == '_' && s[1] == '_')) /* `__` is GraphQL's, for introspection */
        return false;
    for (const char *p = s; *p; p++)
        if (!is_name_char(*p, p == s))
            return false;
    return true;
}

const char *gp_names_sanitize(gp_arena_t *a, const char *s)
{
    if (gp_names_is_valid(s))
        return s;
    size_t n = strlen(s);
    char *out = gp_arena_alloc(a, n + 2), *o = out;
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        *o++ = '_';
    for (; *s; s++)
        *o++ = is_name_char(*s, false) ? *s : '_';
    *o = '\0';
    size_t lead = strspn(out, "_");
    if (lead > 1) /* `__typename` → `_typename`: one `_` is left of a leading run */
        memmove(out, out + lead - 1, strlen(out + lead - 1) + 1);
    return out;
}

const char *gp_names_table(gp_arena_t *a, const char *schema, const char *name, const char *default_schema)
{
    if (strcmp(schema, default_schema) == 0)
        return gp_names_sanitize(a, name);
    return gp_names_sanitize(a, gp_arena_printf(a, "%s_%s", schema, name));
}

const char *gp_names_type(gp_arena_t *a, const char *schema, const char *name, const char *default_schema)
{
    if (strcmp(schema, "pg_catalog") == 0)
        return gp_names_sanitize(a, name);
    return gp_names_table(a, schema, name, default_schema);
}

const char *gp_names_root(gp_arena_t *a, const char *table, gp_root_kind_t kind)
{
    switch (kind) {
    case GP_ROOT_BY_PK:
        return gp_arena_printf(a, "%s_by_pk", table);
    case GP_ROOT_AGGREGATE:
    case GP_ROOT_FUNCTION_AGGREGATE:
        return gp_arena_printf(a, "%s_aggregate", table);
    case GP_ROOT_LIST:
    case GP_ROOT_FUNCTION:
        break;
    }
    return table;
}

/* Each mutation_root field of a table: prefix, the table's GraphQL name, suffix. */
static const struct {
    const char *prefix, *suffix;
} mutation_forms[GP_MUTATION_KINDS] = {
    [GP_MUTATION_INSERT] = {"insert_", ""},         [GP_MUTATION_INSERT_ONE] = {"insert_", "_one"},
    [GP_MUTATION_UPDATE] = {"update_", ""},         [GP_MUTATION_UPDATE_BY_PK] = {"update_", "_by_pk"},
    [GP_MUTATION_UPDATE_MANY] = {"update_", "_many"}, [GP_MUTATION_DELETE] = {"delete_", ""},
    [GP_MUTATION_DELETE_BY_PK] = {"delete_", "_by_pk"},
};

const char *gp_names_mutation(gp_arena_t *a, const char *table, gp_mutation_kind_t kind)
{
    return gp_arena_printf(a, "%s%s%s", mutation_forms[kind].prefix, table, mutation_forms[kind].suffix);
}

bool gp_names_has_mutation(const gp_table_t *t, gp_mutation_kind_t kind)
{
    switch (kind) {
    case GP_MUTATION_INSERT:
    case GP_MUTATION_INSERT_ONE:
        return t->insertable;
    case GP_MUTATION_UPDATE:
    case GP_MUTATION_UPDATE_MANY:
        return t->updatable;
    case GP_MUTATION_UPDATE_BY_PK:
        return t->updatable && t->npk > 0;
    case GP_MUTATION_DELETE:
        return t->deletable;
    case GP_MUTATION_DELETE_BY_PK:
        return t->deletable && t->npk > 0;
    }
    return false;
}

const gp_table_t *gp_names_table_mutation(const gp_model_t *m, const char *name)
{
    char table[512];
    size_t n = strlen(name);
    for (int k = 0; k < GP_MUTATION_KINDS; k++) {
        const char *prefix = mutation_forms[k].prefix, *suffix = mutation_forms[k].suffix;
        size_t np = strlen(prefix), ns = strlen(suffix);
        if (n <= np + ns || n - np - ns >= sizeof table || strncmp(name, prefix, np) != 0 ||
            strcmp(name + n - ns, suffix) != 0)
            continue;
        memcpy(table, name + np, n - np - ns);
        table[n - np - ns] = '\0';
        const gp_table_t *t = gp_model_table(m, table);
        if (t != NULL && gp_names_has_mutation(t, (gp_mutation_kind_t)k))
            return t;
    }
    return NULL;
}

/* ---- constraints ---- */

static bool is_enum_keyword(const char *s)
{
    return strcmp(s, "true") == 0 || strcmp(s, "false") == 0 || strcmp(s, "null") == 0;
}

static bool constraint_name_taken(const gp_table_t *t, const char *name, int self)
{
    for (int i = 0; i < t->nconstraints; i++)
        if (i != self && t->constraints[i].gql_name != NULL && strcmp(t->constraints[i].gql_name, name) == 0)
            return true;
    return false;
}

void gp_names_constraints(gp_arena_t *a, gp_table_t *t)
{
    int n = t->nconstraints;
    const char **cand = gp_arena_alloc(a, sizeof *cand * (size_t)(n ? n : 1));
    bool *clash = gp_arena_calloc(a, (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        t->constraints[i].gql_name = NULL;
        cand[i] = gp_names_sanitize(a, t->constraints[i].name);
    }
    /* As columns: a GraphQL name keeps itself; a sanitized one keeps its text when no
     * other constraint ends up with the same. */
    for (int i = 0; i < n; i++) {
        bool sanitized = cand[i] != t->constraints[i].name;
        clash[i] = is_enum_keyword(cand[i]);
        for (int j = 0; j < n && sanitized && !clash[i]; j++)
            clash[i] = j != i && strcmp(cand[i], cand[j]) == 0;
        if (!clash[i])
            t->constraints[i].gql_name = cand[i];
    }
    for (int i = 0; i < n; i++) {
        if (!clash[i])
            continue;
        const char *name;
        for (int suffix = 1;; suffix++) {
            name = gp_arena_printf(a, "%s_%d", cand[i], suffix);
            if (!constraint_name_taken(t, name, i))
                break;
        }
        t->constraints[i].gql_name = name;
    }
}

/* ---- relationships ---- */

/* The name a relationship gets when nothing collides with it. */
static const char *base_name(gp_arena_t *a, const gp_relationship_t *r)
{
    const gp_fkey_t *fk = r->fkey;
    if (r->kind == GP_REL_ARRAY)
        return fk->from->gql_name;
    if (fk->ncols == 1) {
        const char *col = fk->from->columns[fk->from_cols[0]].gql_name;
        size_t n = strlen(col);
        if (n > 3 && strcmp(col + n - 3, "_id") == 0)
            return gp_names_sanitize(a, gp_arena_strndup(a, col, n - 3));
    }
    return fk->to->gql_name;
}

/* `_by_` and the foreign key's own columns (on the referencing table), joined by `_`. */
static const char *by_columns(gp_arena_t *a, const gp_relationship_t *r)
{
    const gp_fkey_t *fk = r->fkey;
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, (size_t)1 << 20);
    gp_strbuf_puts(&sb, r->name);
    gp_strbuf_lit(&sb, "_by");
    for (int i = 0; i < fk->ncols; i++) {
        gp_strbuf_putc(&sb, '_');
        gp_strbuf_puts(&sb, fk->from->columns[fk->from_cols[i]].gql_name);
    }
    return gp_names_sanitize(a, sb.data);
}

static bool taken(const gp_table_t *t, const gp_relationship_t *rels, int nrels, int self)
{
    const char *name = rels[self].name;
    for (int i = 0; i < nrels; i++)
        if (i != self && strcmp(rels[i].name, name) == 0)
            return true;
    for (int i = 0; i < t->ncolumns; i++)
        if (strcmp(t->columns[i].gql_name, name) == 0)
            return true;
    return false;
}

/* Marks the relationships whose current name collides; returns how many. */
static int find_collisions(const gp_table_t *t, const gp_relationship_t *rels, int n, bool *clash)
{
    int count = 0;
    for (int i = 0; i < n; i++)
        count += (clash[i] = taken(t, rels, n, i));
    return count;
}

/* Orders colliding relationships for the last-resort numbering: object before array,
 * then by target table, then by constraint name (unique per table). */
static int rel_order(const void *pa, const void *pb)
{
    const gp_relationship_t *a = *(const gp_relationship_t *const *)pa, *b = *(const gp_relationship_t *const *)pb;
    int c;
    if (a->kind != b->kind)
        return a->kind == GP_REL_OBJECT ? -1 : 1;
    if ((c = strcmp(a->target->gql_name, b->target->gql_name)) != 0)
        return c;
    if ((c = strcmp(a->fkey->from->gql_name, b->fkey->from->gql_name)) != 0)
        return c;
    return strcmp(a->fkey->name, b->fkey->name);
}

static void number_collisions(gp_arena_t *a, gp_relationship_t *rels, int n, const bool *clash)
{
    gp_relationship_t **group = gp_arena_alloc(a, sizeof *group * (size_t)n);
    bool *done = gp_arena_calloc(a, (size_t)n);
    for (int i = 0; i < n; i++) {
        if (!clash[i] || done[i])
            continue;
        int k = 0;
        const char *name = rels[i].name;
        for (int j = i; j < n; j++)
            if (clash[j] && !done[j] && strcmp(rels[j].name, name) == 0) {
                group[k++] = &rels[j];
                done[j] = true;
            }
        qsort(group, (size_t)k, sizeof *group, rel_order);
        for (int j = 0; j < k; j++)
            group[j]->name = gp_arena_printf(a, "%s_%d", name, j + 1);
    }
}

static int rel_by_name(const void *pa, const void *pb)
{
    return strcmp(((const gp_relationship_t *)pa)->name, ((const gp_relationship_t *)pb)->name);
}

static void name_table_relationships(gp_arena_t *a, gp_table_t *t)
{
    int n = t->nrels;
    gp_relationship_t *rels = t->rels;
    bool *clash = gp_arena_calloc(a, (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        rels[i].name = base_name(a, &rels[i]);
    if (find_collisions(t, rels, n, clash) > 0) {
        for (int i = 0; i < n; i++)
            if (clash[i])
                rels[i].name = by_columns(a, &rels[i]);
        if (find_collisions(t, rels, n, clash) > 0)
            number_collisions(a, rels, n, clash);
    }
    qsort(rels, (size_t)n, sizeof *rels, rel_by_name);
}

void gp_names_relationships(gp_model_t *m)
{
    gp_arena_t *a = m->arena;
    for (int i = 0; i < m->ntables; i++) {
        gp_table_t *t = &m->tables[i];
        int n = 0;
        for (int f = 0; f < m->nfkeys; f++)
            n += (m->fkeys[f].from == t) + (m->fkeys[f].to == t);
        t->nrels = 0;
        t->rels = gp_arena_calloc(a, sizeof *t->rels * (size_t)(n ? n : 1));
        for (int f = 0; f < m->nfkeys; f++) {
            const gp_fkey_t *fk = &m->fkeys[f];
            if (fk->from == t)
                t->rels[t->nrels++] = (gp_relationship_t){GP_REL_OBJECT, NULL, fk, fk->to, fk->ncols,
                                                          fk->from_cols, fk->to_cols};
            if (fk->to == t)
                t->rels[t->nrels++] = (gp_relationship_t){GP_REL_ARRAY, NULL, fk, fk->from, fk->ncols,
                                                          fk->to_cols, fk->from_cols};
        }
        name_table_relationships(a, t);
    }
}

/* ---- columns ---- */

static bool column_name_taken(const gp_table_t *t, const char *name, int self)
{
    for (int i = 0; i < t->ncolumns; i++)
        if (i != self && t->columns[i].gql_name != NULL && strcmp(t->columns[i].gql_name, name) == 0)
            return true;
    return false;
}

static int column_by_pg_name(const void *pa, const void *pb)
{
    return strcmp((*(const gp_column_t *const *)pa)->name, (*(const gp_column_t *const *)pb)->name);
}

void gp_names_columns(gp_arena_t *a, gp_table_t *t)
{
    int n = t->ncolumns;
    const char **cand = gp_arena_alloc(a, sizeof *cand * (size_t)(n ? n : 1));
    gp_column_t **clash = gp_arena_alloc(a, sizeof *clash * (size_t)(n ? n : 1));
    int nclash = 0;
    /* Round one: a GraphQL name is kept; a sanitized one is taken when nothing else
     * (kept or sanitized) ends up with the same text. */
    for (int i = 0; i < n; i++) {
        t->columns[i].gql_name = NULL;
        cand[i] = gp_names_sanitize(a, t->columns[i].name);
    }
    for (int i = 0; i < n; i++) {
        bool sanitized = cand[i] != t->columns[i].name;
        bool collides = false;
        for (int j = 0; j < n && sanitized && !collides; j++)
            collides = j != i && strcmp(cand[i], cand[j]) == 0;
        if (collides)
            clash[nclash++] = &t->columns[i];
        else
            t->columns[i].gql_name = cand[i];
    }
    /* Round two: every colliding one, in byte order of its PostgreSQL name, gets the
     * first `_N` (N = 1, 2, …) that no column has. */
    qsort(clash, (size_t)nclash, sizeof *clash, column_by_pg_name);
    for (int k = 0; k < nclash; k++) {
        int i = (int)(clash[k] - t->columns);
        const char *name;
        for (int suffix = 1;; suffix++) {
            name = gp_arena_printf(a, "%s_%d", cand[i], suffix);
            if (!column_name_taken(t, name, i))
                break;
        }
        clash[k]->gql_name = name;
    }
}

bool gp_names_table_renamed(const gp_model_t *m, const gp_table_t *t)
{
    if (strcmp(t->schema, m->schemas[0]) == 0)
        return strcmp(t->gql_name, t->name) != 0;
    size_t ns = strlen(t->schema);
    return strncmp(t->gql_name, t->schema, ns) != 0 || t->gql_name[ns] != '_' ||
           strcmp(t->gql_name + ns + 1, t->name) != 0;
}
