/* graphql/validate_int.h — what validate.c shares with validate_fields.c and
 * validate_spreads.c: the validation context and its lookups. Private to validate*.c. */
#ifndef GP_VALIDATE_INT_H
#define GP_VALIDATE_INT_H

#include <stdbool.h>

#include "graphql/validate.h"

/* Steps the quadratic parts (field merging, per-operation fragment walks) may take
 * before validation gives up with one GP_E_TOO_COMPLEX error. */
#define GP_VALIDATE_MAX_WORK 200000L

typedef struct vusage {            /* a variable where it is used */
    const gp_value_t *var;
    const gp_typeref_t *expected;  /* the type of the position; NULL when unknown */
    bool has_default;              /* the position (argument, input field) has a default */
    struct vusage *next;
} vusage_t;

typedef struct vspread {
    const gp_selection_t *node;
    struct vspread *next;
} vspread_t;

typedef struct vfrag {
    const gp_fragment_t *def;
    const gp_type_t *type;          /* its type condition when known and composite */
    struct vusage *usages;          /* variables it uses itself, in document order */
    struct vspread *spreads;        /* fragments it spreads itself, in document order */
    long stamp;                     /* visit marks (see ctx->stamp) */
    bool used;                      /* reached from an operation */
} vfrag_t;

typedef struct vctx {
    gp_arena_t *a;
    const gp_schema_t *s;
    const gp_document_t *doc;
    size_t srclen;
    gp_errors_t errs;               /* collected here, sorted into the caller's at the end */
    long work;                      /* GP_VALIDATE_MAX_WORK minus the steps taken */
    bool too_complex;               /* work ran out: reported once */
    vfrag_t *frags;                 /* document order */
    int nfrags;
    vfrag_t **by_name;              /* frags sorted by name, then document order */
    long stamp;                     /* a fresh mark for each walk over fragments */
    gp_field_t typename_field, schema_field, type_field;
    gp_input_value_t type_name_arg;
} vctx_t;

/* Appends a GP_E_VALIDATION error. */
void gp_vctx_error(vctx_t *c, long offset, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Takes `n` steps of work; false (after reporting once) when the budget is spent. */
bool gp_vctx_work(vctx_t *c, long n);

/* The fragment named `name`, NULL when none (the first one if several). */
vfrag_t *gp_vctx_fragment(const vctx_t *c, const char *name);

/* The definition of field `name` on composite `parent`, __typename, __schema and
 * __type included; NULL when `parent` is NULL or has no such field. */
const gp_field_t *gp_vctx_field(const vctx_t *c, const gp_type_t *parent, const char *name);

/* The named type `name` when it exists and is composite, else NULL. */
const gp_type_t *gp_vctx_composite(const vctx_t *c, const char *name);

/* A field of a selection set with fragments spread and inline fragments flattened. */
typedef struct vfield {
    const gp_selection_t *node;
    const gp_type_t *parent;        /* the type it is selected on; NULL when unknown */
    const gp_field_t *def;          /* NULL when unknown */
} vfield_t;

/* The fields of `sels` on `parent`, each fragment spread once, in document order;
 * sets *n. Costs one step of work per selection; stops early when work runs out. */
vfield_t *gp_vctx_collect(vctx_t *c, const gp_type_t *parent, const gp_selection_t *sels, int *n);

/* validate_spreads.c: NoFragmentCycles; SingleFieldSubscriptions for `op` on `root`;
 * GP_VALIDATE_MAX_DEPTH and GP_VALIDATE_MAX_NODES for `op`. */
void gp_validate_fragment_cycles(vctx_t *c);
void gp_validate_subscription(vctx_t *c, const gp_operation_t *op, const gp_type_t *root);
void gp_validate_limits(vctx_t *c, const gp_operation_t *op);

/* validate_fields.c: OverlappingFieldsCanBeMerged over every selection set of the document. */
void gp_validate_field_merging(vctx_t *c);

#endif
