/* schema/pgtype.h — PostgreSQL type → GraphQL scalar, and the cast for bind parameters.
 * Int, Float, String and Boolean where the mapping is exact; every other type is a
 * custom scalar named after the type, as Hasura does (int8 → bigint, timestamptz,
 * numeric, jsonb, enums and domains by their own name). An array column has the
 * element's scalar with gp_column_t.is_array set: its GraphQL type is [scalar]. */
#ifndef GP_PGTYPE_H
#define GP_PGTYPE_H

#include <stdbool.h>

#include "base/arena.h"

/* The GraphQL scalar of one value of type schema.name (for arrays, pass the element
 * type). Built-in types map by name (pg_catalog only, plus citext wherever it was
 * installed); any other type is a custom scalar named by gp_names_type(). The result
 * is a static string or lives in `a`. */
const char *gp_pgtype_scalar(gp_arena_t *a, const char *schema, const char *name, const char *default_schema);

/* The cast written after bind parameters: "pg_catalog"."int4", "public"."mpaa_rating"[]. */
char *gp_pgtype_sql(gp_arena_t *a, const char *schema, const char *name, bool is_array);

/* A readable type name for messages and SDL comments: the element name with [] for arrays. */
char *gp_pgtype_readable(gp_arena_t *a, const char *name, bool is_array);

/* True for the scalars GraphQL defines itself (Int, Float, String, Boolean, ID):
 * the SDL declares every other one. */
bool gp_pgtype_is_builtin(const char *scalar);

/* Which comparison operators a scalar's `_comparison_exp` offers beyond the common ones:
 * pattern matching (_like, _ilike, _nlike, _nilike, _similar, _regex, _iregex) for text,
 * containment and keys (_contains, _contained_in, _has_key, _has_keys_any, _has_keys_all)
 * for jsonb. From one table (pgtype.c) that the type system (which operators exist) and
 * the compiler (which operators a column takes, how its values are sent) both read. */
bool gp_pgtype_has_text_ops(const char *scalar);
bool gp_pgtype_has_jsonb_ops(const char *scalar);

/* True for json and jsonb: a value is any JSON document, sent to PostgreSQL as JSON text. */
bool gp_pgtype_is_json(const char *scalar);

/* True for bigint, numeric and double precision (and arrays of them), by the column's
 * cast (gp_column_t.sql_type): the types whose values --stringify-numeric-types sends
 * as JSON strings, as Hasura's HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES does. */
/* False for json, which has neither an ordering nor an equality operator: no ORDER BY,
 * DISTINCT ON or count(DISTINCT) (T_order_by and T_select_column leave it out). */
bool gp_pgtype_sorts(const char *scalar);
bool gp_pgtype_is_wide_number(const char *sql_type);

#endif
