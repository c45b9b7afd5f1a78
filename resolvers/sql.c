/* resolvers/sql.c */
#include "resolvers/sql.h"

#include <string.h>

void gp_sql_init(gp_sql_t *s, gp_arena_t *a)
{
    gp_strbuf_init(&s->text, a, GP_SQL_MAX);
    s->cap = 16;
    s->nparams = 0;
    s->params = gp_arena_alloc(a, sizeof *s->params * (size_t)s->cap);
    s->too_many_params = false;
    s->param_ref = "$";
}

void gp_sql_raw(gp_sql_t *s, const char *text)
{
    gp_strbuf_puts(&s->text, text);
}

static void quoted(gp_sql_t *s, const char *text, char quote)
{
    gp_strbuf_putc(&s->text, quote);
    for (const char *p = text; *p != '\0'; p++) {
        const char *q = strchr(p, quote);
        size_t n = q != NULL ? (size_t)(q - p) : strlen(p);
        gp_strbuf_append(&s->text, p, n);
        if (q == NULL)
            break;
        gp_strbuf_putc(&s->text, quote);
        gp_strbuf_putc(&s->text, quote);
        p = q;
    }
    gp_strbuf_putc(&s->text, quote);
}

void gp_sql_ident(gp_sql_t *s, const char *name)
{
    quoted(s, name, '"');
}

void gp_sql_alias(gp_sql_t *s, int n)
{
    gp_strbuf_printf(&s->text, "_t%d", n);
}

void gp_sql_column(gp_sql_t *s, int alias, const char *column)
{
    gp_sql_alias(s, alias);
    gp_strbuf_putc(&s->text, '.');
    gp_sql_ident(s, column);
}

void gp_sql_key(gp_sql_t *s, const char *key)
{
    quoted(s, key, '\'');
}

void gp_sql_param(gp_sql_t *s, const char *value, const char *cast)
{
    if (s->nparams == GP_SQL_MAX_PARAMS) {
        s->too_many_params = true;
        return;
    }
    if (s->nparams == s->cap) {
        const char **grown = gp_arena_alloc(s->text.arena, sizeof *grown * (size_t)s->cap * 2);
        memcpy(grown, s->params, sizeof *grown * (size_t)s->cap);
        s->params = grown;
        s->cap *= 2;
    }
    s->params[s->nparams++] = value;
    gp_sql_param_again(s, s->nparams, cast);
}

void gp_sql_param_again(gp_sql_t *s, int n, const char *cast)
{
    gp_strbuf_printf(&s->text, "%s%d::%s", s->param_ref, n, cast);
}

bool gp_sql_failed(const gp_sql_t *s)
{
    return s->text.error || s->too_many_params;
}

const char *gp_sql_array_literal(gp_arena_t *a, const char *const *items, int n)
{
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, GP_SQL_MAX);
    gp_strbuf_putc(&sb, '{');
    for (int i = 0; i < n; i++) {
        if (i > 0)
            gp_strbuf_putc(&sb, ',');
        if (items[i] == NULL) {
            gp_strbuf_lit(&sb, "NULL");
            continue;
        }
        /* Every element quoted: then only " and \ need escaping. */
        gp_strbuf_putc(&sb, '"');
        for (const char *p = items[i]; *p != '\0'; p++) {
            if (*p == '"' || *p == '\\')
                gp_strbuf_putc(&sb, '\\');
            gp_strbuf_putc(&sb, *p);
        }
        gp_strbuf_putc(&sb, '"');
    }
    gp_strbuf_putc(&sb, '}');
    return sb.data;
}
