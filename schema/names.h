/* schema/names.h — Hasura-compatible GraphQL names (rules: schema/README).
 * Tables: the PostgreSQL name in the default schema, schema_name in the others.
 * Roots: T, T_by_pk, T_aggregate. Relationships from foreign keys, with collisions
 * resolved the same way whatever order the catalog lists things in. */
#ifndef GP_NAMES_H
#define GP_NAMES_H

#include "base/arena.h"
#include "schema/model.h"

/* A GraphQL name the API may use, made from any text: bytes outside [_0-9A-Za-z] become
 * '_', a leading digit (or an empty name) gets a '_' in front, and a leading run of
 * '_' that GraphQL would reserve (`__typename`) is cut to one. Returns `s` itself
 * when it is already such a name (gp_names_is_valid), else a copy in `a`. */
const char *gp_names_sanitize(gp_arena_t *a, const char *s);
/* A GraphQL Name that does not start with `__` (reserved for introspection). */
bool gp_names_is_valid(const char *s);

/* Gives every column of `t` its GraphQL name (gql_name): its own when valid, else
 * sanitized; sanitized names that collide get `_1`, `_2`, … (schema/README "Columns"). */
void gp_names_columns(gp_arena_t *a, gp_table_t *t);

/* Whether `t`'s GraphQL name is not simply `name` (default schema) or `schema_name`:
 * sanitizing changed it. */
bool gp_names_table_renamed(const gp_model_t *m, const gp_table_t *t);

/* GraphQL name of a table or view: `name` in the default schema, `schema_name` elsewhere. */
const char *gp_names_table(gp_arena_t *a, const char *schema, const char *name, const char *default_schema);

/* GraphQL scalar name of a user-defined type (enum, domain, extension type): as a table,
 * except that pg_catalog types are never prefixed either. */
const char *gp_names_type(gp_arena_t *a, const char *schema, const char *name, const char *default_schema);

/* T, T_by_pk or T_aggregate for a table's GraphQL name. */
const char *gp_names_root(gp_arena_t *a, const char *table, gp_root_kind_t kind);

/* Gives every table of `m` its relationships: an object relationship for each of its
 * foreign keys and an array relationship for each foreign key that points at it, named
 * by the README's rules and sorted by name. Needs m->fkeys and every gql_name set;
 * allocates in m->arena. */
void gp_names_relationships(gp_model_t *m);

#endif
