/* schema/model.c — freeing the snapshot and looking things up in it.
 * Tables, roots and each table's relationships are sorted by name when the model is
 * built, so lookups are binary searches; columns stay in attnum order (keys refer to
 * them by index) and are searched linearly — tables have tens of columns, not thousands. */
#include "schema/model.h"

#include <stdlib.h>
#include <string.h>

void gp_model_free(gp_model_t *m)
{
    if (m != NULL)
        gp_arena_free(m->arena); /* the model itself lives in its arena */
}

static int cmp_root(const void *key, const void *elem)
{
    return strcmp(key, ((const gp_root_field_t *)elem)->name);
}

static int cmp_table(const void *key, const void *elem)
{
    return strcmp(key, ((const gp_table_t *)elem)->gql_name);
}

static int cmp_rel(const void *key, const void *elem)
{
    return strcmp(key, ((const gp_relationship_t *)elem)->name);
}

const gp_root_field_t *gp_model_root(const gp_model_t *m, const char *name)
{
    if (m->nroots == 0)
        return NULL;
    return bsearch(name, m->roots, (size_t)m->nroots, sizeof *m->roots, cmp_root);
}

const gp_table_t *gp_model_table(const gp_model_t *m, const char *gql_name)
{
    if (m->ntables == 0)
        return NULL;
    return bsearch(gql_name, m->tables, (size_t)m->ntables, sizeof *m->tables, cmp_table);
}

const gp_column_t *gp_table_column(const gp_table_t *t, const char *name)
{
    for (int i = 0; i < t->ncolumns; i++)
        if (strcmp(t->columns[i].gql_name, name) == 0)
            return &t->columns[i];
    return NULL;
}

const gp_relationship_t *gp_table_relationship(const gp_table_t *t, const char *name)
{
    if (t->nrels == 0)
        return NULL;
    return bsearch(name, t->rels, (size_t)t->nrels, sizeof *t->rels, cmp_rel);
}

static int cmp_computed(const void *key, const void *elem)
{
    return strcmp(key, (*(const gp_function_t *const *)elem)->field);
}

const gp_function_t *gp_table_computed(const gp_table_t *t, const char *field)
{
    if (t->ncomputed == 0)
        return NULL;
    const gp_function_t *const *f = bsearch(field, t->computed, (size_t)t->ncomputed, sizeof *t->computed, cmp_computed);
    return f != NULL ? *f : NULL;
}

const gp_unique_t *gp_table_constraint(const gp_table_t *t, const char *gql_name)
{
    for (int i = 0; i < t->nconstraints; i++)
        if (strcmp(t->constraints[i].gql_name, gql_name) == 0)
            return &t->constraints[i];
    return NULL;
}
