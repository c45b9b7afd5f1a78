/* server/http.h — the HTTP routes: POST and GET /graphql (and its websocket upgrade,
 * handed to server/ws.c), /health, /ready, /live, /health/database, /metrics; 404 elsewhere,
 * 405 with Allow for a wrong method. One handler is
 * registered on the shared h2o configuration; the per-thread state it needs comes
 * from the worker's context, which starts with the h2o context. */
#ifndef GP_HTTP_H
#define GP_HTTP_H

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include <stdatomic.h>

#include "db/pool.h"
#include "resolvers/plan_cache.h"
#include "server/metrics.h"
#include "server/snapshot.h"

/* What a request handler can reach of its worker. `h2o` must stay the first member:
 * handlers get it back from req->conn->ctx. */
typedef struct gp_http_ctx {
    h2o_context_t h2o;
    gp_pools_t pools;           /* the writer's and the read replicas' */
    gp_snapshot_slot_t *snapshot; /* the worker's, published by main when introspection succeeds and at
                                   * each reload; workers serve before that (/live, /health answering
                                   * 503) so that an orchestrator sees a live process while the database
                                   * is unreachable */
    gp_plan_cache_t *plans;     /* made on the first request after the schema is published; keyed by
                                 * snapshot version */
    int plan_cache;             /* its capacity */
    gp_compile_config_t compile; /* what it compiles with: --max-rows */
    bool dev;                   /* --dev */
    const struct gp_http_limits *limits; /* the handler's, set on every request */
    struct gp_ws_ctx *ws;       /* the worker's websocket sessions (server/ws.h) */
    struct gp_live *live;       /* the worker's live queries (server/live.h) */
    gp_metrics_t *metrics;      /* the process's numbers */
    gp_worker_metrics_t *counts; /* the worker's slot in them */
} gp_http_ctx_t;

/* What one request may cost: fixed at configuration, read by every worker. */
typedef struct gp_http_limits {
    size_t max_response;        /* --max-response-bytes */
    size_t max_memory;          /* --max-request-memory */
    uint64_t send_timeout_ms;   /* --send-timeout */
    uint64_t slow_ms;           /* --slow-query-ms */
} gp_http_limits_t;

/* Fills `conf` (after h2o_config_init) with the limits and routes; call once,
 * before any context is created from it. A request body over `max_body` bytes is
 * answered 413 with a GraphQL-shaped JSON error; `limits` are copied. */
void gp_http_configure(h2o_globalconf_t *conf, size_t max_body, const gp_http_limits_t *limits);

#endif
