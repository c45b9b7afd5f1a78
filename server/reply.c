/* server/reply.c — HTTP replies: status, Content-Type, a body sent in slices to slow readers. */
#include "server/reply.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "base/arena.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/log.h"
#include "base/strbuf.h"

#define ERROR_BODY_MAX (1 << 20)

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
    case 426: return "Upgrade Required";
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

/* The client's X-Request-Id when it is short and printable, else one made here: 16 hex
 * digits, a per-thread random prefix and a counter. */
static const char *request_id(h2o_req_t *req, char made[17])
{
    ssize_t at = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-request-id"), -1);
    if (at != -1) {
        h2o_iovec_t v = req->headers.entries[at].value;
        bool sane = v.len > 0 && v.len <= 128;
        for (size_t i = 0; sane && i < v.len; i++)
            sane = v.base[i] > 0x20 && v.base[i] < 0x7f && v.base[i] != '"' && v.base[i] != '\\';
        if (sane)
            return h2o_strdup(&req->pool, v.base, v.len).base;
    }
    static __thread uint32_t prefix, seq;
    if (prefix == 0) {
        struct timeval now;
        gettimeofday(&now, NULL);
        prefix = (uint32_t)(now.tv_usec * 2654435761u) ^ (uint32_t)(uintptr_t)&seq ^ (uint32_t)now.tv_sec;
        prefix |= 1;
    }
    return gp_hex64(made, (uint64_t)prefix << 32 | ++seq);
}

static void log_request(h2o_req_t *req, int status, size_t len, const char *id, const gp_reply_op_t *op)
{
    bool graphql = h2o_memis(req->path_normalized.base, req->path_normalized.len, H2O_STRLIT("/graphql"));
    double ms = ms_since(&req->timestamps.request_begin_at);
    bool slow = op != NULL && op->slow_ms > 0 && ms > (double)op->slow_ms;
    gp_log_level_t level = slow ? GP_LOG_WARN : graphql ? GP_LOG_INFO : GP_LOG_DEBUG;
    if (level < gp_log_level)
        return;
    char method[16], path[256];
    snprintf(method, sizeof method, "%.*s", (int)(req->method.len < 15 ? req->method.len : 15), req->method.base);
    snprintf(path, sizeof path, "%.*s", (int)(req->path.len < 255 ? req->path.len : 255), req->path.base);
    gp_log_field_t f[] = {
        GP_LOG_STR("id", id),
        GP_LOG_STR("method", method),
        GP_LOG_STR("path", path),
        GP_LOG_NUM("status", status),
        GP_LOG_STR("type", op != NULL ? gp_op_kind_name(op->kind) : NULL),
        GP_LOG_STR("operation", op != NULL ? op->name : NULL),
        GP_LOG_STR("outcome", op != NULL ? gp_op_outcome_name(op->outcome) : NULL),
        GP_LOG_NUM("duration_ms", (double)(int64_t)(ms * 100) / 100),
        GP_LOG_NUM("bytes", len),
    };
    gp_log_event(level, "request", slow ? "slow request" : "request", f, sizeof f / sizeof *f);
}

void gp_reply_iov(h2o_req_t *req, int status, gp_media_t media, h2o_iovec_t *iov, size_t n, size_t len,
                  uint64_t timeout_ms, const gp_reply_op_t *op)
{
    static h2o_generator_t generator = {NULL, NULL}; /* one final send: nothing to proceed or stop */
    char made[17];
    const char *id = request_id(req, made);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, id, strlen(id));
    log_request(req, status, len, id, op);
    /* Stopping: h2o 2.2.5 closes only the connections idle when asked, and a keep-alive
     * client would hold this one open until the drain gives up on it. */
    if (req->conn->ctx->shutdown_requested)
        req->http1_is_persistent = 0;
    req->res.status = status;
    req->res.reason = reason(status);
    req->res.content_length = len; /* else HTTP/1 goes chunked */
    if (media == GP_MEDIA_GRAPHQL_RESPONSE)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                       H2O_STRLIT("application/graphql-response+json; charset=utf-8"));
    else if (media == GP_MEDIA_PROMETHEUS)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                       H2O_STRLIT("text/plain; version=0.0.4; charset=utf-8"));
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

void gp_reply(h2o_req_t *req, int status, gp_media_t media, const char *body, size_t len)
{
    h2o_iovec_t iov = h2o_iovec_init(body, len);
    gp_reply_iov(req, status, media, &iov, 1, len, GP_SEND_TIMEOUT_DEFAULT_MS, NULL);
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

void gp_reply_error(h2o_req_t *req, int status, gp_media_t media, const char *code, const char *message)
{
    h2o_iovec_t body = error_body(req, code, message);
    gp_reply(req, status, media, body.base, body.len);
}
