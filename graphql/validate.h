/* graphql/validate.h — the Validation section of the GraphQL spec (October 2021):
 * every rule, every error of a document reported at once, messages as graphql-js
 * words them, each with the location of the node it is about. */
#ifndef GP_VALIDATE_H
#define GP_VALIDATE_H

#include "base/arena.h"
#include "base/error.h"
#include "graphql/ast.h"
#include "schema/types.h"

#define GP_VALIDATE_MAX_DEPTH 32       /* selection-set nesting, fragments included; fragments nested */
#define GP_VALIDATE_MAX_NODES 10000    /* fields selected, fragments included */

/* Validates `doc` against `s`. Appends one GP_E_VALIDATION error per problem (depth
 * and node limits are GP_E_TOO_COMPLEX) and returns their number: 0 means valid.
 * Uses `a` for scratch memory. Values of correct type are checked through
 * gp_coerce_literal (graphql/coerce.h). */
int gp_validate(gp_arena_t *a, const gp_schema_t *s, const gp_document_t *doc, gp_errors_t *errs);

#endif
