/* server/ws_proto.c — graphql-transport-ws and the legacy graphql-ws over one socket:
 * what each message does, what each run's answer becomes. */
#include "server/ws_proto.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/json.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "graphql/parse.h"
#include "server/operation.h"

#define CLOSE_REASON_MAX 123
#define MESSAGE_MAX (SIZE_MAX / 2) /* no cap: what goes out is the run's response and the client's id */
#define STR_(x) #x
#define STR(x) STR_(x)

/* One operation the client started, by id. While it runs it is on `active`; once
 * answered (or refused) it waits on `finished` for gp_ws_proto_reap. */
typedef struct op {
    gp_ws_proto_t *p;
    struct op *next;
    gp_run_t *run;
    gp_live_sub_t *sub;         /* a subscription: runs until completed */
    char *held;                 /* its latest message, waiting for the socket's backlog to shrink */
    size_t held_len;
    bool retired;               /* on `finished`: nothing more is sent for it */
    bool counted;               /* in /metrics and the log: when answered, a subscription at its first result */
    uint64_t started_us;
    char *name;                 /* the operation's name, for the log line; NULL when it has none */
    size_t id_len;
    char id[];
} op_t;

struct gp_ws_proto {
    gp_ws_protocol_t which;
    gp_ws_env_t env;
    const gp_ws_io_t *io;
    void *io_data;
    op_t *active, *finished;
    int nactive;
    bool initialised;           /* connection_init came (and was acknowledged) */
    bool closed;                /* a close began: nothing more is sent or run */
    bool draining;              /* the server stops: no new operation; close once none runs */
};

/* ---- sending ---- */

static void send_sb(gp_ws_proto_t *p, gp_strbuf_t *sb)
{
    if (!p->closed && !sb->error)
        p->io->send(p->io_data, sb->data, sb->len);
}

/* A message without payload, or with a small one written by `payload` (may be NULL). */
static void send_simple(gp_ws_proto_t *p, const char *type, const char *id, size_t id_len, const char *payload)
{
    gp_arena_t *a = gp_arena_new(256);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, MESSAGE_MAX);
    gp_ws_message_begin(&sb, type, id, id_len);
    if (payload != NULL) {
        gp_strbuf_lit(&sb, ",\"payload\":");
        gp_strbuf_puts(&sb, payload);
    }
    gp_strbuf_putc(&sb, '}');
    send_sb(p, &sb);
    gp_arena_free(a);
}

/* An operation refused before it ran: graphql-transport-ws's `error` carries a list
 * of GraphQL errors, the legacy protocol's one error object. */
static void send_refusal(gp_ws_proto_t *p, const char *id, size_t id_len, const char *message, const char *code)
{
    gp_arena_t *a = gp_arena_new(256);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, MESSAGE_MAX);
    gp_ws_message_begin(&sb, "error", id, id_len);
    gp_strbuf_lit(&sb, ",\"payload\":");
    if (p->which == GP_WS_TRANSPORT)
        gp_strbuf_putc(&sb, '[');
    gp_ws_message_error(&sb, message, code);
    if (p->which == GP_WS_TRANSPORT)
        gp_strbuf_putc(&sb, ']');
    gp_strbuf_putc(&sb, '}');
    send_sb(p, &sb);
    gp_arena_free(a);
}

/* {"type":…,"id":…,"payload": + the run's response pieces + }, malloc'd; *len its length. */
static char *message_of(const char *type, const op_t *op, const gp_run_result_t *r, size_t *len)
{
    gp_arena_t *a = gp_arena_new(256);
    gp_strbuf_t head;
    gp_strbuf_init(&head, a, MESSAGE_MAX);
    gp_ws_message_begin(&head, type, op->id, op->id_len);
    gp_strbuf_lit(&head, ",\"payload\":");
    char *buf = malloc(head.len + r->len + 1);
    if (buf == NULL)
        abort(); /* as every allocation on the way to a response does */
    size_t n = head.len;
    memcpy(buf, head.data, n);
    for (size_t i = 0; i < r->n; i++) {
        memcpy(buf + n, r->pieces[i].base, r->pieces[i].len);
        n += r->pieces[i].len;
    }
    buf[n++] = '}';
    gp_arena_free(a);
    *len = n;
    return buf;
}

static void send_response(gp_ws_proto_t *p, const char *type, const op_t *op, const gp_run_result_t *r)
{
    size_t len;
    char *msg = message_of(type, op, r, &len);
    if (!p->closed)
        p->io->send(p->io_data, msg, len);
    free(msg);
}

/* The `errors` list of a response the run answered without running (parse,
 * validation, variables): graphql-transport-ws sends it alone, as `error`. Such
 * bodies are small; NULL if this one is not the shape expected. */
static char *errors_of(gp_arena_t *a, const gp_run_result_t *r)
{
    char *body = gp_arena_alloc(a, r->len + 1), *at = body;
    for (size_t i = 0; i < r->n; i++) {
        memcpy(at, r->pieces[i].base, r->pieces[i].len);
        at += r->pieces[i].len;
    }
    json_t *v = gp_json_load(body, r->len, NULL);
    const json_t *errors = json_object_get(v, "errors");
    char *out = NULL;
    if (json_is_array(errors) && json_array_size(errors) > 0) {
        gp_strbuf_t sb;
        gp_strbuf_init(&sb, a, MESSAGE_MAX);
        gp_json_dump(&sb, errors);
        out = sb.error ? NULL : sb.data;
    }
    json_decref(v);
    return out;
}

/* ---- operations ---- */

static void close_with(gp_ws_proto_t *p, int code, const char *reason)
{
    if (p->closed)
        return;
    gp_debug("ws", "closing %d: %s", code, reason);
    char fit[CLOSE_REASON_MAX + 1];
    size_t n = gp_ws_message_fit(reason, strlen(reason), CLOSE_REASON_MAX);
    memcpy(fit, reason, n);
    fit[n] = '\0';
    p->io->close(p->io_data, code, fit);
    gp_ws_proto_closed(p);
}

static op_t *find_active(gp_ws_proto_t *p, const char *id, size_t id_len)
{
    for (op_t *op = p->active; op != NULL; op = op->next)
        if (op->id_len == id_len && memcmp(op->id, id, id_len) == 0)
            return op;
    return NULL;
}

static void unlink_active(gp_ws_proto_t *p, op_t *op)
{
    for (op_t **at = &p->active; *at != NULL; at = &(*at)->next)
        if (*at == op) {
            *at = op->next;
            p->nactive--;
            return;
        }
}

/* Off `active` (if there) and onto `finished`: freed at the next reap. */
static void op_retire(gp_ws_proto_t *p, op_t *op)
{
    op->retired = true;
    unlink_active(p, op);
    op->next = p->finished;
    p->finished = op;
    if (p->draining && p->active == NULL)
        close_with(p, GP_WS_CLOSE_GOING_AWAY, "the server is shutting down");
}

/* The run answered: graphql-transport-ws sends what ran (data, database errors) as
 * `next` then `complete`, and what stopped it before it ran (parse, validation,
 * variables) as `error` with the errors list; the legacy protocol sends every answer
 * as `data` then `complete`, as subscriptions-transport-ws does with execution and
 * validation errors. The payload is the HTTP response body, byte for byte. */
static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The operation's line, as an HTTP request's (server/reply.c), by the client's id for it. */
static void log_op(const op_t *op, gp_op_outcome_t outcome, gp_op_kind_t kind, uint64_t us, size_t bytes)
{
    const gp_ws_proto_t *p = op->p;
    bool slow = p->env.slow_ms > 0 && us > p->env.slow_ms * 1000;
    gp_log_level_t level = slow ? GP_LOG_WARN : GP_LOG_INFO;
    if (level < gp_log_level)
        return;
    char id[65];
    snprintf(id, sizeof id, "%.*s", (int)(op->id_len < 64 ? op->id_len : 64), op->id);
    gp_log_field_t f[] = {
        GP_LOG_STR("id", id),
        GP_LOG_STR("protocol", p->which == GP_WS_TRANSPORT ? "graphql-transport-ws" : "graphql-ws"),
        GP_LOG_STR("type", gp_op_kind_name(kind)),
        GP_LOG_STR("operation", op->name),
        GP_LOG_STR("outcome", gp_op_outcome_name(outcome)),
        GP_LOG_NUM("duration_ms", (double)(us / 10) / 100),
        GP_LOG_NUM("bytes", bytes),
    };
    gp_log_event(level, "websocket", slow ? "slow operation" : "operation", f, sizeof f / sizeof *f);
}

static void count(op_t *op, const gp_run_result_t *r)
{
    if (op->counted)
        return;
    op->counted = true;
    uint64_t us = now_us() - op->started_us;
    gp_op_outcome_t outcome = gp_run_op_outcome(r);
    gp_metrics_count(op->p->env.counts, r->kind, outcome, us);
    log_op(op, outcome, r->kind, us, r->len);
}

static void on_run_done(void *data, const gp_run_result_t *r)
{
    op_t *op = data;
    gp_ws_proto_t *p = op->p;
    count(op, r);
    bool not_run = r->outcome == GP_RUN_NOT_RUN || r->outcome == GP_RUN_MUTATION_REFUSED;
    gp_arena_t *a = gp_arena_new(1024);
    char *errors = p->which == GP_WS_TRANSPORT && not_run ? errors_of(a, r) : NULL;
    if (errors != NULL) {
        send_simple(p, "error", op->id, op->id_len, errors);
    } else {
        send_response(p, p->which == GP_WS_TRANSPORT ? "next" : "data", op, r);
        send_simple(p, "complete", op->id, op->id_len, NULL);
    }
    gp_arena_free(a);
    op_retire(p, op);
}

/* A live query's result: each change is a `next` (`data`); an error before it ran
 * ends it as a query's would. While the socket's backlog is large, only the latest
 * result waits (GP_WS_BACKLOG_MAX): an older one held is stale anyway. A stream's
 * batches are not stale, so a stream that would have to hold one ends with an error:
 * the client resubscribes from the last row it has. */
static void on_live_result(void *data, const gp_run_result_t *r)
{
    op_t *op = data;
    gp_ws_proto_t *p = op->p;
    if (op->retired)
        return; /* a stream ended by overflow, its subscription dropped at the reap */
    count(op, r);
    if (r->outcome == GP_RUN_NOT_RUN) {
        on_run_done(data, r);
        return;
    }
    bool backlogged = op->held != NULL || p->io->backlog(p->io_data) > GP_WS_BACKLOG_MAX;
    if (backlogged && gp_live_is_stream(op->sub)) {
        send_refusal(p, op->id, op->id_len,
                     "the client reads this stream more slowly than its rows come: resubscribe from the last row "
                     "received",
                     "STREAM_OVERFLOW");
        op_retire(p, op); /* the reap unsubscribes: not from inside its own callback */
        return;
    }
    size_t len;
    char *msg = message_of(p->which == GP_WS_TRANSPORT ? "next" : "data", op, r, &len);
    if (!backlogged) {
        if (!p->closed)
            p->io->send(p->io_data, msg, len);
        free(msg);
        return;
    }
    free(op->held);
    op->held = msg;
    op->held_len = len;
}

void gp_ws_proto_writable(gp_ws_proto_t *p)
{
    for (op_t *op = p->active; op != NULL && p->io->backlog(p->io_data) <= GP_WS_BACKLOG_MAX; op = op->next) {
        if (op->held == NULL)
            continue;
        if (!p->closed)
            p->io->send(p->io_data, op->held, op->held_len);
        free(op->held);
        op->held = NULL;
    }
}

/* Ends op's run or subscription: nothing more comes for its id. */
static void op_stop(gp_ws_proto_t *p, op_t *op)
{
    if (op->run != NULL)
        gp_run_free(op->run);
    op->run = NULL;
    gp_live_unsubscribe(op->sub);
    op->sub = NULL;
    free(op->held);
    op->held = NULL;
    op_retire(p, op);
}

static bool is_subscription(const gp_ws_message_t *m)
{
    gp_operation_kind_t kind;
    return gp_parse_operation_kind(m->query, m->query_len, m->operation_name, &kind) && kind == GP_OP_SUBSCRIPTION;
}

static void subscribe(gp_ws_proto_t *p, const gp_ws_message_t *m)
{
    if (!p->initialised) {
        if (p->which == GP_WS_TRANSPORT)
            close_with(p, GP_WS_CLOSE_UNAUTHORIZED, "Unauthorized");
        else
            send_refusal(p, m->id, m->id_len, "start received before the connection is initialised (connection_init)",
                         "BAD_REQUEST");
        return;
    }
    op_t *old = find_active(p, m->id, m->id_len);
    if (old != NULL) {
        if (p->which == GP_WS_TRANSPORT) {
            char reason[CLOSE_REASON_MAX + 1];
            size_t room = CLOSE_REASON_MAX - strlen("Subscriber for  already exists");
            int n = (int)gp_ws_message_fit(m->id, m->id_len, room);
            snprintf(reason, sizeof reason, "Subscriber for %.*s already exists", n, m->id);
            close_with(p, GP_WS_CLOSE_SUBSCRIBER_EXISTS, reason);
            return;
        }
        /* subscriptions-transport-ws stops the old operation of that id first */
        op_stop(p, old);
    }
    gp_snapshot_t *snap = *p->env.snapshot;
    if (p->draining || snap == NULL) {
        send_refusal(p, m->id, m->id_len,
                     p->draining ? "the server is shutting down" : "the schema is not loaded yet",
                     "SERVICE_UNAVAILABLE");
        return;
    }
    if (p->nactive >= GP_WS_MAX_OPERATIONS) {
        send_refusal(p, m->id, m->id_len,
                     "too many operations at once on this socket (at most " STR(GP_WS_MAX_OPERATIONS) ")",
                     "TOO_MANY_OPERATIONS");
        return;
    }
    op_t *op = calloc(1, sizeof *op + m->id_len + 1);
    if (op == NULL)
        abort();
    op->p = p;
    op->started_us = now_us();
    if (m->operation_name != NULL)
        op->name = strndup(m->operation_name, 128);
    op->id_len = m->id_len;
    memcpy(op->id, m->id, m->id_len);
    op->next = p->active;
    p->active = op;
    p->nactive++;
    gp_operation_input_t in = {m->query, m->query_len, m->operation_name, m->variables, NULL};
    if (is_subscription(m)) { /* an error found while planning retires the op at once */
        op->sub = gp_live_subscribe(p->env.live, p->env.plans, snap, &in, on_live_result, op);
        return;
    }
    gp_run_input_t run = {&in, 1, /* batch= */ false, /* queries_only= */ false, p->env.dev, p->env.max_response,
                          p->env.max_memory, /* client_fd= */ -1};
    /* The callback may come before this returns (an error found while planning,
     * introspection): it retires the op, which then waits on `finished` with its
     * run set here, for the reap. */
    op->run = gp_run_start(p->env.pools, p->env.plans, snap, &run, on_run_done, op);
}

/* complete (stop): the run is forgotten, and nothing more goes out for its id. An
 * id that is not running (done already, or never seen) is no error. */
static void complete(gp_ws_proto_t *p, const gp_ws_message_t *m)
{
    op_t *op = find_active(p, m->id, m->id_len);
    if (op != NULL)
        op_stop(p, op);
}

static void init(gp_ws_proto_t *p)
{
    if (p->initialised && p->which == GP_WS_TRANSPORT) {
        close_with(p, GP_WS_CLOSE_TOO_MANY_INITS, "Too many initialisation requests");
        return;
    }
    p->initialised = true;
    send_simple(p, "connection_ack", NULL, 0, NULL);
    if (p->which == GP_WS_LEGACY)
        send_simple(p, "ka", NULL, 0, NULL); /* right after the ack, as subscriptions-transport-ws does */
}

static void pong(gp_ws_proto_t *p, const json_t *payload)
{
    if (payload == NULL) {
        send_simple(p, "pong", NULL, 0, NULL);
        return;
    }
    gp_arena_t *a = gp_arena_new(256);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, MESSAGE_MAX);
    gp_json_dump(&sb, payload);
    if (!sb.error)
        send_simple(p, "pong", NULL, 0, sb.data);
    gp_arena_free(a);
}

/* A message that is not one of the protocol's: graphql-transport-ws closes 4400;
 * the legacy protocol answers connection_error to what is not JSON and error to
 * the rest, and goes on. */
static void malformed(gp_ws_proto_t *p, const gp_ws_message_t *m)
{
    if (p->which == GP_WS_TRANSPORT) {
        close_with(p, GP_WS_CLOSE_BAD_REQUEST, m->problem);
        return;
    }
    gp_arena_t *a = gp_arena_new(512);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, MESSAGE_MAX);
    gp_strbuf_lit(&sb, "{\"message\":");
    gp_json_cstring(&sb, m->problem);
    gp_strbuf_putc(&sb, '}');
    if (m->kind == GP_WS_BAD_JSON)
        send_simple(p, "connection_error", NULL, 0, sb.data);
    else
        send_simple(p, "error", m->id, m->id_len, sb.data);
    gp_arena_free(a);
}

void gp_ws_proto_message(gp_ws_proto_t *p, const char *text, size_t len)
{
    if (p->closed)
        return;
    gp_ws_message_t m;
    switch (gp_ws_message_read(p->which, text, len, &m)) {
    case GP_WS_BAD_JSON:
    case GP_WS_BAD_TYPE:
    case GP_WS_BAD_FIELDS:
        malformed(p, &m);
        break;
    case GP_WS_INIT:
        init(p);
        break;
    case GP_WS_PING:
        pong(p, m.payload);
        break;
    case GP_WS_PONG: /* an answer to nothing we asked, or a heartbeat: either is fine */
        break;
    case GP_WS_SUBSCRIBE:
        subscribe(p, &m);
        break;
    case GP_WS_COMPLETE:
        complete(p, &m);
        break;
    case GP_WS_TERMINATE:
        close_with(p, GP_WS_CLOSE_NORMAL, "");
        break;
    }
    gp_ws_message_release(&m);
}

gp_ws_proto_t *gp_ws_proto_new(gp_ws_protocol_t which, const gp_ws_env_t *env, const gp_ws_io_t *io, void *io_data)
{
    gp_ws_proto_t *p = calloc(1, sizeof *p);
    if (p == NULL)
        abort();
    p->which = which;
    p->env = *env;
    p->io = io;
    p->io_data = io_data;
    return p;
}

void gp_ws_proto_init_timeout(gp_ws_proto_t *p)
{
    if (!p->initialised)
        close_with(p, GP_WS_CLOSE_INIT_TIMEOUT, "Connection initialisation timeout");
}

void gp_ws_proto_keepalive(gp_ws_proto_t *p)
{
    if (p->which == GP_WS_LEGACY && p->initialised)
        send_simple(p, "ka", NULL, 0, NULL);
}

void gp_ws_proto_drain(gp_ws_proto_t *p)
{
    p->draining = true;
    for (op_t *op = p->active, *next; op != NULL; op = next) { /* subscriptions never end by themselves */
        next = op->next;
        if (op->sub != NULL) {
            send_simple(p, "complete", op->id, op->id_len, NULL);
            op_stop(p, op);
        }
    }
    if (p->active == NULL)
        close_with(p, GP_WS_CLOSE_GOING_AWAY, "the server is shutting down");
}

void gp_ws_proto_closed(gp_ws_proto_t *p)
{
    p->closed = true;
    while (p->active != NULL)
        op_stop(p, p->active);
}

void gp_ws_proto_reap(gp_ws_proto_t *p)
{
    while (p->finished != NULL) {
        op_t *op = p->finished;
        p->finished = op->next;
        if (op->run != NULL)
            gp_run_free(op->run);
        gp_live_unsubscribe(op->sub);
        free(op->held);
        free(op->name);
        free(op);
    }
}

void gp_ws_proto_free(gp_ws_proto_t *p)
{
    gp_ws_proto_closed(p);
    gp_ws_proto_reap(p);
    free(p);
}
