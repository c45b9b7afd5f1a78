/* server/operation.h — one GraphQL operation end to end: plan (resolvers/) → one
 * statement on the worker's pool → `{"data":<cell>}` spliced without parsing the cell.
 * The operation's state belongs to the request's pool: a client that goes away
 * mid-query frees it, and the pending statement is forgotten, not answered.
 * Also the JSON reply helpers every route uses. */
#ifndef GP_OPERATION_H
#define GP_OPERATION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include "schema/model.h"
#include "server/pool.h"

typedef struct gp_operation_input {
    const char *query;          /* the document; need not be NUL-terminated (it is copied) */
    size_t query_len;
    const char *operation_name; /* NUL-terminated, or NULL; copied */
    json_t *variables;          /* a JSON object or NULL; the operation takes its own reference */
    bool via_get;               /* GET may not run mutations (GraphQL over HTTP): 405 */
} gp_operation_input_t;

/* Answers `req` exactly once, now or from the pool's callback. */
void gp_operation_start(h2o_req_t *req, gp_pool_t *pool, const gp_model_t *model, const gp_operation_input_t *in);

/* Sends a complete JSON response. `body` must live as long as the request (the
 * request's pool, or static). Logs one access line at debug level. */
void gp_operation_reply(h2o_req_t *req, int status, const char *body, size_t len);

/* Sends {"errors":[{"message":…,"extensions":{"code":…}}]} with `status`. */
void gp_operation_reply_error(h2o_req_t *req, int status, const char *code, const char *message);

#endif
