/* resolvers/values.h — GraphQL input values as JSON for the compiler, and JSON as
 * bind-parameter text. Literals and variables become one JSON tree (through
 * gp_coerce_literal_json, the only AST→JSON conversion) before an argument is
 * compiled, so the compiler has a single kind of input to walk; every variable
 * reference becomes a fresh copy whose origin is recorded, so a parameter is
 * bound to a variable only when it provably came from that variable. */
#ifndef GP_VALUES_H
#define GP_VALUES_H

#include <jansson.h>

#include "resolvers/compile.h"

/* The JSON of an AST value of input type `type` (NULL: untyped), variables
 * substituted (new reference). A variable that was not provided yields NULL
 * without an error; object fields holding one are left out. A variable the operation
 * does not define (validation refuses that) is an internal error: *failed is set. */
json_t *gp_values_json(gp_compile_t *c, const gp_typeref_t *type, const gp_value_t *v, int *failed);

/* The input type of argument `arg` of field `field` of type `type_name`, or of
 * directive @`field` when type_name is NULL; NULL when the schema has none. */
const gp_typeref_t *gp_values_arg_type(const gp_compile_t *c, const char *type_name, const char *field,
                                       const char *arg);

/* Writes $n::cast binding `v` in `form`. When `v` is the copy of a variable
 * reference the parameter is bound to that variable, so a cached plan can take new
 * values; `check` is what such a new value must satisfy (gp_values_check). */
/* A LIMIT or OFFSET count (checked non-negative): the digits of a literal of the
 * document go into the SQL text, a variable's value goes out as a parameter. With
 * LIMIT $n PostgreSQL never settles on a generic plan and plans every execution
 * again (bench/README: planning cost more than executing); a literal is part of the
 * document, which keys the plan cache, so the text still names one statement. */
void gp_values_count(gp_compile_t *c, const json_t *v);
void gp_values_param(gp_compile_t *c, const json_t *v, gp_param_form_t form, const char *cast);
void gp_values_param_checked(gp_compile_t *c, const json_t *v, gp_param_form_t form, const char *cast,
                             gp_param_check_t check);

/* Does `v` satisfy `check`? The compiler and gp_plan_bind both ask this, and only
 * the compiler words the error. */
bool gp_values_check(gp_param_check_t check, const json_t *v);

/* True when some variable shaped the SQL text (a read without a bound parameter). */
bool gp_values_shaped_sql(const gp_compile_t *c);

/* Drops the provenance table's references (at the end of a compile). */
void gp_values_release(gp_compile_t *c);

/* Makes room for the bindings of n parameters; parameters written with gp_sql_param
 * directly (not through gp_values_param) keep a zeroed, fixed binding. */
void gp_values_reserve_bindings(gp_compile_t *c, int n);

/* Text of a scalar for a bind parameter: strings as they are, numbers (exact ones
 * digit for digit) and booleans as PostgreSQL reads them, objects and arrays as
 * JSON text. NULL for JSON null. */
const char *gp_values_param_text(gp_arena_t *a, const json_t *v);

/* A PostgreSQL array literal ({"a","b",NULL}) for a JSON array of scalars. */
const char *gp_values_pg_array(gp_arena_t *a, const json_t *array);

/* The parameter text of `v` in `form`: what the compile and a re-bind both write. */
const char *gp_values_form_text(gp_arena_t *a, const json_t *v, gp_param_form_t form);

#endif
