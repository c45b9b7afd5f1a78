/* server/operation.h — one GraphQL operation end to end: plan (resolvers/) → one
 * statement on the worker's pool → `{"data":<cell>}` spliced without parsing the cell.
 * The operation's state belongs to the request's pool: a client that goes away
 * mid-query frees it, and the pending statement is forgotten, not answered.
 * A batch (a JSON array of operations in one POST) runs each element as an
 * independent operation and answers one JSON array, in order, once all are done.
 * Bounded cost: planning stops at max_memory, and PostgreSQL itself measures the
 * `data` cell, sending a short marker instead of one over max_response, so a cell
 * too large is never transferred nor buffered here (libpq keeps whole results).
 * An operation of only __schema, __type and __typename runs no statement at all.
 * Also the JSON reply helpers every route uses. */
#ifndef GP_OPERATION_H
#define GP_OPERATION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include "db/pool.h"
#include "resolvers/plan_cache.h"

/* The response media type, negotiated from Accept (GraphQL over HTTP). It decides
 * the Content-Type and the status of a response whose errors stopped the operation
 * before execution: 200 for application/json (clients that predate the newer type
 * read only the body), the error's own 4xx for application/graphql-response+json. */
typedef enum { GP_MEDIA_JSON, GP_MEDIA_GRAPHQL_RESPONSE } gp_media_t;

/* For replies that are not an operation's (errors, /health): small, but bounded too. */
#define GP_SEND_TIMEOUT_DEFAULT_MS 10000

typedef struct gp_operation_input {
    const char *query;          /* the document; need not be NUL-terminated (it is copied) */
    size_t query_len;
    const char *operation_name; /* NUL-terminated, or NULL; copied */
    json_t *variables;          /* a JSON object or NULL; the operation takes its own reference */
    bool via_get;               /* GET may not run mutations (GraphQL over HTTP): 405 */
    gp_media_t media;
    bool dev;                   /* --dev: database errors carry PostgreSQL's message and the SQL */
    size_t max_response;        /* bytes of the response at most (a batch's: of the whole array) */
    size_t max_memory;          /* bytes planning the operation may allocate at most */
    uint64_t send_timeout_ms;   /* a client that reads none of a large response this long is cut off */
} gp_operation_input_t;

/* Answers `req` exactly once, now or from the pool's callback. */
void gp_operation_start(h2o_req_t *req, gp_pool_t *pool, gp_plan_cache_t *plans, const gp_operation_input_t *in);

/* A batch lives in the request's pool; it answers `req` exactly once, with a 200 and
 * the array of the `count` element responses. Every index in [0, count) must be
 * given to exactly one of gp_batch_add or gp_batch_fail, then gp_batch_run starts
 * the elements one after another: the array counts as one response, and once its
 * parts add up to more than `max_response` bytes every element is answered
 * RESPONSE_TOO_LARGE and no further statement is sent, so a batch holds at most one
 * response's worth of replies plus the one result in flight. `body`, which the
 * inputs point into, is kept (a reference) until the request is freed. The
 * elements' own media type is ignored: the batch's applies. */
typedef struct gp_batch gp_batch_t;
gp_batch_t *gp_batch_new(h2o_req_t *req, size_t count, gp_media_t media, size_t max_response, json_t *body,
                         uint64_t send_timeout_ms);
void gp_batch_add(gp_batch_t *b, size_t index, const gp_operation_input_t *in);
/* Element `index` is answered {"errors":[{"message":…,"extensions":{"code":…}}]}. */
void gp_batch_fail(gp_batch_t *b, size_t index, const char *code, const char *message);
void gp_batch_run(gp_batch_t *b, gp_pool_t *pool, gp_plan_cache_t *plans);

/* Sends a complete response of the given media type (with charset=utf-8). `body`
 * must live as long as the request (the request's pool, or static). Logs one access
 * line at debug level. */
void gp_operation_reply(h2o_req_t *req, int status, gp_media_t media, const char *body, size_t len);

/* Sends {"errors":[{"message":…,"extensions":{"code":…}}]} with `status`. */
void gp_operation_reply_error(h2o_req_t *req, int status, gp_media_t media, const char *code, const char *message);

#endif
