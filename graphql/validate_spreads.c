/* graphql/validate_spreads.c — the validation checks that follow fragment spreads
 * across the document: NoFragmentCycles, SingleFieldSubscriptions (whose root fields
 * may come from fragments), and the depth and field-count limits of what an operation
 * selects once its fragments are spread. Chains of fragments are as long as documents,
 * so the cycle search keeps its own stack and the limits walk stops at their depth. */
#include <stdio.h>
#include <string.h>

#include "graphql/validate_int.h"

/* SingleFieldSubscriptions: one root field (by response name), not an introspection one. */
void gp_validate_subscription(vctx_t *c, const gp_operation_t *op, const gp_type_t *root)
{
    int n;
    vfield_t *fields = gp_vctx_collect(c, root, op->selections, &n);
    const char *who = op->name != NULL ? gp_arena_printf(c->a, "Subscription \"%s\"", op->name)
                                       : "Anonymous Subscription";
    const char *first = n > 0 ? (fields[0].node->alias ? fields[0].node->alias : fields[0].node->name) : NULL;
    for (int i = 1; i < n; i++) {
        const char *rname = fields[i].node->alias ? fields[i].node->alias : fields[i].node->name;
        if (strcmp(rname, first) != 0) {
            gp_vctx_error(c, fields[i].node->offset, "%s must select only one top level field.", who);
            break;
        }
    }
    for (int i = 0; i < n; i++)
        if (strncmp(fields[i].node->name, "__", 2) == 0) {
            gp_vctx_error(c, fields[i].node->offset, "%s must not select an introspection top level field.", who);
            break;
        }
}

typedef struct limits {
    vctx_t *c;
    long nodes;
    bool failed;
    const vfrag_t *path[GP_VALIDATE_MAX_DEPTH]; /* fragments being spread, to skip cycles */
    int npath;
} limits_t;

static void limit_fail(limits_t *l, long offset, const char *message)
{
    gp_errors_add(&l->c->errs, GP_E_TOO_COMPLEX, offset, message, GP_VALIDATE_MAX_DEPTH);
    l->failed = true;
}

#define SPREADS_TOO_DEEPLY "The operation spreads fragments too deeply (more than %d levels)."

/* GP_VALIDATE_MAX_DEPTH and GP_VALIDATE_MAX_NODES over selections with fragments
 * spread: what executing them would select. `depth` counts selection sets, `nested`
 * the fragments, spread or inline, entered since the last field: how deep CollectFields
 * (graphql/collect.c) recurses in one selection set, which it trusts to be bounded. */
static void limit_walk(limits_t *l, const gp_selection_t *sels, int depth, int nested)
{
    for (const gp_selection_t *s = sels; s != NULL && !l->failed; s = s->next) {
        if (++l->nodes > GP_VALIDATE_MAX_NODES) {
            gp_errors_add(&l->c->errs, GP_E_TOO_COMPLEX, s->offset,
                          "The operation selects too many fields (more than %d).", GP_VALIDATE_MAX_NODES);
            l->failed = true;
        } else if (s->kind == GP_SEL_FIELD && s->selections != NULL) {
            if (depth == GP_VALIDATE_MAX_DEPTH)
                limit_fail(l, s->offset, "The operation is nested too deeply (more than %d levels).");
            else
                limit_walk(l, s->selections, depth + 1, 0);
        } else if (s->kind == GP_SEL_INLINE_FRAGMENT) {
            if (nested == GP_VALIDATE_MAX_DEPTH)
                limit_fail(l, s->offset, SPREADS_TOO_DEEPLY);
            else
                limit_walk(l, s->selections, depth, nested + 1);
        } else if (s->kind == GP_SEL_FRAGMENT_SPREAD) {
            const vfrag_t *f = gp_vctx_fragment(l->c, s->name);
            bool cycle = false;
            for (int i = 0; i < l->npath; i++)
                cycle |= l->path[i] == f;
            if (f == NULL || cycle)
                continue;
            if (l->npath == GP_VALIDATE_MAX_DEPTH || nested == GP_VALIDATE_MAX_DEPTH) {
                limit_fail(l, s->offset, SPREADS_TOO_DEEPLY);
                continue;
            }
            l->path[l->npath++] = f;
            limit_walk(l, f->def->selections, depth, nested + 1);
            l->npath--;
        }
    }
}

void gp_validate_limits(vctx_t *c, const gp_operation_t *op)
{
    limits_t l = {.c = c};
    limit_walk(&l, op->selections, 1, 0);
}

/* Reports the cycle closed by `last`, which spreads the fragment first entered through
 * path[0] (or, with an empty path, the fragment `last` is in). */
static void report_cycle(vctx_t *c, const gp_selection_t **path, int n, const gp_selection_t *last)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(path[i]->name) + 4;
    char *via = gp_arena_alloc(c->a, len), *p = via;
    for (int i = 0; i < n; i++)
        p += sprintf(p, "%s\"%s\"", i > 0 ? ", " : "", path[i]->name);
    *p = '\0';
    long at = n > 0 ? path[0]->offset : last->offset;
    if (n > 0)
        gp_vctx_error(c, at, "Cannot spread fragment \"%s\" within itself via %s.", last->name, via);
    else
        gp_vctx_error(c, at, "Cannot spread fragment \"%s\" within itself.", last->name);
}

/* NoFragmentCycles: a depth-first walk from each fragment in document order over the
 * spreads, with an explicit stack (chains of fragments are as long as documents). */
void gp_validate_fragment_cycles(vctx_t *c)
{
    size_t n = (size_t)c->nfrags + 1;
    vfrag_t **stack = gp_arena_alloc(c->a, sizeof *stack * n);
    const vspread_t **next = gp_arena_alloc(c->a, sizeof *next * n);
    const gp_selection_t **path = gp_arena_alloc(c->a, sizeof *path * n);
    int *on_path = gp_arena_alloc(c->a, sizeof *on_path * n); /* path length when entered, or -1 */
    long visited = ++c->stamp;
    for (int i = 0; i < c->nfrags; i++)
        on_path[i] = -1;
    for (int root = 0; root < c->nfrags; root++) {
        if (c->frags[root].stamp == visited)
            continue;
        int depth = 0, npath = 0;
        stack[depth] = &c->frags[root];
        next[depth++] = c->frags[root].spreads;
        c->frags[root].stamp = visited;
        on_path[root] = 0;
        while (depth > 0 && gp_vctx_work(c, 1)) {
            const vspread_t *sp = next[depth - 1];
            if (sp == NULL) {
                on_path[stack[--depth] - c->frags] = -1;
                npath -= depth > 0;
                continue;
            }
            next[depth - 1] = sp->next;
            vfrag_t *f = gp_vctx_fragment(c, sp->node->name);
            if (f == NULL)
                continue;
            int at = on_path[f - c->frags];
            if (at >= 0) {
                report_cycle(c, path + at, npath - at, sp->node);
            } else if (f->stamp != visited) {
                f->stamp = visited;
                on_path[f - c->frags] = npath + 1;
                path[npath++] = sp->node;
                stack[depth] = f;
                next[depth++] = f->spreads;
            }
        }
    }
}
