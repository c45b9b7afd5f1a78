/* resolvers/filter.h — T_bool_exp → a SQL condition, T_order_by → ORDER BY,
 * and the join condition of a relationship. All values leave as parameters. */
#ifndef GP_PLAN_FILTER_H
#define GP_PLAN_FILTER_H

#include <jansson.h>

#include "resolvers/compile.h"

/* Writes a boolean expression over table `t` aliased _t<alias> for the where
 * argument `where` (a JSON object). Returns 0 or -1 with an error added. */
int gp_filter_where(gp_compile_t *c, const gp_table_t *t, int alias, const json_t *where, long offset);

/* Writes " ORDER BY …" for `order_by` (an object or a list of objects), or nothing
 * for an empty one. Returns 0 or -1. */
int gp_filter_order_by(gp_compile_t *c, const gp_table_t *t, int alias, const json_t *order_by, long offset);

/* Writes the value of `col` in the row _t<alias>: _tN."col", or for a computed field's
 * result (col->computed) "schema"."fn"(_tN). */
void gp_filter_value(gp_compile_t *c, int alias, const gp_column_t *col);

/* The array relationship `name` names as `<rel>_aggregate` on `t` (the field of the row
 * type, and the input of T_order_by, schema/types.c names alike); NULL for any other name. */
const gp_relationship_t *gp_filter_aggregate_rel(const gp_compile_t *c, const gp_table_t *t, const char *name);

/* Writes target_alias.remote = outer_alias.local AND … for `rel`. */
void gp_filter_join(gp_compile_t *c, const gp_table_t *t, const gp_relationship_t *rel, int outer_alias,
                    int target_alias);

#endif
