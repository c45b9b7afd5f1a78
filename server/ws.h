/* server/ws.h — GraphQL over websocket on GET /graphql: the HTTP/1.1 upgrade (h2o
 * 2.2.5 over wslay; HTTP/2 cannot upgrade and is answered as any GET), the choice of
 * subprotocol, and each socket's life: its messages handed to server/ws_proto.c,
 * what that queues flushed once per loop turn, the init timeout, keepalive pings,
 * and a bounded close handshake. One gp_ws_ctx_t per worker, in its loop only. */
#ifndef GP_WS_H
#define GP_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include "server/ws_proto.h"

typedef struct gp_ws_config {
    uint64_t init_timeout_ms;   /* --ws-init-timeout: connection_init must come within this */
    uint64_t keepalive_ms;      /* --ws-keepalive: a ping (and the legacy `ka`) this often; a socket
                                 * that answers nothing for two of them is dropped */
    size_t max_message;         /* --max-body: a larger message closes the socket 1009 */
} gp_ws_config_t;

typedef struct gp_ws_ctx gp_ws_ctx_t;

/* For the worker's h2o context `h2o` (its loop and zero timeout), once it is set up. */
gp_ws_ctx_t *gp_ws_ctx_new(h2o_context_t *h2o, const gp_ws_config_t *cf);

/* Whether `req` asks to become a websocket: GET, HTTP/1.x, Upgrade: websocket. */
bool gp_ws_is_upgrade(const h2o_req_t *req);

/* Answers such a request: 101 with the subprotocol the client offered first among
 * graphql-transport-ws and graphql-ws, and a session whose operations run with
 * `env` (copied); otherwise 400 (no subprotocol of ours, a bad handshake), 426 (not
 * websocket version 13), or 503 while the server stops. */
void gp_ws_upgrade(gp_ws_ctx_t *ws, h2o_req_t *req, const gp_ws_env_t *env);

/* Sessions open now (for balancing accepts between workers). */
int gp_ws_count(const gp_ws_ctx_t *ws);

/* The worker stops: every session finishes its running operations, then closes
 * 1001; new upgrades get 503. */
void gp_ws_stop(gp_ws_ctx_t *ws);

/* Drops every session now, its runs forgotten; call it before the pool is destroyed.
 * A session whose 101 is still being written stays (h2o's HTTP/1 connection holds it,
 * so the worker is not drained either), its runs forgotten all the same. */
void gp_ws_abort(gp_ws_ctx_t *ws);

/* Frees the context once no session is left; before the loop is destroyed. */
void gp_ws_ctx_free(gp_ws_ctx_t *ws);

#endif
