/* graphql/collect.h — CollectFields of the spec: the fields a selection set asks for,
 * grouped by response key, after @skip/@include and fragments. The compiler walks these
 * groups to write SQL, and the introspection answers walk them to write JSON. */
#ifndef GP_COLLECT_H
#define GP_COLLECT_H

#include <jansson.h>

#include "base/arena.h"
#include "base/error.h"
#include "graphql/ast.h"
#include "schema/types.h"

/* Fields of one response key, merged from every place the document selects it
 * (fragments included), in document order. */
typedef struct gp_field_group {
    const char *key;                 /* alias or name */
    const char *name;
    const gp_selection_t **fields;   /* every field node with this response key */
    int nfields;
    struct gp_field_group *next;
} gp_field_group_t;

/* The JSON of an argument's AST value of input type `type` (NULL: untyped), variables
 * substituted (new reference; NULL for a variable that was not provided). Sets *failed
 * when it added an error. The caller decides how variables are read: the compiler
 * records which variable each value came from. */
typedef json_t *(*gp_collect_value_fn)(void *data, const gp_typeref_t *type, const gp_value_t *v, int *failed);

/* What CollectFields (and the introspection answers) need from whoever runs the
 * operation. Lives as long as one compilation. */
typedef struct gp_collect {
    gp_arena_t *arena;         /* the groups are allocated here */
    const gp_schema_t *schema; /* types the `if` of @skip/@include; NULL: untyped */
    const gp_document_t *doc;  /* its fragments */
    gp_errors_t *errs;
    int max_depth;             /* nesting of fragments */
    gp_collect_value_fn value;
    void *data;                /* for `value` */
} gp_collect_t;

/* Applies @skip/@include, expands fragment spreads and inline fragments whose type
 * condition is `type_name`, and groups by response key. `sets` are the selection sets
 * of a validated document, merged into one. Returns the groups (possibly none), or sets
 * *failed with an error added: a null `if`, or what validation should have refused
 * (gp_collect_unreachable). */
gp_field_group_t *gp_collect_fields(const gp_collect_t *k, const char *type_name, const gp_selection_t *const *sets,
                                    int nsets, int *failed);

/* The graphql/ layer's answer to what a validated document cannot contain (an unknown
 * fragment, field or directive, a missing required argument): one GP_E_INTERNAL error
 * (gp_errors_vunreachable) in k->errs instead of a second copy of the validation
 * message. Returns -1, for `return gp_collect_unreachable(...)`. */
int gp_collect_unreachable(const gp_collect_t *k, long offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
