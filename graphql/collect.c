/* graphql/collect.c — CollectFields (spec §6.3.2) with @skip and @include. Moved out of
 * the SQL compiler so that the introspection answers can collect fields without it. */
#include "graphql/collect.h"

#include <stdarg.h>
#include <string.h>

int gp_collect_unreachable(const gp_collect_t *k, long offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gp_errors_vunreachable(k->errs, offset, fmt, ap);
    va_end(ap);
    return -1;
}

/* The input type of the `if` argument of directive @`name`; NULL without a type system. */
static const gp_typeref_t *if_type(const gp_collect_t *c, const char *name)
{
    if (c->schema == NULL)
        return NULL;
    const gp_directive_def_t *d = gp_schema_directive(c->schema, name);
    const gp_input_value_t *a = d != NULL ? gp_directive_arg(d, "if") : NULL;
    return a != NULL ? a->type : NULL;
}

/* The value of `if`: validation saw to it that there is one, of type Boolean!, but a
 * nullable variable with a default may still make it null. */
static int directive_if(const gp_collect_t *c, const gp_directive_t *d, bool *value)
{
    const gp_argument_t *a = d->arguments;
    while (a != NULL && strcmp(a->name, "if") != 0)
        a = a->next;
    if (a == NULL)
        return gp_collect_unreachable(c, d->offset, "@%s without \"if\"", d->name);
    int failed = 0;
    json_t *v = c->value(c->data, if_type(c, d->name), a->value, &failed);
    if (failed)
        return -1;
    bool ok = v != NULL && json_is_boolean(v);
    *value = ok && json_is_true(v);
    json_decref(v);
    if (!ok) {
        gp_errors_add(c->errs, GP_E_VALIDATION, a->offset, "Argument \"if\" of @%s must be a Boolean!.", d->name);
        return -1;
    }
    return 0;
}

/* Evaluates @skip and @include; sets *included. */
static int included(const gp_collect_t *c, const gp_directive_t *dirs, bool *out)
{
    *out = true;
    for (const gp_directive_t *d = dirs; d != NULL; d = d->next) {
        bool v;
        if (strcmp(d->name, "skip") == 0) {
            if (directive_if(c, d, &v) != 0)
                return -1;
            if (v)
                *out = false;
        } else if (strcmp(d->name, "include") == 0) {
            if (directive_if(c, d, &v) != 0)
                return -1;
            if (!v)
                *out = false;
        } else {
            return gp_collect_unreachable(c, d->offset, "the directive \"@%s\" on a selection", d->name);
        }
    }
    return 0;
}

typedef struct {
    gp_field_group_t *head, *tail;
} groups_t;

static void add_field(const gp_collect_t *c, groups_t *gs, const gp_selection_t *f)
{
    const char *key = f->alias != NULL ? f->alias : f->name;
    gp_field_group_t *g;
    for (g = gs->head; g != NULL; g = g->next)
        if (strcmp(g->key, key) == 0)
            break;
    if (g == NULL) {
        g = gp_arena_new_obj(c->arena, gp_field_group_t);
        g->key = key;
        g->name = f->name;
        if (gs->tail != NULL)
            gs->tail->next = g;
        else
            gs->head = g;
        gs->tail = g;
    }
    const gp_selection_t **fields = gp_arena_alloc(c->arena, sizeof *fields * (size_t)(g->nfields + 1));
    if (g->nfields > 0)
        memcpy(fields, g->fields, sizeof *fields * (size_t)g->nfields);
    fields[g->nfields++] = f;
    g->fields = fields;
}

static const gp_fragment_t *find_fragment(const gp_collect_t *c, const char *name)
{
    for (const gp_fragment_t *f = c->doc->fragments; f != NULL; f = f->next)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

static int collect(const gp_collect_t *c, const char *type_name, const gp_selection_t *set, groups_t *gs, int depth)
{
    if (depth > c->max_depth) /* validation bounds it (GP_VALIDATE_MAX_DEPTH) and refuses cycles */
        return gp_collect_unreachable(c, set != NULL ? set->offset : -1, "fragments nested more than %d deep",
                                      c->max_depth);
    for (const gp_selection_t *s = set; s != NULL; s = s->next) {
        bool keep;
        if (included(c, s->directives, &keep) != 0)
            return -1;
        if (!keep)
            continue;
        if (s->kind == GP_SEL_FIELD) {
            add_field(c, gs, s);
        } else if (s->kind == GP_SEL_INLINE_FRAGMENT) {
            if (s->type_condition == NULL || strcmp(s->type_condition, type_name) == 0)
                if (collect(c, type_name, s->selections, gs, depth + 1) != 0)
                    return -1;
        } else {
            const gp_fragment_t *f = find_fragment(c, s->name);
            if (f == NULL)
                return gp_collect_unreachable(c, s->offset, "a spread of no fragment (\"...%s\")", s->name);
            bool fkeep;
            if (included(c, f->directives, &fkeep) != 0)
                return -1;
            if (fkeep && strcmp(f->type_condition, type_name) == 0)
                if (collect(c, type_name, f->selections, gs, depth + 1) != 0)
                    return -1;
        }
    }
    return 0;
}

gp_field_group_t *gp_collect_fields(const gp_collect_t *c, const char *type_name, const gp_selection_t *const *sets,
                                    int nsets, int *failed)
{
    groups_t gs = {NULL, NULL};
    for (int i = 0; i < nsets; i++) {
        if (collect(c, type_name, sets[i], &gs, 0) != 0) {
            *failed = 1;
            return NULL;
        }
    }
    return gs.head;
}
