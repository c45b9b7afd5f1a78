/* schema/model.h — the introspected database as an immutable snapshot.
 * Everything hangs off one arena owned by the model; requests only read it.
 * Filled by gp_model_load (catalog.c) from the catalog query's JSON, after
 * which names.c has given every table, column and relationship its GraphQL name. */
#ifndef GP_MODEL_H
#define GP_MODEL_H

#include <stdbool.h>

#include "base/arena.h"

typedef struct gp_table gp_table_t;
typedef struct gp_function gp_function_t;

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
    const gp_function_t *computed; /* a computed field's result (gp_function_t.result): its value
                             * is "schema"."fn"(<row>), not a column of the row */
    bool insertable;        /* a field of T_insert_input: its table takes inserts and PostgreSQL
                             * takes a value for it (not a generated column, not an identity
                             * GENERATED ALWAYS, not a view's column it cannot write through) */
    bool updatable;         /* a field of T_set_input and a T_update_column value: the same for
                             * updates */
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

/* A constraint ON CONFLICT can name: the primary key or a unique constraint. */
typedef struct gp_unique {
    const char *name;       /* SQL name: ON CONFLICT ON CONSTRAINT "name" */
    const char *gql_name;   /* its T_constraint value: `name` when a GraphQL name, else sanitized
                             * (names.c, schema/README "Mutations") */
    int ncols;
    int *cols;              /* column indices, in key order */
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
    bool insertable;        /* insert_T, insert_T_one: a table, or a view PostgreSQL inserts into
                             * (pg_relation_is_updatable), with an insertable column */
    bool updatable;         /* update_T, update_T_by_pk, update_T_many: likewise, with an
                             * updatable column */
    bool deletable;         /* delete_T, delete_T_by_pk: a table, or a view PostgreSQL deletes from */
    gp_unique_t *constraints; /* the primary key first (if any), then the unique constraints by
                             * name; deferrable ones are left out (no ON CONFLICT arbiters) */
    int nconstraints;
    gp_relationship_t *rels;
    int nrels;
    const gp_function_t **computed; /* computed fields (functions <table>_<field>), sorted by field */
    int ncomputed;
};

/* A function of an exposed schema (schema/functions.c reads them; README: Functions). */
typedef enum { GP_FN_VOLATILE, GP_FN_STABLE, GP_FN_IMMUTABLE } gp_volatility_t;

typedef enum {
    GP_FN_SCALAR,           /* one value of a base type, enum or domain (or an array of one) */
    GP_FN_ROW,              /* one row of an exposed table or view */
    GP_FN_SETOF,            /* SETOF an exposed table or view */
} gp_fn_returns_t;

typedef struct gp_fn_param {
    const char *name;       /* PostgreSQL name, also the GraphQL input field name */
    const char *sql_type;   /* cast of its bind parameter, as gp_column_t's */
    const char *gql_type;   /* GraphQL scalar of one value */
    bool is_array;
    bool has_default;       /* may be left out: called with named notation, it then takes its default */
} gp_fn_param_t;

struct gp_function {
    const char *schema, *name;
    const char *sql_name;   /* quoted and qualified: "public"."search_posts" */
    const char *gql_name;   /* root field: search_posts, or other_fn outside the default schema */
    gp_volatility_t volatility;
    gp_fn_returns_t returns;
    gp_table_t *table;      /* GP_FN_ROW, GP_FN_SETOF: the rows' table */
    gp_column_t result;     /* GP_FN_SCALAR: the value's types, as a column named after the field
                             * (result.computed points back here for computed fields) */
    gp_fn_param_t *params;  /* the GraphQL arguments: every parameter, but the row of a computed field */
    int nparams;
    bool has_required;      /* some parameter has no default: `args` is required */
    gp_table_t *computed_on;/* a computed field of this table (its row is the first argument), else NULL */
    const char *field;      /* computed_on's field name */
    const char *comment;
    bool exposed;           /* a query root field or a computed field; false for VOLATILE ones
                             * and the skipped ones (each logged once, with why) */
    bool mutation;          /* a VOLATILE one that is a mutation_root field, with the arguments
                             * and result a query root field would have (never also exposed) */
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

typedef enum { GP_ROOT_LIST, GP_ROOT_BY_PK, GP_ROOT_AGGREGATE, GP_ROOT_FUNCTION, GP_ROOT_FUNCTION_AGGREGATE } gp_root_kind_t;

typedef struct gp_root_field {
    const char *name;       /* users, users_by_pk, users_aggregate, search_posts, search_posts_aggregate */
    gp_root_kind_t kind;
    gp_table_t *table;      /* the rows' table; NULL for a function returning a scalar */
    const gp_function_t *function; /* GP_ROOT_FUNCTION* */
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
    gp_function_t *functions; /* every function of the exposed schemas, exposed or not */
    int nfunctions;
    gp_root_field_t *roots; /* query root fields, sorted by name */
    int nroots;
} gp_model_t;

void gp_model_free(gp_model_t *m);

/* Lookups by GraphQL name (gp_table_column too); NULL when there is none. */
const gp_root_field_t *gp_model_root(const gp_model_t *m, const char *name);
const gp_table_t *gp_model_table(const gp_model_t *m, const char *gql_name);
const gp_column_t *gp_table_column(const gp_table_t *t, const char *name);
const gp_relationship_t *gp_table_relationship(const gp_table_t *t, const char *name);
const gp_function_t *gp_table_computed(const gp_table_t *t, const char *field);
/* The constraint whose T_constraint value is `gql_name`. */
const gp_unique_t *gp_table_constraint(const gp_table_t *t, const char *gql_name);

#endif
