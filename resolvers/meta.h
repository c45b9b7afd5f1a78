/* resolvers/meta.h — introspection (__schema, __type) answered from the type system,
 * without SQL: the JSON is built here and handed to the statement as one json
 * parameter, so an operation that mixes introspection and data is still one
 * statement, and one of pure introspection needs no database round trip at all. */
#ifndef GP_META_H
#define GP_META_H

#include "base/strbuf.h"
#include "resolvers/compile.h"
#include "resolvers/plan_select.h"

/* Writes the JSON value of the query_root field `g` (__schema or __type(name:)),
 * for its merged selection sets, to `out`. Fragments, @skip/@include and variables
 * are applied with gp_select_collect. Returns 0, or -1 with an error added. */
int gp_meta_root_field(gp_compile_t *c, const gp_field_group_t *g, gp_strbuf_t *out);

#endif
