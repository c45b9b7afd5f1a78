/* server/operation.c — plan, run, splice, reply; batches; and the JSON reply helpers. */
#include "server/operation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "base/arena.h"
#include "base/error.h"
#include "base/json.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "db/pgerror.h"
#include "graphql/introspection.h"
#include "resolvers/plan.h"

#define OP_ARENA_CHUNK 8192
#define ERROR_BODY_MAX (1 << 20)

/* `{"data":` + cell + `}` */
#define DATA_WRAP_LEN 9

struct gp_batch {
    h2o_req_t *req;
    gp_media_t media;
    size_t count, pending;  /* pending: elements not answered yet */
    h2o_iovec_t *replies;   /* each element's response object, in the request's pool */
    size_t bytes;           /* of the array so far: brackets, commas and the replies in */
    size_t max_response;
    bool done;              /* answered (complete or too large): later results are dropped */
    gp_operation_input_t *inputs; /* by index; query NULL for an element already failed */
    size_t next;            /* the next element to start */
    bool running;           /* inside batch_next: an element answered at once does not recurse */
    gp_pool_t *pool;
    gp_plan_cache_t *plans;
    json_t *body;           /* the inputs point into it */
    uint64_t send_timeout_ms;
};

/* Lives in the request's pool (h2o_mem_alloc_shared): its dispose callback runs
 * when the request is freed, whether it was answered or its client went away. */
typedef struct op {
    h2o_req_t *req;
    gp_batch_t *batch;  /* NULL: the operation answers the request itself */
    size_t index;       /* in the batch */
    gp_media_t media;
    gp_arena_t *arena;  /* the query copy, the plan, error texts */
    gp_query_t *query;  /* non-NULL while the statement runs */
    json_t *variables;
    const char *sql;    /* the statement, for --dev error reports; NULL otherwise */
    size_t max_response;
    uint64_t send_timeout_ms;
} op_t;

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 503: return "Service Unavailable";
    default: return status < 500 ? "Bad Request" : "Internal Server Error";
    }
}

static double ms_since(const struct timeval *t0)
{
    struct timeval now;
    gettimeofday(&now, NULL);
    return (double)(now.tv_sec - t0->tv_sec) * 1e3 + (double)(now.tv_usec - t0->tv_usec) / 1e3;
}

/* ---- slow readers ----
 * h2o 2.2.5 holds a response until the client has read it, with no timeout of its
 * own once the request is read: a client that never reads would keep its response
 * in memory for as long as it keeps the connection. A large body therefore goes out
 * in slices, and a client that accepts none of a slice for `send_timeout_ms` is
 * disconnected (its response freed with the request). */

#define SLICE (256u << 10)
#define SLICE_IOVS 64

typedef struct sender {
    h2o_generator_t super;      /* first: h2o hands it back to proceed and stop */
    h2o_req_t *req;
    h2o_iovec_t *iov;
    size_t n, at, off;          /* what is left: iov[at] from byte off, then the rest */
    h2o_timeout_entry_t stall;  /* ticks on the context's one-second timeout */
    uint64_t sent_at, timeout_ms;
} sender_t;

static void sender_unlink(sender_t *s)
{
    if (h2o_timeout_is_linked(&s->stall))
        h2o_timeout_unlink(&s->stall);
}

/* Shutting the socket down makes h2o's pending write fail, and h2o then closes the
 * connection and frees the request the usual way. */
static void on_stall_tick(h2o_timeout_entry_t *entry)
{
    sender_t *s = H2O_STRUCT_FROM_MEMBER(sender_t, stall, entry);
    h2o_context_t *ctx = s->req->conn->ctx;
    if (h2o_now(ctx->loop) - s->sent_at < s->timeout_ms) {
        h2o_timeout_link(ctx->loop, &ctx->one_sec_timeout, &s->stall);
        return;
    }
    h2o_socket_t *sock = s->req->conn->callbacks->get_socket(s->req->conn);
    gp_info("http", "disconnecting a client that read none of its response for %llu ms",
            (unsigned long long)s->timeout_ms);
    if (sock != NULL)
        shutdown(h2o_socket_get_fd(sock), SHUT_RDWR);
}

static void sender_next(sender_t *s)
{
    h2o_iovec_t out[SLICE_IOVS];
    size_t k = 0, bytes = 0;
    while (s->at < s->n && bytes < SLICE && k < SLICE_IOVS) {
        h2o_iovec_t v = s->iov[s->at];
        size_t take = v.len - s->off < SLICE - bytes ? v.len - s->off : SLICE - bytes;
        out[k++] = h2o_iovec_init(v.base + s->off, take);
        bytes += take;
        if ((s->off += take) == v.len) {
            s->at++;
            s->off = 0;
        }
    }
    bool last = s->at == s->n;
    h2o_context_t *ctx = s->req->conn->ctx;
    s->sent_at = h2o_now(ctx->loop);
    if (last)
        sender_unlink(s);
    else if (!h2o_timeout_is_linked(&s->stall))
        h2o_timeout_link(ctx->loop, &ctx->one_sec_timeout, &s->stall);
    h2o_send(s->req, out, k, last ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static void sender_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    (void)req;
    sender_next((sender_t *)g);
}

static void sender_stop(h2o_generator_t *g, h2o_req_t *req)
{
    (void)req;
    sender_unlink((sender_t *)g);
}

static void sender_dispose(void *p)
{
    sender_unlink(p);
}

static h2o_generator_t *sender_new(h2o_req_t *req, h2o_iovec_t *iov, size_t n, uint64_t timeout_ms)
{
    sender_t *s = h2o_mem_alloc_shared(&req->pool, sizeof *s, sender_dispose);
    memset(s, 0, sizeof *s);
    s->super.proceed = sender_proceed;
    s->super.stop = sender_stop;
    s->req = req;
    s->iov = h2o_mem_alloc_pool(&req->pool, sizeof *iov * n);
    memcpy(s->iov, iov, sizeof *iov * n);
    s->n = n;
    s->stall.cb = on_stall_tick;
    s->timeout_ms = timeout_ms;
    return &s->super;
}

/* Sends the concatenation of iov[0..n), `len` bytes in all, without copying it:
 * the pieces must live as long as the request. Bodies over one slice go out slice
 * by slice, cut off after `timeout_ms` without progress. */
static void reply_iov(h2o_req_t *req, int status, gp_media_t media, h2o_iovec_t *iov, size_t n, size_t len,
                      uint64_t timeout_ms)
{
    static h2o_generator_t generator = {NULL, NULL}; /* one final send: nothing to proceed or stop */
    gp_debug("http", "%.*s %.*s %d %zu %.2fms", (int)req->method.len, req->method.base,
             (int)(req->path.len < 200 ? req->path.len : 200), req->path.base, status, len,
             ms_since(&req->timestamps.request_begin_at));
    req->res.status = status;
    req->res.reason = reason(status);
    req->res.content_length = len; /* else HTTP/1 goes chunked */
    if (media == GP_MEDIA_GRAPHQL_RESPONSE)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                       H2O_STRLIT("application/graphql-response+json; charset=utf-8"));
    else
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                       H2O_STRLIT("application/json; charset=utf-8"));
    if (len <= SLICE) {
        h2o_start_response(req, &generator);
        h2o_send(req, iov, n, H2O_SEND_STATE_FINAL);
        return;
    }
    sender_t *s = (sender_t *)sender_new(req, iov, n, timeout_ms);
    h2o_start_response(req, &s->super);
    sender_next(s);
}

void gp_operation_reply(h2o_req_t *req, int status, gp_media_t media, const char *body, size_t len)
{
    h2o_iovec_t iov = h2o_iovec_init(body, len);
    reply_iov(req, status, media, &iov, 1, len, GP_SEND_TIMEOUT_DEFAULT_MS);
}

/* {"errors":[{"message":…,"extensions":{"code":…}}]} in the request's pool. */
static h2o_iovec_t error_body(h2o_req_t *req, const char *code, const char *message)
{
    gp_arena_t *a = gp_arena_new(1024);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, ERROR_BODY_MAX);
    gp_strbuf_lit(&sb, "{\"errors\":[{\"message\":");
    gp_json_cstring(&sb, message);
    gp_strbuf_lit(&sb, ",\"extensions\":{\"code\":");
    gp_json_cstring(&sb, code);
    gp_strbuf_lit(&sb, "}}]}");
    h2o_iovec_t body = h2o_strdup(&req->pool, sb.data, sb.len);
    gp_arena_free(a);
    return body;
}

void gp_operation_reply_error(h2o_req_t *req, int status, gp_media_t media, const char *code, const char *message)
{
    h2o_iovec_t body = error_body(req, code, message);
    gp_operation_reply(req, status, media, body.base, body.len);
}

static h2o_iovec_t error_body(h2o_req_t *req, const char *code, const char *message);

/* The whole array would be over max_response: every element gets this error instead,
 * and the replies already in stay unsent (the request's pool frees them). */
static void batch_too_large(gp_batch_t *b)
{
    char msg[200];
    snprintf(msg, sizeof msg, "the batch's response is larger than the server sends (--max-response-bytes %zu)",
             b->max_response);
    h2o_iovec_t e = error_body(b->req, "RESPONSE_TOO_LARGE", msg);
    for (size_t i = 0; i < b->count; i++)
        b->replies[i] = e;
}

/* '[' r0 ',' r1 … ']' sent as pieces, without concatenating the replies. */
static void batch_send(gp_batch_t *b)
{
    static const char open = '[', comma = ',', close = ']';
    h2o_iovec_t *iov = h2o_mem_alloc_pool(&b->req->pool, sizeof *iov * (2 * b->count + 1));
    size_t n = 0, len = 0;
    for (size_t i = 0; i < b->count; i++) {
        iov[n++] = h2o_iovec_init(i == 0 ? &open : &comma, 1);
        iov[n++] = b->replies[i];
        len += 1 + b->replies[i].len;
    }
    iov[n++] = h2o_iovec_init(&close, 1);
    reply_iov(b->req, 200, b->media, iov, n, len + 1, b->send_timeout_ms);
}

static void batch_next(gp_batch_t *b);

/* Records one element's answer; the last one, or one that makes the array too
 * large, sends it; otherwise the next element starts. */
static void batch_put(gp_batch_t *b, size_t index, const char *body, size_t len)
{
    if (b->done)
        return;
    b->replies[index] = h2o_iovec_init(body, len);
    b->bytes += len;
    if (b->bytes > b->max_response) {
        b->done = true;
        batch_too_large(b);
        batch_send(b);
        return;
    }
    if (--b->pending == 0) {
        b->done = true;
        batch_send(b);
    } else if (b->pool != NULL) {
        batch_next(b);
    }
}

/* The one place an operation's answer goes: the request itself, or its batch slot.
 * `body` lives in the request's pool. In a batch the element's status is dropped:
 * the array as a whole is a 200. */
static void op_finish(op_t *op, int status, const char *body, size_t len)
{
    if (op->batch != NULL)
        batch_put(op->batch, op->index, body, len);
    else
        reply_iov(op->req, status, op->media, &(h2o_iovec_t){(char *)body, len}, 1, len, op->send_timeout_ms);
}

static void op_fail(op_t *op, int status, const char *code, const char *message)
{
    h2o_iovec_t body = error_body(op->req, code, message);
    op_finish(op, status, body.base, body.len);
}

/* Errors that stopped the operation before execution (parse, validation, variables):
 * GraphQL over HTTP wants 200 with application/json, a 4xx with the newer type. */
static int errors_status(const op_t *op, const gp_errors_t *errs)
{
    int status = gp_errors_status(errs);
    return op->media == GP_MEDIA_JSON && status < 500 ? 200 : status;
}

static void reply_errors(op_t *op, const gp_errors_t *errs, bool data_null)
{
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, op->arena, ERROR_BODY_MAX);
    gp_strbuf_lit(&sb, "{\"errors\":");
    gp_errors_render(errs, &sb);
    if (data_null)
        gp_strbuf_lit(&sb, ",\"data\":null");
    gp_strbuf_putc(&sb, '}');
    if (sb.error) {
        op_fail(op, 500, "INTERNAL_SERVER_ERROR", "the error list is too large to send");
        return;
    }
    h2o_iovec_t body = h2o_strdup(&op->req->pool, sb.data, sb.len);
    op_finish(op, data_null ? gp_errors_status(errs) : errors_status(op, errs), body.base, body.len);
}

static void on_op_dispose(void *p)
{
    op_t *op = p;
    if (op->query != NULL) /* the client left before the database answered */
        gp_pool_query_forget(op->query);
    json_decref(op->variables);
    gp_arena_free(op->arena);
}

/* RESPONSE_TOO_LARGE, with data null: the operation ran, its answer is not sent. */
static void reply_too_large(op_t *op, unsigned long long data_bytes)
{
    char msg[256];
    snprintf(msg, sizeof msg,
             "the response would be %llu bytes, more than the server sends (--max-response-bytes %zu)",
             data_bytes + DATA_WRAP_LEN, op->max_response);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, op->arena, 1024);
    gp_strbuf_lit(&sb, "{\"errors\":[{\"message\":");
    gp_json_cstring(&sb, msg);
    gp_strbuf_lit(&sb, ",\"extensions\":{\"code\":\"RESPONSE_TOO_LARGE\"}}],\"data\":null}");
    h2o_iovec_t body = h2o_strdup(&op->req->pool, sb.data, sb.len);
    op_finish(op, 200, body.base, body.len);
}

/* The cell is PostgreSQL's JSON text for the whole `data` object: it goes out as
 * it came, between two constant strings, without being parsed. */
static void reply_data(op_t *op, const char *cell, size_t cell_len)
{
    if (cell_len + DATA_WRAP_LEN > op->max_response || (cell_len > 0 && cell[0] == '!')) {
        reply_too_large(op, cell_len > 0 && cell[0] == '!' ? strtoull(cell + 1, NULL, 10) : cell_len);
        return;
    }
    static const char head[] = "{\"data\":", tail[] = "}";
    size_t len = sizeof head - 1 + cell_len + sizeof tail - 1;
    char *body = h2o_mem_alloc_pool(&op->req->pool, len);
    memcpy(body, head, sizeof head - 1);
    memcpy(body + sizeof head - 1, cell, cell_len);
    memcpy(body + sizeof head - 1 + cell_len, tail, sizeof tail - 1);
    op_finish(op, 200, body, len);
}

/* PostgreSQL's own words only where they speak of the caller's values or rights
 * (pgerror.h); elsewhere they may name tables, functions or settings the client has
 * no business seeing, unless --dev asks for everything, the statement included. */
static void reply_database_error(op_t *op, const gp_query_result_t *r)
{
    gp_errors_t errs;
    gp_errors_init(&errs, op->arena, NULL);
    bool show = op->sql != NULL || gp_pgerror_shown(r->sqlstate);
    gp_error_t *e = gp_errors_add(&errs, GP_E_DATABASE, -1, "%s",
                                  show ? r->error : "the database could not run the operation");
    e->sqlstate = r->sqlstate != NULL ? gp_arena_strdup(op->arena, r->sqlstate) : NULL;
    if (op->sql != NULL) {
        gp_strbuf_t sb;
        gp_strbuf_init(&sb, op->arena, ERROR_BODY_MAX);
        gp_strbuf_lit(&sb, "{\"statement\":");
        gp_json_cstring(&sb, op->sql);
        gp_strbuf_putc(&sb, '}');
        e->internal = sb.error ? NULL : sb.data;
    }
    reply_errors(op, &errs, /* data_null= */ true);
}

static void on_result(void *data, const gp_query_result_t *r)
{
    op_t *op = data;
    op->query = NULL;
    if (r->cell != NULL) {
        reply_data(op, r->cell, r->cell_len);
    } else if (r->unavailable) {
        op_fail(op, 503, "SERVICE_UNAVAILABLE", r->error != NULL ? r->error : "the database is unavailable");
    } else if (r->error != NULL) {
        reply_database_error(op, r);
    } else { /* a NULL cell: the statement chose to answer nothing */
        reply_data(op, "null", 4);
    }
}

/* An operation the server answers alone (introspection): the plan's texts, once
 * the whole is known to fit. */
static void reply_answer(op_t *op, const char *const *answer)
{
    size_t len = gp_meta_answer_len(answer);
    if (len + DATA_WRAP_LEN > op->max_response) {
        reply_too_large(op, len);
        return;
    }
    char *body = h2o_mem_alloc_pool(&op->req->pool, len + DATA_WRAP_LEN), *p = body;
    memcpy(p, "{\"data\":", 8);
    p += 8;
    for (size_t i = 0; answer[i] != NULL; i++) {
        size_t n = strlen(answer[i]);
        memcpy(p, answer[i], n);
        p += n;
    }
    *p++ = '}';
    op_finish(op, 200, body, (size_t)(p - body));
}

/* The statement with its `data` cell measured by PostgreSQL: the cell itself when
 * it fits in `limit` bytes, else '!' and its size, so that a cell too large never
 * crosses the wire (libpq would buffer all of it). OFFSET 0 keeps the planner from
 * inlining the subquery, which would build the cell three times; the limit is a
 * constant, so one plan keeps one statement text (and prepared statement). */
static const char *sized_sql(gp_arena_t *a, const char *sql, size_t limit)
{
    return gp_arena_printf(a,
                           "SELECT CASE WHEN octet_length(_gp.d) <= %zu THEN _gp.d ELSE '!' || octet_length(_gp.d) END "
                           "FROM (SELECT (%s)::text AS d OFFSET 0) AS _gp",
                           limit, sql);
}

static void op_run(op_t *op, gp_pool_t *pool, gp_plan_cache_t *plans, const gp_operation_input_t *in)
{
    op->arena = gp_arena_new(OP_ARENA_CHUNK);
    gp_arena_set_limit(op->arena, in->max_memory);
    op->max_response = in->max_response;
    op->send_timeout_ms = in->send_timeout_ms;
    op->variables = in->variables != NULL ? json_incref(in->variables) : NULL;

    /* NUL-terminated copies: the body buffer is not terminated, and the plan may
     * point into the document. */
    const char *query = gp_arena_strndup(op->arena, in->query, in->query_len);
    const char *name = in->operation_name != NULL ? gp_arena_strdup(op->arena, in->operation_name) : NULL;
    gp_errors_t errs;
    gp_errors_init(&errs, op->arena, query);
    gp_plan_t *plan = gp_plan_cache_resolve(plans, op->arena, query, in->query_len, name, op->variables, &errs);
    if (gp_arena_over_limit(op->arena)) { /* whatever else went wrong, this is why */
        op_fail(op, op->media == GP_MEDIA_JSON ? 200 : 400, "QUERY_TOO_COMPLEX",
                "the operation needs more memory than the server gives one request (--max-request-memory)");
        return;
    }
    if (plan == NULL) {
        if (errs.count == 0)
            gp_errors_add(&errs, GP_E_INTERNAL, -1, "the operation could not be planned");
        reply_errors(op, &errs, /* data_null= */ false);
        return;
    }
    if (in->via_get && plan->is_mutation) {
        h2o_add_header(&op->req->pool, &op->req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("POST"));
        op_fail(op, 405, "BAD_REQUEST", "mutations are only accepted with POST");
        return;
    }
    if (plan->answer != NULL) {
        reply_answer(op, plan->answer);
        return;
    }
    op->sql = in->dev ? plan->sql : NULL;
    const char *sql = sized_sql(op->arena, plan->sql, op->max_response - DATA_WRAP_LEN);
    op->query = gp_pool_query_prepared(pool, plan->statement, sql, plan->params.count, plan->params.values,
                                       /* read_only= */ !plan->is_mutation, on_result, op);
    /* h2o 2.2.5 does not read an HTTP/1 socket while a request is pending, so only the
     * pool's look at the socket can tell that a client left its long statement. */
    h2o_socket_t *client = op->req->conn->callbacks->get_socket != NULL
                               ? op->req->conn->callbacks->get_socket(op->req->conn) : NULL;
    if (client != NULL)
        gp_pool_query_watch_client(op->query, h2o_socket_get_fd(client));
}

static op_t *op_new(h2o_req_t *req, gp_batch_t *batch, size_t index, gp_media_t media)
{
    op_t *op = h2o_mem_alloc_shared(&req->pool, sizeof *op, on_op_dispose);
    memset(op, 0, sizeof *op);
    op->req = req;
    op->batch = batch;
    op->index = index;
    op->media = media;
    return op;
}

void gp_operation_start(h2o_req_t *req, gp_pool_t *pool, gp_plan_cache_t *plans, const gp_operation_input_t *in)
{
    op_run(op_new(req, NULL, 0, in->media), pool, plans, in);
}

static void on_batch_dispose(void *p)
{
    json_decref(((gp_batch_t *)p)->body);
}

gp_batch_t *gp_batch_new(h2o_req_t *req, size_t count, gp_media_t media, size_t max_response, json_t *body,
                         uint64_t send_timeout_ms)
{
    gp_batch_t *b = h2o_mem_alloc_shared(&req->pool, sizeof *b, on_batch_dispose);
    memset(b, 0, sizeof *b);
    b->req = req;
    b->media = media;
    b->count = b->pending = count;
    b->bytes = 2 + (count - 1); /* brackets and commas */
    b->max_response = max_response;
    b->body = json_incref(body);
    b->send_timeout_ms = send_timeout_ms;
    b->replies = h2o_mem_alloc_pool(&req->pool, sizeof *b->replies * count);
    memset(b->replies, 0, sizeof *b->replies * count);
    b->inputs = h2o_mem_alloc_pool(&req->pool, sizeof *b->inputs * count);
    memset(b->inputs, 0, sizeof *b->inputs * count);
    return b;
}

void gp_batch_add(gp_batch_t *b, size_t index, const gp_operation_input_t *in)
{
    b->inputs[index] = *in;
}

/* Starts the elements still to run, one at a time: each starts when the one before
 * has answered. An element answered at once (a planning error, introspection) lets
 * the loop go on instead of recursing. */
static void batch_next(gp_batch_t *b)
{
    if (b->running)
        return;
    b->running = true;
    while (!b->done && b->next < b->count) {
        size_t i = b->next++;
        if (b->inputs[i].query == NULL)
            continue; /* failed already */
        size_t pending = b->pending;
        op_run(op_new(b->req, b, i, b->media), b->pool, b->plans, &b->inputs[i]);
        if (b->pending == pending && !b->done)
            break; /* its statement runs: batch_put goes on when it answers */
    }
    b->running = false;
}

void gp_batch_run(gp_batch_t *b, gp_pool_t *pool, gp_plan_cache_t *plans)
{
    b->pool = pool;
    b->plans = plans;
    batch_next(b);
}

void gp_batch_fail(gp_batch_t *b, size_t index, const char *code, const char *message)
{
    h2o_iovec_t body = error_body(b->req, code, message);
    batch_put(b, index, body.base, body.len);
}
