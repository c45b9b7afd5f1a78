/* server/ws.c — websocket sessions on h2o 2.2.5 and wslay: upgrade, framing glue,
 * timers and teardown; the GraphQL protocols are server/ws_proto.c's.
 *
 * h2o calls on_message from inside wslay_event_recv, inside h2o_websocket_proceed:
 * the session may not be freed there, and proceed may not be re-entered. So the
 * protocol only ever queues (wslay copies each message), and a session's queue is flushed from the
 * context's zero timeout, at the end of the loop turn — one write for everything a
 * turn produced, from a frame where no run's callback and no wslay call is on the
 * stack. A session is freed where h2o reports the connection gone (on_message with
 * NULL: h2o touches the connection no more after it), or from one of its timers.
 *
 * wslay sends control frames before queued messages, so a close frame queued behind
 * answers would overtake them (a client would see 4400 but not the connection_ack
 * before it). The close therefore waits, in the session, until wslay has handed
 * every message to the socket: the session writes wslay's frames itself (as h2o's
 * send callback does) to learn when each write completes.
 *
 * Neither h2o nor wslay times anything out once upgraded: wslay waits for the peer's
 * close frame forever, and h2o stops its HTTP/1 timeouts at the upgrade. So each
 * session has its own: the init timeout, a keepalive (a ping frame every
 * --ws-keepalive ms; a socket that sent nothing, not even the pong, between two of
 * them is dropped, which also bounds how long a client that reads nothing can keep
 * its queued answers in memory) and a close wait (CLOSE_WAIT_MS after our close frame
 * the socket is dropped, answered or not). */
#include "server/ws.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <h2o/websocket.h>
#include <wslay/wslay.h>

#include "base/log.h"
#include "server/reply.h"

#define CLOSE_WAIT_MS 3000

struct gp_ws_ctx {
    h2o_context_t *h2o;
    gp_ws_config_t cf;
    h2o_timeout_t init_timeout, keepalive, close_wait; /* one list per duration, entries in the sessions */
    h2o_linklist_t sessions;
    int count;
    bool stopping;
};

typedef struct session {
    gp_ws_ctx_t *ws;
    h2o_websocket_conn_t *conn;
    gp_ws_proto_t *proto;
    h2o_linklist_t link;            /* in ws->sessions */
    h2o_timeout_entry_t init_entry, keepalive_entry, close_entry, flush_entry;
    bool closing;                   /* a close frame went into the queue or came in: nothing more is queued */
    bool heard;                     /* a frame came since the last keepalive ping */
    bool pinged;                    /* a keepalive ping went out */
    int close_code;                 /* nonzero: our close frame, held until every message is out */
    char close_reason[124];
} session_t;

static void on_message(h2o_websocket_conn_t *conn, const struct wslay_event_on_msg_recv_arg *arg);

static void unlink_entry(h2o_timeout_entry_t *e)
{
    if (h2o_timeout_is_linked(e))
        h2o_timeout_unlink(e);
}

/* ---- the session's end ---- */

static void destroy(session_t *s, const char *why)
{
    gp_debug("ws", "session closed: %s", why);
    unlink_entry(&s->init_entry);
    unlink_entry(&s->keepalive_entry);
    unlink_entry(&s->close_entry);
    unlink_entry(&s->flush_entry);
    gp_ws_proto_free(s->proto); /* forgets running operations */
    h2o_linklist_unlink(&s->link);
    s->ws->count--;
    h2o_websocket_close(s->conn);
    free(s);
}

/* Drops the socket without a handshake. Until the 101 is written h2o's HTTP/1
 * connection still holds the socket and this session as its upgrade callback's data,
 * so the session cannot go yet: the timer tries again later. */
static void drop(session_t *s, h2o_timeout_t *retry, h2o_timeout_entry_t *entry, const char *why)
{
    if (s->conn->sock == NULL)
        h2o_timeout_link(s->ws->h2o->loop, retry, entry);
    else
        destroy(s, why);
}

/* ---- queueing and flushing ---- */

static void on_flush(h2o_timeout_entry_t *e)
{
    session_t *s = H2O_STRUCT_FROM_MEMBER(session_t, flush_entry, e);
    gp_ws_proto_reap(s->proto);
    if (s->conn->sock != NULL) /* else h2o proceeds itself once the 101 is written */
        h2o_websocket_proceed(s->conn); /* may end in on_message(NULL): s is gone then */
}

static void schedule_flush(session_t *s)
{
    if (!h2o_timeout_is_linked(&s->flush_entry))
        h2o_timeout_link(s->ws->h2o->loop, &s->ws->h2o->zero_timeout, &s->flush_entry);
}

static void queue(session_t *s, uint8_t opcode, const char *data, size_t len)
{
    struct wslay_event_msg m = {opcode, (const uint8_t *)data, len};
    if (s->closing || wslay_event_queue_msg(s->conn->ws_ctx, &m) != 0)
        return; /* closing: wslay takes no message once a close frame is queued */
    schedule_flush(s);
}

static void io_send(void *data, const char *text, size_t len)
{
    queue(data, WSLAY_TEXT_FRAME, text, len);
}

/* Either side began to close: no timer but the close wait. */
static void begin_close(session_t *s)
{
    s->closing = true;
    unlink_entry(&s->init_entry);
    unlink_entry(&s->keepalive_entry);
    if (!h2o_timeout_is_linked(&s->close_entry))
        h2o_timeout_link(s->ws->h2o->loop, &s->ws->close_wait, &s->close_entry);
    schedule_flush(s);
}

/* Queues the held close frame once wslay has no message left to hand over. */
static void release_close(session_t *s)
{
    if (s->close_code == 0 || wslay_event_get_queued_msg_count(s->conn->ws_ctx) != 0)
        return;
    wslay_event_queue_close(s->conn->ws_ctx, (uint16_t)s->close_code, (const uint8_t *)s->close_reason,
                            strlen(s->close_reason));
    s->close_code = 0;
    schedule_flush(s);
}

static void io_close(void *data, int code, const char *reason)
{
    session_t *s = data;
    if (s->closing)
        return;
    s->close_code = code;
    snprintf(s->close_reason, sizeof s->close_reason, "%s", reason);
    begin_close(s);
    release_close(s);
}

/* h2o's send callback, but for the completion: one frame's bytes in flight at a
 * time (wslay keeps the rest), and each write's end releases a held close. */
static void on_written(h2o_socket_t *sock, const char *err)
{
    h2o_websocket_conn_t *conn = sock->data;
    if (err != NULL) {
        on_message(conn, NULL);
        return;
    }
    session_t *s = conn->data;
    gp_ws_proto_writable(s->proto); /* held live results, now that some of the backlog went */
    release_close(s);
    h2o_websocket_proceed(conn); /* may end in on_message(NULL) */
}

static ssize_t send_frame(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *user)
{
    (void)flags;
    h2o_websocket_conn_t *conn = user;
    if (h2o_socket_is_writing(conn->sock)) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    conn->_write_buf = h2o_mem_realloc(conn->_write_buf, len); /* h2o_websocket_close frees it */
    memcpy(conn->_write_buf, data, len);
    h2o_iovec_t buf = h2o_iovec_init(conn->_write_buf, len);
    h2o_socket_write(conn->sock, &buf, 1, on_written);
    return (ssize_t)len;
}

static size_t io_backlog(void *data)
{
    session_t *s = data;
    return wslay_event_get_queued_msg_length(s->conn->ws_ctx);
}

static const gp_ws_io_t io = {io_send, io_close, io_backlog};

/* ---- timers ---- */

static void on_init_timeout(h2o_timeout_entry_t *e)
{
    session_t *s = H2O_STRUCT_FROM_MEMBER(session_t, init_entry, e);
    gp_ws_proto_init_timeout(s->proto);
}

static void on_keepalive(h2o_timeout_entry_t *e)
{
    session_t *s = H2O_STRUCT_FROM_MEMBER(session_t, keepalive_entry, e);
    if (s->pinged && !s->heard) {
        drop(s, &s->ws->keepalive, e, "no answer to the last keepalive ping");
        return;
    }
    s->pinged = true;
    s->heard = false;
    queue(s, WSLAY_PING, NULL, 0);
    gp_ws_proto_keepalive(s->proto);
    h2o_timeout_link(s->ws->h2o->loop, &s->ws->keepalive, e);
}

static void on_close_wait(h2o_timeout_entry_t *e)
{
    session_t *s = H2O_STRUCT_FROM_MEMBER(session_t, close_entry, e);
    drop(s, &s->ws->close_wait, e, "the close handshake did not finish in time");
}

/* ---- messages ---- */

/* From inside wslay_event_recv: hand over and queue; the session goes only on NULL. */
static void on_message(h2o_websocket_conn_t *conn, const struct wslay_event_on_msg_recv_arg *arg)
{
    session_t *s = conn->data;
    if (arg == NULL) { /* h2o is done with the connection */
        destroy(s, "the connection ended");
        return;
    }
    s->heard = true;
    switch (arg->opcode) {
    case WSLAY_TEXT_FRAME:
    case WSLAY_BINARY_FRAME: /* graphql-ws's server reads either as text */
        if (!s->closing)
            gp_ws_proto_message(s->proto, (const char *)arg->msg, arg->msg_length);
        gp_ws_proto_reap(s->proto); /* what it completed: no run's callback is on the stack here */
        break;
    case WSLAY_CONNECTION_CLOSE: /* wslay queued the answer; nothing more goes out */
        gp_ws_proto_closed(s->proto);
        begin_close(s);
        break;
    default: /* wslay answers pings; a pong only proves the peer is there */
        break;
    }
}

/* ---- the upgrade ---- */

static bool token_is(const char *b, const char *e, const char *word)
{
    while (b < e && (*b == ' ' || *b == '\t'))
        b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    return h2o_memis(b, (size_t)(e - b), word, strlen(word));
}

/* The first subprotocol of ours the client lists, over every Sec-WebSocket-Protocol
 * header; false if none. */
static bool choose_protocol(const h2o_req_t *req, gp_ws_protocol_t *which)
{
    for (ssize_t i = -1; (i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("sec-websocket-protocol"), i)) != -1;) {
        const h2o_iovec_t v = req->headers.entries[i].value;
        for (const char *p = v.base, *end = v.base + v.len; p < end;) {
            const char *comma = memchr(p, ',', (size_t)(end - p)), *te = comma != NULL ? comma : end;
            for (int w = GP_WS_TRANSPORT; w <= GP_WS_LEGACY; w++)
                if (token_is(p, te, gp_ws_protocol_name((gp_ws_protocol_t)w))) {
                    *which = (gp_ws_protocol_t)w;
                    return true;
                }
            p = te + 1;
        }
    }
    return false;
}

static bool version_13(const h2o_req_t *req)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("sec-websocket-version"), -1);
    return i != -1 && token_is(req->headers.entries[i].value.base,
                               req->headers.entries[i].value.base + req->headers.entries[i].value.len, "13");
}

bool gp_ws_is_upgrade(const h2o_req_t *req)
{
    return req->version < 0x200 && req->upgrade.base != NULL &&
           h2o_lcstris(req->upgrade.base, req->upgrade.len, H2O_STRLIT("websocket")) &&
           h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET"));
}

void gp_ws_upgrade(gp_ws_ctx_t *ws, h2o_req_t *req, const gp_ws_env_t *env)
{
    const char *key;
    gp_ws_protocol_t which;
    if (h2o_is_websocket_handshake(req, &key) != 0 || key == NULL) {
        gp_reply_error(req, 400, GP_MEDIA_JSON, "BAD_REQUEST", "a websocket handshake needs a Sec-WebSocket-Key");
        return;
    }
    if (!version_13(req)) {
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("sec-websocket-version"), 0, NULL,
                              H2O_STRLIT("13"));
        gp_reply_error(req, 426, GP_MEDIA_JSON, "BAD_REQUEST", "only websocket version 13 is spoken here");
        return;
    }
    if (!choose_protocol(req, &which)) {
        gp_reply_error(req, 400, GP_MEDIA_JSON, "BAD_REQUEST",
                       "GraphQL over websocket needs the subprotocol graphql-transport-ws (graphql-ws) or graphql-ws "
                       "(subscriptions-transport-ws) in Sec-WebSocket-Protocol");
        return;
    }
    if (ws->stopping) {
        gp_reply_error(req, 503, GP_MEDIA_JSON, "SERVICE_UNAVAILABLE", "the server is shutting down");
        return;
    }
    session_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        abort();
    s->ws = ws;
    s->init_entry.cb = on_init_timeout;
    s->keepalive_entry.cb = on_keepalive;
    s->close_entry.cb = on_close_wait;
    s->flush_entry.cb = on_flush;
    s->proto = gp_ws_proto_new(which, env, &io, s);
    const char *name = gp_ws_protocol_name(which);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("sec-websocket-protocol"), 0, NULL, name,
                          strlen(name));
    /* The 101 is written later: no message can come before this returns. */
    s->conn = h2o_upgrade_to_websocket(req, key, s, on_message);
    wslay_event_config_set_max_recv_msg_length(s->conn->ws_ctx, ws->cf.max_message);
    s->conn->ws_callbacks.send_callback = send_frame;
    wslay_event_config_set_callbacks(s->conn->ws_ctx, &s->conn->ws_callbacks);
    h2o_linklist_insert(&ws->sessions, &s->link);
    ws->count++;
    h2o_timeout_link(ws->h2o->loop, &ws->init_timeout, &s->init_entry);
    h2o_timeout_link(ws->h2o->loop, &ws->keepalive, &s->keepalive_entry);
    gp_debug("ws", "session opened (%s)", name);
}

gp_ws_ctx_t *gp_ws_ctx_new(h2o_context_t *h2o, const gp_ws_config_t *cf)
{
    gp_ws_ctx_t *ws = calloc(1, sizeof *ws);
    if (ws == NULL)
        abort();
    ws->h2o = h2o;
    ws->cf = *cf;
    h2o_timeout_init(h2o->loop, &ws->init_timeout, cf->init_timeout_ms);
    h2o_timeout_init(h2o->loop, &ws->keepalive, cf->keepalive_ms);
    h2o_timeout_init(h2o->loop, &ws->close_wait, CLOSE_WAIT_MS);
    h2o_linklist_init_anchor(&ws->sessions);
    return ws;
}

int gp_ws_count(const gp_ws_ctx_t *ws)
{
    return ws->count;
}

void gp_ws_stop(gp_ws_ctx_t *ws)
{
    ws->stopping = true;
    for (h2o_linklist_t *l = ws->sessions.next; l != &ws->sessions; l = l->next) /* only queues: none is freed */
        gp_ws_proto_drain(H2O_STRUCT_FROM_MEMBER(session_t, link, l)->proto);
}

void gp_ws_abort(gp_ws_ctx_t *ws)
{
    for (h2o_linklist_t *l = ws->sessions.next, *next; l != &ws->sessions; l = next) {
        next = l->next;
        session_t *s = H2O_STRUCT_FROM_MEMBER(session_t, link, l);
        if (s->conn->sock != NULL)
            destroy(s, "the worker stopped");
        else
            gp_ws_proto_closed(s->proto);
    }
}

void gp_ws_ctx_free(gp_ws_ctx_t *ws)
{
    assert(h2o_linklist_is_empty(&ws->sessions));
    h2o_timeout_dispose(ws->h2o->loop, &ws->init_timeout);
    h2o_timeout_dispose(ws->h2o->loop, &ws->keepalive);
    h2o_timeout_dispose(ws->h2o->loop, &ws->close_wait);
    free(ws);
}
