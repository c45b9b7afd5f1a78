/* schema/types.h — the GraphQL type system derived from the model: every type,
 * field, argument, input field, enum value and directive the API has, as data.
 * One source of truth for validation (graphql/validate.c), introspection
 * (graphql/introspection.c) and SDL printing (schema/sdl.c). Immutable once built; lives
 * in its own arena. */
#ifndef GP_TYPES_H
#define GP_TYPES_H

#include <stdbool.h>

#include "base/arena.h"
#include "schema/model.h"

typedef enum {
    GP_KIND_SCALAR,
    GP_KIND_OBJECT,
    GP_KIND_INTERFACE,     /* none yet; here so __TypeKind is complete */
    GP_KIND_UNION,         /* likewise */
    GP_KIND_ENUM,
    GP_KIND_INPUT_OBJECT,
} gp_type_kind_t;

typedef struct gp_type gp_type_t;

/* A type as written at a use site: T, [T], T!, [T!]! … */
typedef struct gp_typeref {
    enum { GP_REF_NAMED, GP_REF_LIST, GP_REF_NON_NULL } kind;
    const gp_type_t *named;        /* GP_REF_NAMED */
    const struct gp_typeref *of;   /* GP_REF_LIST, GP_REF_NON_NULL */
} gp_typeref_t;

typedef struct gp_input_value {   /* an argument or an input object field */
    const char *name;
    const char *description;       /* NULL when none */
    const gp_typeref_t *type;
    const char *default_value;     /* as GraphQL source text (e.g. "false"), NULL when none */
    bool deprecated;
    const char *deprecation_reason;
} gp_input_value_t;

/* What the compiler does for a field: which part of the model it reads. */
typedef enum {
    GP_FIELD_COLUMN,               /* `column` of `table` */
    GP_FIELD_OBJECT_REL,           /* `rel` (object) of `table` */
    GP_FIELD_ARRAY_REL,            /* `rel` (array) of `table` */
    GP_FIELD_ARRAY_REL_AGGREGATE,  /* <rel>_aggregate of `table` */
    GP_FIELD_ROOT_LIST,            /* query_root.T for `table` */
    GP_FIELD_ROOT_BY_PK,           /* query_root.T_by_pk */
    GP_FIELD_ROOT_AGGREGATE,       /* query_root.T_aggregate */
    GP_FIELD_COMPUTED,             /* computed field `function` of `table` (scalar, row or rows) */
    GP_FIELD_ROOT_FUNCTION,        /* query_root.<fn> for `function` */
    GP_FIELD_ROOT_FUNCTION_AGGREGATE, /* query_root.<fn>_aggregate */
    GP_FIELD_ROOT_STREAM,          /* subscription_root.T_stream(batch_size, cursor, where) */
    GP_FIELD_AGGREGATE,            /* a field of T_aggregate, T_aggregate_fields, T_*_fields */
    GP_FIELD_META,                 /* __schema, __type and the fields of the introspection types */
    /* mutation_root (schema/README, Mutations); each has `table` */
    GP_FIELD_INSERT,               /* insert_T(objects, on_conflict): T_mutation_response */
    GP_FIELD_INSERT_ONE,           /* insert_T_one(object, on_conflict): T */
    GP_FIELD_UPDATE,               /* update_T(where, _set, _inc, _append, …): T_mutation_response */
    GP_FIELD_UPDATE_BY_PK,         /* update_T_by_pk(pk_columns, _set, _inc, …): T */
    GP_FIELD_UPDATE_MANY,          /* update_T_many(updates): [T_mutation_response] */
    GP_FIELD_DELETE,               /* delete_T(where): T_mutation_response */
    GP_FIELD_DELETE_BY_PK,         /* delete_T_by_pk(<pk columns>): T */
    GP_FIELD_MUTATION_FUNCTION,    /* a VOLATILE `function`, with the arguments and result a query
                                    * root function has (`table`: its rows' table, NULL for a scalar) */
    GP_FIELD_AFFECTED_ROWS,        /* T_mutation_response.affected_rows, for `table` */
    GP_FIELD_RETURNING,            /* T_mutation_response.returning: [T!]! */
} gp_field_role_t;

typedef struct gp_field {
    const char *name;
    const char *description;
    const gp_typeref_t *type;
    gp_input_value_t *args;        /* sorted by name */
    int nargs;
    bool deprecated;
    const char *deprecation_reason;
    gp_field_role_t role;
    const gp_table_t *table;       /* the table whose row this field reads, when any */
    const gp_column_t *column;     /* GP_FIELD_COLUMN */
    const gp_relationship_t *rel;  /* GP_FIELD_*_REL* */
    const gp_function_t *function; /* GP_FIELD_COMPUTED, GP_FIELD_ROOT_FUNCTION*, GP_FIELD_MUTATION_FUNCTION */
} gp_field_t;

typedef struct gp_enum_value {
    const char *name;
    const char *description;
    bool deprecated;
    const char *deprecation_reason;
} gp_enum_value_t;

struct gp_type {
    gp_type_kind_t kind;
    const char *name;
    const char *description;
    const char *specified_by_url;  /* SCALAR: NULL when none */
    gp_field_t *fields;            /* OBJECT: sorted by name, without __typename */
    int nfields;
    gp_input_value_t *input_fields;/* INPUT_OBJECT: sorted by name */
    int ninput_fields;
    bool is_one_of;                /* INPUT_OBJECT */
    gp_enum_value_t *enum_values;  /* ENUM: in declaration order */
    int nenum_values;
    const gp_table_t *table;       /* the table a type is about: its rows' OBJECT, T_bool_exp,
                                    * T_order_by, T_select_column, and each mutation type (T_insert_input,
                                    * T_obj_rel_insert_input and T_arr_rel_insert_input for T's rows,
                                    * T_on_conflict, T_constraint, T_update_column, T_set_input,
                                    * T_inc_input, T_<jsonb op>_input, T_pk_columns_input, T_updates,
                                    * T_mutation_response); NULL for the others */
};

typedef enum {
    GP_LOC_QUERY = 1 << 0,
    GP_LOC_MUTATION = 1 << 1,
    GP_LOC_SUBSCRIPTION = 1 << 2,
    GP_LOC_FIELD = 1 << 3,
    GP_LOC_FRAGMENT_DEFINITION = 1 << 4,
    GP_LOC_FRAGMENT_SPREAD = 1 << 5,
    GP_LOC_INLINE_FRAGMENT = 1 << 6,
    GP_LOC_VARIABLE_DEFINITION = 1 << 7,
    GP_LOC_SCHEMA = 1 << 8,
    GP_LOC_SCALAR = 1 << 9,
    GP_LOC_OBJECT = 1 << 10,
    GP_LOC_FIELD_DEFINITION = 1 << 11,
    GP_LOC_ARGUMENT_DEFINITION = 1 << 12,
    GP_LOC_INTERFACE = 1 << 13,
    GP_LOC_UNION = 1 << 14,
    GP_LOC_ENUM = 1 << 15,
    GP_LOC_ENUM_VALUE = 1 << 16,
    GP_LOC_INPUT_OBJECT = 1 << 17,
    GP_LOC_INPUT_FIELD_DEFINITION = 1 << 18,
} gp_directive_location_t;

typedef struct gp_directive_def {
    const char *name;              /* without @ */
    const char *description;
    unsigned locations;            /* gp_directive_location_t bits */
    gp_input_value_t *args;
    int nargs;
    bool is_repeatable;
} gp_directive_def_t;

/* query_root's only field when the database exposes nothing to query (GraphQL wants one). */
#define GP_NO_QUERIES_FIELD "no_queries_available"

typedef struct gp_schema {
    gp_arena_t *arena;             /* owns everything below, not the model */
    const gp_model_t *model;
    const char *description;       /* NULL when none */
    gp_type_t *types;              /* sorted by name: built-in scalars, the introspection
                                    * types (__Schema, __Type, …), and every API type */
    int ntypes;
    const gp_type_t *query;        /* query_root */
    const gp_type_t *mutation;     /* mutation_root; NULL when the model has nothing to mutate */
    const gp_type_t *subscription; /* subscription_root: query_root's fields and T_stream; NULL
                                    * when there is nothing to query */
    gp_directive_def_t *directives;/* skip, include, deprecated, specifiedBy, oneOf — sorted */
    int ndirectives;
    bool stringify_numeric;        /* values of bigint, numeric and double precision columns, and
                                    * aggregates over them, are JSON strings (--stringify-numeric-types);
                                    * set by the server before the schema is shared */
} gp_schema_t;

/* The aggregate functions of T_aggregate_fields besides count, each with a T_<fn>_fields
 * type over the columns it takes. The one list: the type system offers exactly these and
 * the compiler (resolvers/select.c) writes exactly these, under the same names in SQL. */
typedef enum {
    GP_AGG_NONE,     /* no aggregate: bool, uuid, bytea, json, tsvector, arrays … */
    GP_AGG_MINMAX,   /* min() and max(): types PostgreSQL orders with them */
    GP_AGG_NUMERIC,  /* those and sum, avg and the statistics: numbers */
} gp_agg_class_t;

typedef struct gp_aggregate_fn {
    const char *name;      /* the field, and the SQL function: avg, max, min, stddev, … */
    gp_agg_class_t takes;  /* the columns of that class or above */
    bool as_float;         /* its fields are Float (statistics), else the column's own type */
} gp_aggregate_fn_t;

extern const gp_aggregate_fn_t gp_aggregate_fns[]; /* sorted by name */
extern const int gp_naggregate_fns;

/* The aggregate function called `name`; NULL for any other name (count included). */
const gp_aggregate_fn_t *gp_aggregate_fn(const char *name);

/* Builds the type system of `m`, which must outlive it. */
gp_schema_t *gp_schema_build(const gp_model_t *m);
void gp_schema_free(gp_schema_t *s);

/* Lookups; NULL when there is none. */
const gp_type_t *gp_schema_type(const gp_schema_t *s, const char *name);
const gp_directive_def_t *gp_schema_directive(const gp_schema_t *s, const char *name);
const gp_field_t *gp_type_field(const gp_type_t *t, const char *name);
const gp_input_value_t *gp_type_input_field(const gp_type_t *t, const char *name);
const gp_input_value_t *gp_field_arg(const gp_field_t *f, const char *name);
const gp_input_value_t *gp_directive_arg(const gp_directive_def_t *d, const char *name);
const gp_enum_value_t *gp_type_enum_value(const gp_type_t *t, const char *name);

/* Whether `f`'s arguments are its table's primary key columns (T_by_pk, delete_T_by_pk):
 * SDL and introspection list those in key order, as Hasura does, not by name. */
bool gp_field_args_keyed(const gp_field_t *f);

/* The named type under the wrappers, and the GraphQL spelling ([Int!]!) of a ref. */
const gp_type_t *gp_typeref_named(const gp_typeref_t *r);
const char *gp_typeref_string(gp_arena_t *a, const gp_typeref_t *r);

/* Input types (scalars, enums, input objects) and output types (scalars, enums, objects). */
bool gp_type_is_input(const gp_type_t *t);
bool gp_type_is_output(const gp_type_t *t);
bool gp_type_is_composite(const gp_type_t *t); /* object, interface, union */
bool gp_type_is_leaf(const gp_type_t *t);      /* scalar, enum */

#endif
