/* server/ws_proto.h — the two GraphQL-over-websocket subprotocols as state machines
 * over one socket: graphql-transport-ws (connection_init → connection_ack, ping/pong,
 * subscribe → next → complete or error, complete from the client, closes 4400, 4401,
 * 4408, 4409, 4429) and the legacy graphql-ws of subscriptions-transport-ws
 * (connection_init → connection_ack + ka, start → data → complete or error, stop,
 * connection_terminate, connection_error). A query or mutation runs through
 * gp_run_start exactly as over HTTP; its answer is the payload of `next` (`data`). A
 * subscription is a live query (server/live.c): a `next` with its result at once, then
 * one whenever the result changed, until the client completes (stops) it.
 *
 * It knows no h2o: the transport (server/ws.c) hands it each text message and its
 * timer ticks, and it talks back through gp_ws_io_t, which only queues. Nothing is
 * sent for an id after its complete (stop): the run is forgotten then. A run that
 * has answered is freed at the transport's next call of gp_ws_proto_reap, never
 * inside its own callback. */
#ifndef GP_WS_PROTO_H
#define GP_WS_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include "db/pool.h"
#include "resolvers/plan_cache.h"
#include "server/live.h"
#include "server/snapshot.h"
#include "server/ws_message.h"

#define GP_WS_MAX_OPERATIONS 100 /* ids running at once on one socket; more get an error each */
/* Bytes queued for a socket above which a live query's new result is held back, not
 * queued: a client that reads slowly gets each subscription's latest result once it
 * catches up, and the server keeps at most one result per subscription meanwhile. */
#define GP_WS_BACKLOG_MAX (1u << 20)

/* Close codes of graphql-transport-ws (graphql-ws's CloseCode) and of RFC 6455. */
enum {
    GP_WS_CLOSE_NORMAL = 1000,
    GP_WS_CLOSE_GOING_AWAY = 1001,
    GP_WS_CLOSE_BAD_REQUEST = 4400,
    GP_WS_CLOSE_UNAUTHORIZED = 4401,
    GP_WS_CLOSE_INIT_TIMEOUT = 4408,
    GP_WS_CLOSE_SUBSCRIBER_EXISTS = 4409,
    GP_WS_CLOSE_TOO_MANY_INITS = 4429,
};

/* How the protocol talks to its socket. They only queue: none calls back into the
 * protocol, so any may be called from anywhere in it. */
typedef struct gp_ws_io {
    void (*send)(void *io, const char *text, size_t len); /* one text message; copied */
    void (*close)(void *io, int code, const char *reason); /* a close frame; reason is UTF-8, ≤ 123 bytes */
    size_t (*backlog)(void *io);                           /* bytes queued and not yet written */
} gp_ws_io_t;

/* What operations run with: the worker's, as an HTTP request has them. */
typedef struct gp_ws_env {
    const gp_pools_t *pools;
    gp_plan_cache_t *plans;
    gp_snapshot_slot_t *snapshot;
    gp_live_t *live;            /* the worker's live queries */
    bool dev;                   /* --dev */
    size_t max_response;        /* --max-response-bytes */
    size_t max_memory;          /* --max-request-memory */
    gp_worker_metrics_t *counts; /* where its operations are counted */
    uint64_t slow_ms;           /* --slow-query-ms: an operation slower is logged as a warning; 0: never */
} gp_ws_env_t;

typedef struct gp_ws_proto gp_ws_proto_t;

/* `env` is copied; `io` and `io_data` must outlive the protocol. */
gp_ws_proto_t *gp_ws_proto_new(gp_ws_protocol_t which, const gp_ws_env_t *env, const gp_ws_io_t *io, void *io_data);

/* One text (or binary) message from the client. */
void gp_ws_proto_message(gp_ws_proto_t *p, const char *text, size_t len);

/* The socket took some of its backlog: held live results go out while it stays small. */
void gp_ws_proto_writable(gp_ws_proto_t *p);

/* The init timeout passed: closes 4408 unless connection_init came. */
void gp_ws_proto_init_timeout(gp_ws_proto_t *p);

/* A keepalive tick: the legacy protocol sends `ka` once acknowledged. */
void gp_ws_proto_keepalive(gp_ws_proto_t *p);

/* The server is stopping: new operations are refused, and once none runs the socket
 * is closed 1001. */
void gp_ws_proto_drain(gp_ws_proto_t *p);

/* The socket is closing (either side began it) or gone: running operations are
 * forgotten and nothing more is sent. Idempotent. */
void gp_ws_proto_closed(gp_ws_proto_t *p);

/* Frees the runs that have answered (or were completed by the client). Call it where
 * no run's callback can be on the stack: after gp_ws_proto_message, in the transport's
 * flush; never from inside gp_ws_io_t. */
void gp_ws_proto_reap(gp_ws_proto_t *p);

/* gp_ws_proto_closed, gp_ws_proto_reap, and frees the protocol. */
void gp_ws_proto_free(gp_ws_proto_t *p);

#endif
