/* schema/names.h — Hasura-compatible GraphQL names (rules: schema/README).
 * Tables: the PostgreSQL name in the default schema, schema_name in the others.
 * Roots: T, T_by_pk, T_aggregate. Relationships from foreign keys, with collisions
 * resolved the same way whatever order the catalog lists things in. */
#ifndef GP_NAMES_H
#define GP_NAMES_H

#include "base/arena.h"
#include "schema/model.h"

/* A valid GraphQL name made from any text: bytes outside [_0-9A-Za-z] become '_' and a
 * leading digit (or an empty name) gets a '_' in front. Returns `s` itself when it is
 * already valid, else a copy in `a`. */
const char *gp_names_sanitize(gp_arena_t *a, const char *s);
bool gp_names_is_valid(const char *s);

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
