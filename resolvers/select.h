/* resolvers/select.h — selection sets → JSON built by PostgreSQL:
 * json_build_object per row, json_agg per list, correlated subqueries per relationship. */
#ifndef GP_PLAN_SELECT_H
#define GP_PLAN_SELECT_H

#include "graphql/collect.h"
#include "graphql/introspection.h"
#include "resolvers/compile.h"

/* gp_collect_fields (graphql/collect.h) in this compilation: values of @skip/@include
 * are read through values.c, so a variable that decides them is recorded. */
gp_field_group_t *gp_select_collect(gp_compile_t *c, const char *type_name, const gp_selection_t *const *sets,
                                    int nsets, int *failed);

/* The merged sub-selections of a group: one selection set per field node (g->nfields). */
const gp_selection_t **gp_select_sub_selections(gp_compile_t *c, const gp_field_group_t *g);

/* The introspection answers of this compilation (graphql/introspection.h), reading
 * values the same way; their memo lives as long as `c`. */
gp_introspection_t *gp_select_introspection(gp_compile_t *c);

/* Writes `$n::json` for __schema or __type `g`: one bind parameter per distinct
 * selection, however many aliases repeat it. Returns 0, or -1 with an error. */
int gp_select_introspection_param(gp_compile_t *c, const gp_field_group_t *g);

/* Writes the value of a root field of query_root (a list, a by-pk lookup). */
int gp_select_root_field(gp_compile_t *c, const gp_field_group_t *g);

/* A subscription of one T_stream field `g`: `SELECT json_build_object(<key>, <the next
 * batch>)` into c->sql, and in *cursor_sql a statement giving the cursor's value after
 * that batch (NULL when it is empty). Both read the subscriber's cursor as
 * GP_SQL_LIVE_CURSOR. */
int gp_select_stream(gp_compile_t *c, const gp_field_group_t *g, const char **cursor_sql);

/* Writes json_build_object(...) for the groups, or an equivalent when there are
 * more pairs than one call of json_build_object takes. `write_value` writes the
 * value of group i. */
int gp_select_object_of(gp_compile_t *c, const gp_field_group_t *groups,
                        int (*write_value)(gp_compile_t *c, const gp_field_group_t *g, void *ctx), void *ctx);

/* Writes "schema"."fn"(name => $1::type, …) with the `args` given (a JSON object, or NULL). */
int gp_select_call(gp_compile_t *c, const gp_function_t *fn, const json_t *args, long at);

/* The rows of `t` a mutation wrote, read back from `source` (SQL of a set of rows of t's
 * row type) in a later statement of its transaction, so that relationships see every
 * write: a JSON list of g's selection, with g's list arguments (a field of `parent_type`:
 * where, order_by, limit, offset, distinct_on) applied; or, with `one`, the first row
 * or null. */
int gp_select_written(gp_compile_t *c, const gp_table_t *t, const char *source, const gp_field_group_t *g,
                      const char *parent_type, bool one);

#endif
