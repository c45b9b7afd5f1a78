/* resolvers/plan.h — turns one GraphQL request into ONE SQL statement and its parameters.
 * Everything it returns lives in the caller's arena. It never touches the network. */
#ifndef GP_PLAN_H
#define GP_PLAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/error.h"
#include "graphql/ast.h"
#include "graphql/introspection.h"
#include "schema/types.h"

/* The server's settings that shape the SQL: the same for every request a server
 * answers, so a plan cache compiles all its plans with one of these. */
typedef struct gp_compile_config {
    int max_rows;           /* rows of any list (root, relationship, aggregate nodes) at most; 0: no cap */
} gp_compile_config_t;

typedef struct gp_params {
    int count;
    const char **values;    /* $1..$n as text; NULL is SQL NULL. Types are cast in the SQL text. */
} gp_params_t;

/* How parameter $i gets its value: fixed text from the document, or the value of
 * a variable, so that a cached plan serves new variable values. */
typedef enum {
    GP_PARAM_TEXT,   /* the text of a scalar (objects and arrays as JSON text) */
    GP_PARAM_JSON,   /* JSON text, strings quoted: a json/jsonb operand */
    GP_PARAM_ARRAY,  /* a PostgreSQL array literal of a list of scalars */
    GP_PARAM_ARRAYS, /* a text[] literal whose items are array literals: a list of arrays */
    GP_PARAM_JSONS,  /* an array literal whose items are JSON texts: a list of json values */
    GP_PARAM_JSON_PATH, /* a text[] literal of the keys of a JSON path string (resolvers/jsonpath.c) */
} gp_param_form_t;

/* What a re-bound value must still satisfy for the SQL to be what a compile of it
 * would write; otherwise the plan is compiled anew (and reports what is wrong). */
typedef enum {
    GP_CHECK_NONE,
    GP_CHECK_COUNT,     /* an integer >= 0: limit, offset */
    GP_CHECK_JSON_PATH, /* a string in Hasura's JSON path syntax */
} gp_param_check_t;

typedef struct gp_param_binding {
    const char *variable;   /* NULL: params.values[i] is fixed */
    gp_param_form_t form;
    gp_param_check_t check;
    int json_type;          /* the json_type of the value compiled; another one recompiles */
} gp_param_binding_t;

/* A statement of a mutation that runs before the plan's own, in its transaction: the
 * writes of one root field, or the answer to one that fields after it could change
 * (resolvers/mutation.c). */
typedef struct gp_plan_write {
    const char *sql;
    gp_params_t params;
    const char *key;        /* the root field's response key: the path of its errors */
} gp_plan_write_t;

typedef struct gp_plan {
    const char *sql;        /* one statement; its single row has a single json cell: the `data` object */
    gp_params_t params;
    const gp_param_binding_t *bindings; /* one per parameter */
    bool is_mutation;       /* goes to the writer */
    bool is_subscription;   /* a live query: `sql` names its parameters _s.p1 … (GP_SQL_LIVE_REF) and
                             * runs only inside the statement of its cohort (server/live.c) */
    const uint8_t *reads;   /* a bit per model table (its index in model->tables) the statement
                             * reads: directly, through relationships, in filters; NULL: none */
    size_t reads_size;      /* bytes of `reads` */
    bool reads_any;         /* it calls functions, which may read any table */
    const char *cursor_sql; /* a stream (T_stream): the statement giving the cursor's value after
                             * the batch `sql` answers, NULL when it is empty; both read the
                             * subscriber's cursor as GP_SQL_LIVE_CURSOR */
    const gp_plan_write_t *writes; /* a mutation: statements that run first, in order, all of them
                            * and `sql` as ONE transaction; `sql` reads back what they wrote */
    int nwrites;
    bool reusable;          /* every variable reference read went out whole as a parameter
                             * (values.c tracks where each value came from), so the
                             * plan serves any values of the same variables: see gp_plan_bind */
    uint64_t statement;     /* nonzero: a cached plan, worth a named prepared statement */
    const char *const *answer; /* non-NULL: no statement (sql is ""): the `data` object is these texts
                                * concatenated, NULL-terminated; aliases of one selection share a text */
} gp_plan_t;

/* What a request is planned on: a type system, the version that names it (the plan
 * cache's key) and the introspection answers every request on it shares (NULL:
 * none). A server snapshot, as the compiler sees it. */
typedef struct gp_plan_target {
    const gp_schema_t *schema;
    uint64_t version;
    gp_introspection_answers_t *answers;
} gp_plan_target_t;

/* Picks operation `operation_name` (NULL: the document's only one) of a validated
 * document; NULL with an error when there is no such operation. */
const gp_operation_t *gp_plan_operation(const gp_document_t *doc, const char *operation_name, gp_errors_t *errs);

/* The parameters of a reusable plan for new (coerced) variable values, in `a`.
 * False when the result might differ from a fresh compile: a bound variable is now
 * null or absent (null drops a condition rather than comparing with NULL), of
 * another JSON type, or fails its binding's check (a negative limit): the caller
 * compiles anew, which writes the right SQL or the same error as a cold server. */
bool gp_plan_bind(const gp_plan_t *plan, gp_arena_t *a, const json_t *variables, gp_params_t *out);

/* Same statement text and same parameters (SQL NULL equal to itself): what a
 * re-bound plan must be to a fresh compile of the same request. */
bool gp_plan_equal(const gp_plan_t *x, const gp_plan_t *y);

/* Parse, validate, coerce the variables and compile, in one call. `query` must be
 * NUL-terminated at query_len; `config` NULL means no caps. (The server goes through
 * the plan cache instead.) */
gp_plan_t *gp_plan_request(gp_arena_t *a, const gp_plan_target_t *on, const gp_compile_config_t *config,
                           const char *query, size_t query_len, const char *operation_name,
                           const json_t *variables, gp_errors_t *errs);

#endif
