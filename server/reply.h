/* server/reply.h — HTTP replies of every route: the status, the negotiated JSON media
 * type, and a body that h2o holds until the client reads it. Bodies over one slice
 * go out slice by slice, and a client that reads none of a slice for the send
 * timeout is disconnected (h2o 2.2.5 has no such timeout of its own). */
#ifndef GP_REPLY_H
#define GP_REPLY_H

#include <stddef.h>
#include <stdint.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include "server/metrics.h"

/* The response media type, negotiated from Accept (GraphQL over HTTP). It decides
 * the Content-Type and the status of a response whose errors stopped the operation
 * before execution: 200 for application/json (clients that predate the newer type
 * read only the body), the error's own 4xx for application/graphql-response+json.
 * /metrics answers Prometheus's text format. */
typedef enum { GP_MEDIA_JSON, GP_MEDIA_GRAPHQL_RESPONSE, GP_MEDIA_PROMETHEUS } gp_media_t;

/* For replies that are not an operation's (errors, /health): small, but bounded too. */
#define GP_SEND_TIMEOUT_DEFAULT_MS 10000

/* What a request's log line tells of the operation it ran. */
typedef struct gp_reply_op {
    gp_op_kind_t kind;
    gp_op_outcome_t outcome;
    const char *name;           /* the request's operationName, or NULL */
    uint64_t slow_ms;           /* --slow-query-ms: slower is a warning; 0: never */
} gp_reply_op_t;

/* Sends the concatenation of iov[0..n), `len` bytes in all, without copying it: the
 * pieces must live as long as the request. Every reply gets an x-request-id (the
 * client's, when it sent a sane one) and a log line: at info for /graphql (with `op`'s
 * fields when it ran an operation; at warn when slower than op->slow_ms), at debug
 * for the other routes (health probes come often). */
void gp_reply_iov(h2o_req_t *req, int status, gp_media_t media, h2o_iovec_t *iov, size_t n, size_t len,
                  uint64_t timeout_ms, const gp_reply_op_t *op);

/* A complete response of the given media type (with charset=utf-8). `body` must
 * live as long as the request (the request's pool, or static). */
void gp_reply(h2o_req_t *req, int status, gp_media_t media, const char *body, size_t len);

/* Sends {"errors":[{"message":…,"extensions":{"code":…}}]} with `status`. */
void gp_reply_error(h2o_req_t *req, int status, gp_media_t media, const char *code, const char *message);

#endif
