/* resolvers/jsonpath.c — Hasura's JSON path syntax:
 *
 *   path    := '$'? (first element)? ('.' key | '[' index ']' | '[' quoted ']')*
 *   key     := one or more bytes other than '.', '[', ']'
 *   index   := one or more digits
 *   quoted  := "…" or '…' (no escapes)
 *
 * The first key may go without its dot (a.b[0]); "$" alone names the whole value. */
#include "resolvers/jsonpath.h"

#include <stdbool.h>
#include <string.h>

typedef struct {
    gp_arena_t *a;
    const char *s, *end, *p;
    const char **items;
    int n, cap;
} parser_t;

static void push(parser_t *ps, const char *from, size_t len)
{
    if (ps->n == ps->cap) {
        int cap = ps->cap ? 2 * ps->cap : 8;
        const char **grown = gp_arena_alloc(ps->a, sizeof *grown * (size_t)cap);
        if (ps->n)
            memcpy(grown, ps->items, sizeof *grown * (size_t)ps->n);
        ps->items = grown;
        ps->cap = cap;
    }
    ps->items[ps->n++] = gp_arena_strndup(ps->a, from, len);
}

static const char *key(parser_t *ps)
{
    const char *from = ps->p;
    while (ps->p < ps->end && *ps->p != '.' && *ps->p != '[' && *ps->p != ']')
        ps->p++;
    if (ps->p == from)
        return "a key is missing";
    push(ps, from, (size_t)(ps->p - from));
    return NULL;
}

static const char *bracket(parser_t *ps)
{
    ps->p++; /* '[' */
    const char *from = ps->p;
    if (ps->p < ps->end && (*ps->p == '"' || *ps->p == '\'')) {
        char quote = *ps->p++;
        from = ps->p;
        while (ps->p < ps->end && *ps->p != quote)
            ps->p++;
        if (ps->p == ps->end)
            return "a quoted key is not closed";
        push(ps, from, (size_t)(ps->p - from));
        ps->p++;
    } else {
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
        if (ps->p == from)
            return "expected an array index or a quoted key after '['";
        push(ps, from, (size_t)(ps->p - from));
    }
    if (ps->p == ps->end || *ps->p != ']')
        return "expected ']'";
    ps->p++;
    return NULL;
}

const char *gp_jsonpath_parse(gp_arena_t *a, const char *path, size_t len, const char ***items, int *n, size_t *at)
{
    parser_t ps = {.a = a, .s = path, .end = path + len, .p = path};
    const char *err = NULL;
    if (len == 0)
        err = "the path is empty";
    bool dollar = len > 0 && *ps.p == '$';
    if (dollar)
        ps.p++;
    if (err == NULL && ps.p < ps.end && *ps.p != '.' && *ps.p != '[')
        err = key(&ps); /* the first key without its dot */
    while (err == NULL && ps.p < ps.end) {
        if (*ps.p == '.') {
            ps.p++;
            err = key(&ps);
        } else if (*ps.p == '[') {
            err = bracket(&ps);
        } else {
            err = "expected '.' or '['";
        }
    }
    *at = (size_t)(ps.p - path);
    *items = ps.items;
    *n = ps.n;
    return err;
}
