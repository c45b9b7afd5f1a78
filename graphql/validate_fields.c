/* graphql/validate_fields.c — the spec's FieldsInSetCanMerge (OverlappingFieldsCanBeMerged
 * in graphql-js): fields that share a response name in one selection set, fragments
 * spread, must be the same field with the same arguments unless their parents are
 * different object types, and must return the same shape (SameResponseShape), down
 * through their sub-selections.
 *
 * Comparing is quadratic in the fields of a response name and recurses into pairs of
 * sub-selections, so every step is charged to the context's work budget; when it runs
 * out validation reports the document as too complex instead of spinning. A conflict
 * found from several selection sets (a fragment checked on its own and again where it
 * is spread) is reported once. */
#include <stdlib.h>
#include <string.h>

#include "graphql/validate_int.h"

#define MAX_REPORTED 128 /* conflicts remembered for de-duplication */
/* A reason names its nested reasons, which name theirs: uncapped, a crafted document
 * makes them grow with every level and every sibling (fuzz_validate ran out of 2 GiB).
 * Past this length a reason lists no more subfields. */
#define MAX_REASON 512

typedef struct frame {
    const gp_selection_t *next;
    const gp_type_t *parent;
} frame_t;

typedef struct merge {
    vctx_t *c;
    long reported[MAX_REPORTED][2]; /* offsets of the pairs reported */
    int nreported;
    int depth;                      /* of sub-selections being compared */
} merge_t;

/* Doubles an arena array of `*cap` elements of `size` bytes holding `n`. */
static void *grow(gp_arena_t *a, void *v, int n, int *cap, size_t size)
{
    *cap = *cap * 2 + 8;
    void *bigger = gp_arena_alloc(a, size * (size_t)*cap);
    if (n > 0)
        memcpy(bigger, v, size * (size_t)n);
    return bigger;
}

vfield_t *gp_vctx_collect(vctx_t *c, const gp_type_t *parent, const gp_selection_t *sels, int *n)
{
    int cap = 0, depth = 0, fcap = 0;
    vfield_t *out = NULL;
    frame_t *stack = NULL;
    long stamp = ++c->stamp;
    *n = 0;
    stack = grow(c->a, stack, 0, &fcap, sizeof *stack);
    stack[depth++] = (frame_t){sels, parent};
    while (depth > 0 && gp_vctx_work(c, 1)) {
        frame_t *top = &stack[depth - 1];
        const gp_selection_t *s = top->next;
        if (s == NULL) {
            depth--;
            continue;
        }
        top->next = s->next;
        const gp_selection_t *inner = NULL;
        const gp_type_t *inner_parent = NULL;
        if (s->kind == GP_SEL_FIELD) {
            if (*n == cap)
                out = grow(c->a, out, *n, &cap, sizeof *out);
            out[(*n)++] = (vfield_t){s, top->parent, gp_vctx_field(c, top->parent, s->name)};
        } else if (s->kind == GP_SEL_INLINE_FRAGMENT) {
            inner = s->selections;
            inner_parent = s->type_condition != NULL ? gp_vctx_composite(c, s->type_condition) : top->parent;
        } else {
            vfrag_t *f = gp_vctx_fragment(c, s->name);
            if (f != NULL && f->stamp != stamp) {
                f->stamp = stamp;
                inner = f->def->selections;
                inner_parent = f->type;
            }
        }
        if (inner != NULL) {
            if (depth == fcap)
                stack = grow(c->a, stack, depth, &fcap, sizeof *stack);
            stack[depth++] = (frame_t){inner, inner_parent};
        }
    }
    return out;
}

static const char *response_name(const gp_selection_t *f)
{
    return f->alias != NULL ? f->alias : f->name;
}

static bool same_value(const gp_value_t *a, const gp_value_t *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case GP_VALUE_BOOLEAN:
        return a->boolean == b->boolean;
    case GP_VALUE_NULL:
        return true;
    case GP_VALUE_LIST:
        for (a = a->items, b = b->items; a != NULL && b != NULL; a = a->next, b = b->next)
            if (!same_value(a, b))
                return false;
        return a == NULL && b == NULL;
    case GP_VALUE_OBJECT: {
        const gp_object_field_t *x = a->fields, *y = b->fields;
        for (; x != NULL && y != NULL; x = x->next, y = y->next)
            if (strcmp(x->name, y->name) != 0 || !same_value(x->value, y->value))
                return false;
        return x == NULL && y == NULL;
    }
    default:
        return a->length == b->length && memcmp(a->string, b->string, a->length) == 0;
    }
}

/* The same arguments, in any order, with values written the same way. */
static bool same_arguments(const gp_argument_t *a, const gp_argument_t *b)
{
    int na = 0, nb = 0;
    for (const gp_argument_t *x = a; x != NULL; x = x->next)
        na++;
    for (const gp_argument_t *y = b; y != NULL; y = y->next)
        nb++;
    if (na != nb)
        return false;
    for (const gp_argument_t *x = a; x != NULL; x = x->next) {
        const gp_argument_t *y = b;
        while (y != NULL && strcmp(x->name, y->name) != 0)
            y = y->next;
        if (y == NULL || !same_value(x->value, y->value))
            return false;
    }
    return true;
}

/* SameResponseShape for the wrappers and leaves; composite types are compared
 * through their sub-selections. */
static bool types_conflict(const gp_typeref_t *a, const gp_typeref_t *b)
{
    if (a->kind == GP_REF_LIST || b->kind == GP_REF_LIST)
        return a->kind != b->kind || types_conflict(a->of, b->of);
    if (a->kind == GP_REF_NON_NULL || b->kind == GP_REF_NON_NULL)
        return a->kind != b->kind || types_conflict(a->of, b->of);
    if (gp_type_is_leaf(a->named) || gp_type_is_leaf(b->named))
        return a->named != b->named && strcmp(a->named->name, b->named->name) != 0;
    return false;
}

static const char *find_conflict(merge_t *m, const vfield_t *a, const vfield_t *b, bool exclusive);

static int vfield_cmp(const void *x, const void *y)
{
    const vfield_t *a = x, *b = y;
    int d = strcmp(response_name(a->node), response_name(b->node));
    return d != 0 ? d : (a->node->offset > b->node->offset) - (a->node->offset < b->node->offset);
}

/* The reason two fields' sub-selections conflict, as graphql-js words it
 * (`subfields "x" conflict because …` joined by " and "), or NULL. */
static const char *subfield_conflicts(merge_t *m, bool exclusive, const vfield_t *a, const vfield_t *b)
{
    vctx_t *c = m->c;
    const gp_type_t *ta = a->def != NULL ? gp_vctx_composite(c, gp_typeref_named(a->def->type)->name) : NULL;
    const gp_type_t *tb = b->def != NULL ? gp_vctx_composite(c, gp_typeref_named(b->def->type)->name) : NULL;
    int na, nb;
    vfield_t *fa = gp_vctx_collect(c, ta, a->node->selections, &na);
    vfield_t *fb = gp_vctx_collect(c, tb, b->node->selections, &nb);
    if (nb > 1)
        qsort(fb, (size_t)nb, sizeof *fb, vfield_cmp);
    char *reason = NULL;
    for (int i = 0; i < na && !c->too_complex && (reason == NULL || strlen(reason) < MAX_REASON); i++) {
        const char *rname = response_name(fa[i].node);
        int lo = 0, hi = nb;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (strcmp(response_name(fb[mid].node), rname) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (int j = lo; j < nb && strcmp(response_name(fb[j].node), rname) == 0; j++) {
            const char *r = find_conflict(m, &fa[i], &fb[j], exclusive);
            if (r == NULL)
                continue;
            if (strlen(r) > MAX_REASON)
                r = "their subfields conflict";
            reason = reason == NULL
                         ? gp_arena_printf(c->a, "subfields \"%s\" conflict because %s", rname, r)
                         : gp_arena_printf(c->a, "%s and subfields \"%s\" conflict because %s", reason, rname, r);
        }
    }
    return reason;
}

/* FieldsInSetCanMerge for one pair of fields with the same response name: the reason
 * they conflict, NULL when they merge. `exclusive`: their parents can never both apply. */
static const char *find_conflict(merge_t *m, const vfield_t *a, const vfield_t *b, bool exclusive)
{
    vctx_t *c = m->c;
    if (!gp_vctx_work(c, 1))
        return NULL;
    exclusive = exclusive || (a->parent != NULL && b->parent != NULL && a->parent != b->parent &&
                              a->parent->kind == GP_KIND_OBJECT && b->parent->kind == GP_KIND_OBJECT);
    if (!exclusive && strcmp(a->node->name, b->node->name) != 0)
        return gp_arena_printf(c->a, "\"%s\" and \"%s\" are different fields", a->node->name, b->node->name);
    if (!exclusive && !same_arguments(a->node->arguments, b->node->arguments))
        return "they have differing arguments";
    const gp_typeref_t *ta = a->def != NULL ? a->def->type : NULL, *tb = b->def != NULL ? b->def->type : NULL;
    if (ta != NULL && tb != NULL && types_conflict(ta, tb))
        return gp_arena_printf(c->a, "they return conflicting types \"%s\" and \"%s\"", gp_typeref_string(c->a, ta),
                               gp_typeref_string(c->a, tb));
    /* A fragment that spreads itself inside a sub-selection would have the comparison
     * descend for ever; deeper than any valid document can be, there is nothing left
     * to learn (the depth and cycle rules report such a document). */
    if (a->node->selections == NULL || b->node->selections == NULL || m->depth >= GP_VALIDATE_MAX_DEPTH)
        return NULL;
    m->depth++;
    const char *reason = subfield_conflicts(m, exclusive, a, b);
    m->depth--;
    return reason;
}

static void report(merge_t *m, const vfield_t *a, const vfield_t *b, const char *reason)
{
    for (int i = 0; i < m->nreported; i++)
        if (m->reported[i][0] == a->node->offset && m->reported[i][1] == b->node->offset)
            return;
    if (m->nreported < MAX_REPORTED) {
        m->reported[m->nreported][0] = a->node->offset;
        m->reported[m->nreported++][1] = b->node->offset;
    }
    gp_vctx_error(m->c, a->node->offset,
                  "Fields \"%s\" conflict because %s. Use different aliases on the fields to fetch both if this was "
                  "intentional.",
                  response_name(a->node), reason);
}

/* Every pair of fields of one selection set that share a response name. */
static void check_set(merge_t *m, const gp_type_t *parent, const gp_selection_t *sels)
{
    int n;
    vfield_t *f = gp_vctx_collect(m->c, parent, sels, &n);
    if (n > 1)
        qsort(f, (size_t)n, sizeof *f, vfield_cmp);
    for (int i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && strcmp(response_name(f[j].node), response_name(f[i].node)) == 0; j++)
            ;
        for (int x = i; x < j; x++)
            for (int y = x + 1; y < j && !m->c->too_complex; y++) {
                const char *reason = find_conflict(m, &f[x], &f[y], false);
                if (reason != NULL)
                    report(m, &f[x], &f[y], reason);
            }
    }
}

/* Checks `sels` and every selection set nested in it, except fragment definitions',
 * which are checked on their own; inline fragments are part of their parent's set. */
static void check_sets(merge_t *m, const gp_type_t *parent, const gp_selection_t *sels, bool top)
{
    if (top)
        check_set(m, parent, sels);
    for (const gp_selection_t *s = sels; s != NULL && !m->c->too_complex; s = s->next) {
        if (s->kind == GP_SEL_INLINE_FRAGMENT) {
            check_sets(m, s->type_condition != NULL ? gp_vctx_composite(m->c, s->type_condition) : parent,
                       s->selections, false);
        } else if (s->kind == GP_SEL_FIELD && s->selections != NULL) {
            const gp_field_t *def = gp_vctx_field(m->c, parent, s->name);
            const gp_type_t *t = def != NULL ? gp_vctx_composite(m->c, gp_typeref_named(def->type)->name) : NULL;
            check_sets(m, t, s->selections, true);
        }
    }
}

void gp_validate_field_merging(vctx_t *c)
{
    merge_t m = {.c = c};
    for (const gp_operation_t *op = c->doc->operations; op != NULL; op = op->next) {
        const gp_type_t *roots[] = {c->s->query, c->s->mutation, c->s->subscription};
        check_sets(&m, roots[op->kind], op->selections, true);
    }
    for (int i = 0; i < c->nfrags; i++)
        check_sets(&m, c->frags[i].type, c->frags[i].def->selections, true);
}
