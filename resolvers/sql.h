/* resolvers/sql.h — the only writer of SQL tokens. Identifiers come from the model
 * and are always quoted; values only ever leave as `$n::type` bind parameters;
 * the few string literals are JSON keys that the lexer already restricted to
 * GraphQL names (and are escaped anyway). */
#ifndef GP_SQL_H
#define GP_SQL_H

#include <stdbool.h>

#include "base/arena.h"
#include "base/strbuf.h"

#define GP_SQL_MAX (4u << 20)    /* bytes of SQL one operation may compile to */
#define GP_SQL_MAX_PARAMS 65535  /* the protocol's limit on bind parameters */

typedef struct gp_sql {
    gp_strbuf_t text;
    const char **params;         /* $1..$n as text; NULL is SQL NULL */
    int nparams;
    int cap;
    bool too_many_params;
    const char *param_ref;       /* how a parameter is named: "$" ($n), or GP_SQL_LIVE_REF */
} gp_sql_t;

/* A live query's parameters are columns of the row of its subscriber, _s.p1 … (see
 * server/live.c), so that one statement runs the query for every subscriber at once. */
#define GP_SQL_LIVE_REF "_live.p"
/* A stream's cursor, the subscriber's own: NULL until its first batch moved it. */
#define GP_SQL_LIVE_CURSOR "_live.c"

void gp_sql_init(gp_sql_t *s, gp_arena_t *a);

/* SQL written by the compiler itself: keywords, operators, punctuation. */
void gp_sql_raw(gp_sql_t *s, const char *text);
/* "name", with embedded quotes doubled. */
void gp_sql_ident(gp_sql_t *s, const char *name);
/* _tN, the alias of the Nth table reference in the statement. */
void gp_sql_alias(gp_sql_t *s, int n);
/* _tN."column" */
void gp_sql_column(gp_sql_t *s, int alias, const char *column);
/* 'key' — a JSON key or type name written as a string literal. */
void gp_sql_key(gp_sql_t *s, const char *key);
/* $n::cast, binding `value` (copied by reference: it must outlive the plan). */
void gp_sql_param(gp_sql_t *s, const char *value, const char *cast);
/* $n::cast again, for parameter n bound before. */
void gp_sql_param_again(gp_sql_t *s, int n, const char *cast);

/* The text of a PostgreSQL array literal, {"a","b\"c",NULL}, for a text[] parameter;
 * a NULL item is an SQL NULL. */
const char *gp_sql_array_literal(gp_arena_t *a, const char *const *items, int n);

/* True when the statement grew past its caps. */
bool gp_sql_failed(const gp_sql_t *s);

#endif
