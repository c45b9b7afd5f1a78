/* resolvers/values.h — GraphQL input values as JSON, and JSON as bind-parameter text.
 * Literals and variables are turned into one JSON tree before compiling an argument,
 * so the compiler has a single kind of input to walk. */
#ifndef GP_VALUES_H
#define GP_VALUES_H

#include <jansson.h>

#include "resolvers/compile.h"

/* The JSON of an AST value with variables substituted (new reference). A variable
 * that was not provided yields NULL without an error; object fields holding one are
 * left out. An undefined variable is an error: *failed is set. */
json_t *gp_values_to_json(gp_compile_t *c, const gp_value_t *v, int *failed);

/* Writes $n::cast binding `v` in `form`. When `v` is a variable's whole value the
 * parameter is bound to that variable, so a cached plan can take new values. */
void gp_values_param(gp_compile_t *c, const json_t *v, gp_param_form_t form, const char *cast);

/* Makes room for the bindings of n parameters; parameters written with gp_sql_param
 * directly (not through gp_values_param) keep a zeroed, fixed binding. */
void gp_values_reserve_bindings(gp_compile_t *c, int n);

/* Text of a scalar for a bind parameter: strings as they are, numbers and booleans
 * as PostgreSQL reads them, objects and arrays as JSON text. NULL for JSON null. */
const char *gp_values_param_text(gp_arena_t *a, const json_t *v);

/* A PostgreSQL array literal ({"a","b",NULL}) for a JSON array of scalars. */
const char *gp_values_pg_array(gp_arena_t *a, const json_t *array);


#endif
