/* schema/names.h — Hasura-compatible GraphQL names (rules: schema/README).
 * Tables: the PostgreSQL name in the default schema, schema_name in the others.
 * Roots: T, T_by_pk, T_aggregate; insert_T, update_T_by_pk, delete_T … in mutation_root. Relationships from foreign keys, with collisions
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

/* The mutation_root fields a table may bring (schema/README, Mutations). */
typedef enum {
    GP_MUTATION_INSERT,         /* insert_T */
    GP_MUTATION_INSERT_ONE,     /* insert_T_one */
    GP_MUTATION_UPDATE,         /* update_T */
    GP_MUTATION_UPDATE_BY_PK,   /* update_T_by_pk */
    GP_MUTATION_UPDATE_MANY,    /* update_T_many */
    GP_MUTATION_DELETE,         /* delete_T */
    GP_MUTATION_DELETE_BY_PK,   /* delete_T_by_pk */
} gp_mutation_kind_t;
#define GP_MUTATION_KINDS 7

/* The name of `kind` for a table's GraphQL name: insert_users, update_users_by_pk … */
const char *gp_names_mutation(gp_arena_t *a, const char *table, gp_mutation_kind_t kind);
/* Whether `t` has the field `kind`: its insertable, updatable or deletable flag, and a
 * primary key for the _by_pk ones. */
bool gp_names_has_mutation(const gp_table_t *t, gp_mutation_kind_t kind);

/* The table whose mutation_root field is called `name` (insert_users → users), or NULL. */
const gp_table_t *gp_names_table_mutation(const gp_model_t *m, const char *name);

/* Gives every constraint of `t` its T_constraint value (gql_name): its own name when that
 * is a GraphQL name, else sanitized; one that collides with another's, or is true, false or
 * null (no enum value may be), gets the first free `_1`, `_2`, …, in the constraints' order. */
void gp_names_constraints(gp_arena_t *a, gp_table_t *t);

/* Gives every table of `m` its relationships: an object relationship for each of its
 * foreign keys and an array relationship for each foreign key that points at it, named
 * by the README's rules and sorted by name. Needs m->fkeys and every gql_name set;
 * allocates in m->arena. */
void gp_names_relationships(gp_model_t *m);

#endif
