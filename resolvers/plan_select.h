/* resolvers/plan_select.h — selection sets → JSON built by PostgreSQL:
 * json_build_object per row, json_agg per list, correlated subqueries per relationship. */
#ifndef GP_PLAN_SELECT_H
#define GP_PLAN_SELECT_H

#include "resolvers/compile.h"

/* Fields of one response key, merged from every place the document selects it
 * (fragments included), in document order. */
typedef struct gp_field_group {
    const char *key;                 /* alias or name */
    const char *name;
    const gp_selection_t **fields;   /* every field node with this response key */
    int nfields;
    struct gp_field_group *next;
} gp_field_group_t;

/* CollectFields of the spec: applies @skip/@include, expands fragment spreads and
 * inline fragments whose type condition is `type_name`, and groups by response key.
 * `sets` are the selection sets merged into one. Returns the groups (possibly none),
 * or sets *failed. */
gp_field_group_t *gp_select_collect(gp_compile_t *c, const char *type_name, const gp_selection_t *const *sets,
                                    int nsets, int *failed);

/* Writes the value of a root field of query_root (a list, a by-pk lookup). */
int gp_select_root_field(gp_compile_t *c, const gp_field_group_t *g);

/* Writes json_build_object(...) for the groups, or an equivalent when there are
 * more pairs than one call of json_build_object takes. `write_value` writes the
 * value of group i. */
int gp_select_object_of(gp_compile_t *c, const gp_field_group_t *groups,
                        int (*write_value)(gp_compile_t *c, const gp_field_group_t *g, void *ctx), void *ctx);

#endif
