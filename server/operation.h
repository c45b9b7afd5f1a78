/* server/operation.h — one GraphQL request (an operation, or a batch of them) run end
 * to end, for any transport: plan (resolvers/) → one statement on the worker's pool →
 * `{"data":<cell>}` spliced without parsing the cell. It knows no HTTP: the transport
 * turns its request into a gp_run_input_t and the completion into its own reply
 * (server/http.c for GraphQL over HTTP; a websocket message tomorrow).
 * The run belongs to the transport: gp_run_free before the completion cancels it (a
 * client that goes away mid-query: the pending statement is forgotten, not answered),
 * after it frees the response. A batch runs each element as an independent operation,
 * one after another, and answers one JSON array, in order, once all are done.
 * Bounded cost: planning stops at max_memory, and PostgreSQL itself measures the
 * `data` cell, sending a short marker instead of one over max_response, so a cell
 * too large is never transferred nor buffered here (libpq keeps whole results).
 * An operation of only __schema, __type and __typename runs no statement at all. */
#ifndef GP_OPERATION_H
#define GP_OPERATION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "db/pool.h"
#include "resolvers/plan_cache.h"
#include "server/metrics.h"
#include "server/snapshot.h"

/* One operation of the request. Everything is copied (variables: a reference) when
 * the run starts, so the input need not outlive gp_run_start. */
typedef struct gp_operation_input {
    const char *query;          /* the document; need not be NUL-terminated */
    size_t query_len;
    const char *operation_name; /* NUL-terminated, or NULL */
    json_t *variables;          /* a JSON object or NULL */
    const char *problem;        /* non-NULL: a malformed batch element, answered BAD_REQUEST with this text */
} gp_operation_input_t;

typedef struct gp_run_input {
    const gp_operation_input_t *ops;
    size_t count;               /* 1 unless batch */
    bool batch;                 /* answer a JSON array of the count responses */
    bool queries_only;          /* mutations refused (GraphQL over HTTP: not with GET) */
    bool dev;                   /* --dev: database errors carry PostgreSQL's message and the SQL */
    size_t max_response;        /* bytes of the response at most (a batch's: of the whole array) */
    size_t max_memory;          /* bytes planning one operation may allocate at most */
    int client_fd;              /* the client's socket, watched while a statement runs; -1: none */
} gp_run_input_t;

/* A subscription is a live query: it needs a socket to send its changes on. */
#define GP_RUN_SUBSCRIPTION_REFUSAL \
    "subscriptions are served over a websocket (graphql-transport-ws or graphql-ws) on /graphql"

/* How the run ended; `status` is HTTP-like (200, or the error's own 4xx/5xx). */
typedef enum {
    GP_RUN_OK,                  /* data (possibly RESPONSE_TOO_LARGE with data null), or a batch */
    GP_RUN_NOT_RUN,             /* errors stopped the operation before execution (parse, validation,
                                 * variables, QUERY_TOO_COMPLEX): no data key */
    GP_RUN_FAILED,              /* the database or the server failed it: data null, or 5xx */
    GP_RUN_MUTATION_REFUSED,    /* a mutation while queries_only (405) */
} gp_run_outcome_t;

typedef struct gp_run_piece {
    const char *base;
    size_t len;
} gp_run_piece_t;

/* The response, as the concatenation of `n` pieces (`len` bytes in all), owned by
 * the run until gp_run_free. */
typedef struct gp_run_result {
    gp_run_outcome_t outcome;
    gp_op_kind_t kind;          /* what it turned out to be, as far as it was planned */
    int status;
    const gp_run_piece_t *pieces;
    size_t n, len;
} gp_run_result_t;

typedef void (*gp_run_cb)(void *data, const gp_run_result_t *result);

/* How the run counts in /metrics. */
gp_op_outcome_t gp_run_op_outcome(const gp_run_result_t *r);

typedef struct gp_run gp_run_t;

/* Calls `cb` exactly once, now or from the pool's callback, unless the run is freed
 * first. Never NULL. Mutations run on the writer; queries on the least busy read
 * replica that is up (gp_pools_read), and once more on the writer if that replica
 * fails them as unavailable. The run plans on `snapshot` (through `plans`, keyed by its
 * version) and holds a reference to it until gp_run_free. */
gp_run_t *gp_run_start(const gp_pools_t *pools, gp_plan_cache_t *plans, gp_snapshot_t *snapshot, const gp_run_input_t *in,
                       gp_run_cb cb, void *data);

/* Forgets a statement still running (no callback follows) and frees everything the
 * run holds, its response included. */
void gp_run_free(gp_run_t *run);

#endif
