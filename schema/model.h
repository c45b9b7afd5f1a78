/* schema/model.h — the introspected database as an immutable snapshot.
 * Everything hangs off one arena owned by the model; requests only read it.
 * Filled by gp_model_load (catalog.c) from the catalog query's JSON, after
 * which names.c has given every table, column and relationship its GraphQL name. */
#ifndef GP_MODEL_H
#define GP_MODEL_H

#include <stdbool.h>

#include "base/arena.h"

typedef struct gp_table gp_table_t;

typedef enum {
    GP_TABLE_ORDINARY,    /* relkind r */
    GP_TABLE_PARTITIONED, /* relkind p; its partitions are not in the model */
    GP_TABLE_VIEW,        /* relkind v */
    GP_TABLE_MATVIEW,     /* relkind m */
} gp_table_kind_t;

typedef struct gp_column {
    const char *name;       /* PostgreSQL name: SQL only, always quoted */
    const char *gql_name;   /* GraphQL field name: `name` itself when it is a GraphQL name, else
                             * sanitized (names.c, schema/README "Columns") */
    int attnum;
    const char *sql_type;   /* for casts, always qualified and quoted: "pg_catalog"."int4", "public"."mpaa_rating"[] */
    const char *pg_type;    /* readable name for messages and SDL: integer, text[], mpaa_rating */
    const char *gql_type;   /* GraphQL scalar of one value: Int, Float, String, Boolean, or a custom
                             * scalar (bigint, numeric, uuid, timestamptz, jsonb, mpaa_rating, year…) */
    bool is_array;          /* the GraphQL type is [gql_type] (Hasura instead names arrays _text;
                             * see schema/pgtype.c for which we follow) */
    bool nullable;
    bool has_default;       /* default, identity or generated: may be omitted on insert */
    const char *default_expr; /* NULL when none */
    const char *comment;    /* NULL when none */
} gp_column_t;

typedef struct gp_fkey {
    const char *name;       /* constraint name */
    gp_table_t *from;       /* the referencing table (holds the FK columns) */
    gp_table_t *to;         /* the referenced table */
    int ncols;
    int *from_cols;         /* indices into from->columns */
    int *to_cols;           /* indices into to->columns, pairwise with from_cols */
    bool partial;           /* declared on some partitions of `from` only: rows of the
                             * others are not checked, their parent may be missing */
} gp_fkey_t;

typedef enum { GP_REL_OBJECT, GP_REL_ARRAY } gp_rel_kind_t;

/* A relationship seen from `table`: an object relationship follows one of its own
 * FKs to the parent row; an array relationship collects the rows of `target`
 * whose FK points at this row. Either way, the join is
 *     target.columns[remote_cols[i]] = table.columns[local_cols[i]] for all i. */
typedef struct gp_relationship {
    gp_rel_kind_t kind;
    const char *name;       /* GraphQL field name (README: naming rules) */
    const gp_fkey_t *fkey;
    gp_table_t *target;
    int ncols;
    const int *local_cols;  /* indices into this table's columns */
    const int *remote_cols; /* indices into target->columns */
} gp_relationship_t;

typedef struct gp_unique {
    const char *name;
    int ncols;
    int *cols;
} gp_unique_t;

struct gp_table {
    const char *schema;     /* PostgreSQL schema */
    const char *name;       /* PostgreSQL name */
    const char *sql_name;   /* quoted and qualified: "public"."users" */
    const char *gql_name;   /* GraphQL type and root field base name: users, or other_users */
    gp_table_kind_t kind;
    const char *comment;    /* NULL when none */
    gp_column_t *columns;
    int ncolumns;
    int *pk;                /* column indices of the primary key, in key order */
    int npk;                /* 0: no primary key, so no T_by_pk */
    gp_unique_t *uniques;
    int nuniques;
    gp_relationship_t *rels;
    int nrels;
};

typedef struct gp_enum {
    const char *schema, *name;
    const char *gql_name;
    const char **values;    /* labels in sort order */
    int nvalues;
    const char *comment;
} gp_enum_t;

typedef struct gp_domain {
    const char *schema, *name;
    const char *gql_name;
    const char *base_pg_type;
    bool not_null;
    const char *comment;
} gp_domain_t;

typedef enum { GP_ROOT_LIST, GP_ROOT_BY_PK, GP_ROOT_AGGREGATE } gp_root_kind_t;

typedef struct gp_root_field {
    const char *name;       /* users, users_by_pk, users_aggregate */
    gp_root_kind_t kind;
    gp_table_t *table;
} gp_root_field_t;

typedef struct gp_model {
    gp_arena_t *arena;      /* owns everything below */
    const char **schemas;   /* the exposed schemas, first is the default (no prefix) */
    int nschemas;
    gp_table_t *tables;     /* sorted by gql_name */
    int ntables;
    gp_fkey_t *fkeys;
    int nfkeys;
    gp_enum_t *enums;
    int nenums;
    gp_domain_t *domains;
    int ndomains;
    gp_root_field_t *roots; /* query root fields, sorted by name */
    int nroots;
} gp_model_t;

void gp_model_free(gp_model_t *m);

/* Lookups by GraphQL name (gp_table_column too); NULL when there is none. */
const gp_root_field_t *gp_model_root(const gp_model_t *m, const char *name);
const gp_table_t *gp_model_table(const gp_model_t *m, const char *gql_name);
const gp_column_t *gp_table_column(const gp_table_t *t, const char *name);
const gp_relationship_t *gp_table_relationship(const gp_table_t *t, const char *name);

#endif
