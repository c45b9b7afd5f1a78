/* resolvers/jsonpath.h — Hasura's JSON path argument ("a.b[0]", "$.a.b[0]", "$['a b']")
 * → the keys and indices of a PostgreSQL text[] path for `#>`. The path is always a bind
 * parameter; this only splits it. */
#ifndef GP_JSONPATH_H
#define GP_JSONPATH_H

#include <stddef.h>

#include "base/arena.h"

/* Splits `path` into *items (in `a`) and *n; "$" alone is the whole value (n = 0).
 * Returns NULL on success, else what is wrong (a static message) with *at set to the
 * byte offset where it went wrong. */
const char *gp_jsonpath_parse(gp_arena_t *a, const char *path, size_t len, const char ***items, int *n, size_t *at);

#endif
