/* resolvers/compile.h — the compiler's entry (gp_compile) and the state one
 * compilation shares between compile.c, select.c, filter.c and values.c. Lives in
 * the request arena. */
#ifndef GP_COMPILE_H
#define GP_COMPILE_H

#include <jansson.h>

#include "base/arena.h"
#include "base/error.h"
#include "graphql/ast.h"
#include "graphql/introspection.h"
#include "resolvers/plan.h"
#include "resolvers/sql.h"
#include "schema/model.h"
#include "schema/types.h"

#define GP_COMPILE_MAX_DEPTH 32 /* nesting of relationships and boolean expressions */

typedef struct gp_compile {
    gp_arena_t *arena;
    const gp_model_t *model;
    const gp_schema_t *schema;  /* the type system of `model` (introspection reads it) */
    const gp_document_t *doc;
    const gp_operation_t *op;
    json_t *variables;      /* coerced variable values by name (owned: decref'd at the end) */
    /* Provenance: every variable reference in the document that was read became a
     * fresh copy of the variable's value, recorded here (values.c), so a parameter
     * is bound to a variable only when it is that very copy. */
    struct gp_var_use *uses;/* open-addressing table keyed by the copy's address */
    int uses_cap, nuses, nbound;
    bool shaped;            /* some variable's value was read without a copy that could
                             * carry its identity (null, absent, a boolean): the SQL
                             * may depend on it */
    gp_param_binding_t *bindings; /* by parameter index; zeroed (fixed) where not set */
    int bindings_cap;
    gp_sql_t sql;
    gp_errors_t *errs;
    gp_introspection_t meta;         /* one __schema/__type answer per distinct selection (gp_select_introspection) */
    struct gp_introspection_param *introspection_params; /* select.c: the parameter each distinct answer is bound to */
    const char *const *answer;       /* introspection only: the data object without SQL (gp_introspection_answer) */
    gp_compile_config_t config; /* the server's caps: max_rows */
    int next_alias;         /* _t1, _t2, … : every table reference gets its own */
    int depth;
    uint8_t *reads;         /* a bit per model table the statement reads (NULL: none yet) */
    bool reads_any;         /* it calls a function, which may read any table */
    const char *cursor_sql; /* a stream: its cursor's next value (gp_select_stream) */
} gp_compile_t;

/* Writes the SQL name of table `t`, which the statement then reads: a live query
 * refreshes when it changes. */
void gp_compile_table(gp_compile_t *c, const gp_table_t *t);

/* Writes the SQL name of function `fn`, whose body may read any table. */
void gp_compile_function(gp_compile_t *c, const gp_function_t *fn);

/* Adds a GP_E_VALIDATION error at `offset` and returns -1, for `return fail(...)`: for
 * what validation cannot see, which values decide (a negative limit, a null that a
 * nullable variable with a default puts where a value is wanted), and the placeholder
 * `_` of a T_select_column enum, which names no column. */
int gp_compile_fail(gp_compile_t *c, long offset, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int gp_compile_fail_kind(gp_compile_t *c, gp_error_kind_t kind, long offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* For what validation rules out (an unknown field, argument, fragment or variable, a
 * value of the wrong shape): the compiler trusts gp_validate and gp_coerce_variables, so
 * such a miss is a bug of theirs, reported as one GP_E_INTERNAL error
 * (gp_errors_vunreachable), never as a second copy of a validation message. `fmt`
 * names what was met. Returns -1, for `return gp_compile_unreachable(...)`. */
int gp_compile_unreachable(gp_compile_t *c, long offset, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Compiles `op` of the validated `doc` with its coerced variables (gp_coerce_variables)
 * on `on` under `config` (NULL: no caps). Returns NULL and appends to `errs` when it
 * cannot (limits, features not there yet). */
gp_plan_t *gp_compile(gp_arena_t *a, const gp_plan_target_t *on, const gp_compile_config_t *config,
                      const gp_document_t *doc, const gp_operation_t *op, const json_t *variables,
                      gp_errors_t *errs);

#endif
