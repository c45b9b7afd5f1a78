/* graphql/coerce.h — input values against input types: literals in the document
 * (the ValuesOfCorrectType rule) and variable values from the request
 * (CoerceVariableValues), with the spec's rules for null, lists, input objects,
 * enums and scalars. */
#ifndef GP_COERCE_H
#define GP_COERCE_H

#include <jansson.h>

#include "base/arena.h"
#include "base/error.h"
#include "graphql/ast.h"
#include "schema/types.h"

/* Checks literal `v` against `type` at a use site. Variables inside `v` are not
 * resolved (AllVariablesInAllowedPosition checks them); `variables` are the
 * operation's definitions, NULL outside one. Appends GP_E_VALIDATION errors worded
 * as graphql-js does (e.g. `Int cannot represent non-integer value: "abc"`,
 * `Expected value of type "Int!", found null.`, `Field "x" is not defined by type
 * "users_bool_exp".`) and returns how many. */
int gp_coerce_literal(gp_arena_t *a, const gp_schema_t *s, const gp_typeref_t *type, const gp_value_t *v,
                      const gp_variable_def_t *variables, gp_errors_t *errs);

/* Adds the GP_E_VALIDATION error for required argument `arg` of type `type` of field
 * `owner` (directive @`owner` when `directive`) without a value, as graphql-js words
 * ProvidedRequiredArguments. Validation reports a missing one; __type also reports its
 * `name` this way when a nullable variable with a default makes it null. */
void gp_coerce_missing_argument(gp_errors_t *errs, long offset, bool directive, const char *owner, const char *arg,
                                const char *type);

/* Resolves a variable reference met inside a literal: a new reference, or NULL
 * when the variable was not provided (the field or argument is then absent). */
typedef json_t *(*gp_coerce_variable_fn)(void *ctx, const gp_value_t *variable);

/* valueFromAST, the one conversion of AST values to JSON: `v` (which validation
 * accepted) as a value of `type` (NULL: of unknown type, converted untyped).
 * Integers an int64 holds become JSON integers, every other Int/Float literal
 * outside a Float position keeps its digits (gp_json_exact); Float is a double;
 * enums are strings; a single value in a list position is a list of one; input
 * object fields get their defaults. Variables are resolved by `variable`, or are
 * null when it is NULL. Returns a new reference, NULL for an absent variable. */
json_t *gp_coerce_literal_json(gp_arena_t *a, const gp_schema_t *s, const gp_typeref_t *type, const gp_value_t *v,
                               gp_coerce_variable_fn variable, void *ctx);

/* CoerceVariableValues: the variables of `op` from `provided` (a JSON object or
 * NULL), defaults applied, types checked recursively. Returns a new JSON object of
 * coerced values (a variable that was neither provided nor has a default is
 * absent), or NULL after appending GP_E_BAD_INPUT errors that name the variable
 * and the path inside it, e.g.
 *   Variable "$where" got invalid value "x" at "where.id._eq"; Int cannot represent non-integer value: "x"
 * Unknown variable types are skipped: validation reports them. */
json_t *gp_coerce_variables(gp_arena_t *a, const gp_schema_t *s, const gp_operation_t *op, const json_t *provided,
                            gp_errors_t *errs);

#endif
