/* server/http.c — routing, and turning an HTTP request into a gp_run_input_t and the
 * run's completion into an HTTP reply: GraphQL over HTTP (Accept negotiation, request
 * checks, GET and POST, batches, statuses per media type) and the JSON shape of h2o's
 * own 413. */
#include "server/http.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "base/json.h"
#include "server/operation.h"
#include "server/reply.h"
#include "server/health.h"
#include "server/ws.h"

#define MAX_BATCH 100 /* operations in one POSTed array */

typedef struct param {
    const char *name;
    char *value;        /* decoded, NUL-terminated, in the request's pool; NULL if absent */
    size_t len;
} param_t;

static bool method_is(const h2o_req_t *req, const char *m)
{
    return h2o_memis(req->method.base, req->method.len, m, strlen(m));
}

static bool path_is(const h2o_req_t *req, const char *p)
{
    return h2o_memis(req->path_normalized.base, req->path_normalized.len, p, strlen(p));
}

static void bad_request(h2o_req_t *req, gp_media_t media, const char *message)
{
    gp_reply_error(req, 400, media, "BAD_REQUEST", message);
}

static int method_not_allowed(h2o_req_t *req, const char *allow)
{
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, allow, strlen(allow));
    gp_reply_error(req, 405, GP_MEDIA_JSON, "BAD_REQUEST", "method not allowed");
    return 0;
}

static const char *trim(const char *b, const char **e)
{
    while (b < *e && (*b == ' ' || *b == '\t'))
        b++;
    while (*e > b && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
        (*e)--;
    return b;
}

/* The q of one media range ("type/sub;a=b;q=0.5"), in thousandths; 1000 if absent. */
static int range_q(const char *params, const char *end)
{
    for (const char *p = params; p < end;) {
        const char *semi = memchr(p, ';', (size_t)(end - p)), *pe = semi != NULL ? semi : end;
        const char *b = trim(p, &pe);
        if (pe - b >= 2 && (b[0] == 'q' || b[0] == 'Q') && b[1] == '=') {
            char num[16];
            size_t n = (size_t)(pe - b - 2) < sizeof num - 1 ? (size_t)(pe - b - 2) : sizeof num - 1;
            memcpy(num, b + 2, n);
            num[n] = '\0';
            double q = strtod(num, NULL);
            return q <= 0 ? 0 : q >= 1 ? 1000 : (int)(q * 1000 + 0.5);
        }
        p = pe + 1;
    }
    return 1000;
}

typedef struct accept_match {
    int specificity; /* -1: no range matched; 0: any type; 1: application/any; 2: the type itself */
    int q;
} accept_match_t;

/* Keeps the most specific range that matches `type` (RFC 9110: it decides the q). */
static void match_range(accept_match_t *m, const char *range, size_t len, const char *type, int q)
{
    int spec = h2o_lcstris(range, len, type, strlen(type))                 ? 2
               : h2o_lcstris(range, len, H2O_STRLIT("application/*")) ? 1
               : h2o_lcstris(range, len, H2O_STRLIT("*/*"))           ? 0
                                                                           : -1;
    if (spec > m->specificity) {
        m->specificity = spec;
        m->q = q;
    }
}

/* Chooses the response media type from Accept. application/graphql-response+json when
 * the client names it and likes it at least as much as application/json; else
 * application/json, which is also the answer to no Accept and to wildcards (what
 * clients written before the newer type expect). Returns false if neither is
 * acceptable: 406. */
static bool negotiate(const h2o_req_t *req, gp_media_t *media)
{
    accept_match_t json = {-1, 0}, gql = {-1, 0};
    bool any = false;
    for (ssize_t i = -1; (i = h2o_find_header(&req->headers, H2O_TOKEN_ACCEPT, i)) != -1;) {
        const h2o_iovec_t v = req->headers.entries[i].value;
        any = true;
        for (const char *p = v.base, *end = v.base + v.len; p < end;) {
            const char *comma = memchr(p, ',', (size_t)(end - p)), *re = comma != NULL ? comma : end;
            const char *semi = memchr(p, ';', (size_t)(re - p)), *te = semi != NULL ? semi : re;
            const char *tb = trim(p, &te);
            int q = semi != NULL ? range_q(semi + 1, re) : 1000;
            match_range(&json, tb, (size_t)(te - tb), "application/json", q);
            match_range(&gql, tb, (size_t)(te - tb), "application/graphql-response+json", q);
            p = re + 1;
        }
    }
    if (!any) {
        *media = GP_MEDIA_JSON;
        return true;
    }
    int jq = json.specificity >= 0 ? json.q : 0, gq = gql.specificity >= 0 ? gql.q : 0;
    if (gql.specificity == 2 && gq > 0 && gq >= jq)
        *media = GP_MEDIA_GRAPHQL_RESPONSE;
    else if (jq > 0)
        *media = GP_MEDIA_JSON;
    else if (gq > 0)
        *media = GP_MEDIA_GRAPHQL_RESPONSE;
    else
        return false;
    return true;
}

static int not_acceptable(h2o_req_t *req)
{
    gp_reply_error(req, 406, GP_MEDIA_JSON, "NOT_ACCEPTABLE",
                             "the Accept header allows neither application/graphql-response+json nor "
                             "application/json");
    return 0;
}

/* The worker's current schema snapshot (the slot's reference: the run takes its own), or
 * NULL after answering 503 while the schema is not loaded. */
static gp_snapshot_t *snapshot_or_503(gp_http_ctx_t *ctx, h2o_req_t *req, gp_media_t media)
{
    gp_snapshot_t *snap = *ctx->snapshot;
    if (snap == NULL) {
        gp_reply_error(req, 503, media, "SERVICE_UNAVAILABLE",
                                 "the schema is not loaded yet: the database has not been reachable");
        return NULL;
    }
    if (ctx->plans == NULL)
        ctx->plans = gp_plan_cache_new(ctx->plan_cache, &ctx->compile);
    return snap;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes application/x-www-form-urlencoded text ('+' is a space). Returns the
 * decoded length, or -1 for a broken %-escape or an escaped NUL byte. `dst` may
 * be as long as `len`: decoding never grows. */
static ssize_t url_decode(char *dst, const char *src, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '+') {
            dst[n++] = ' ';
        } else if (src[i] != '%') {
            dst[n++] = src[i];
        } else {
            int hi = i + 2 < len ? hexval(src[i + 1]) : -1, lo = i + 2 < len ? hexval(src[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi | lo) == 0)
                return -1;
            dst[n++] = (char)(hi << 4 | lo);
            i += 2;
        }
    }
    return (ssize_t)n;
}

/* Splits the query string into the known parameters; unknown ones are ignored. */
static const char *parse_query_string(h2o_req_t *req, param_t *params, size_t nparams)
{
    if (req->query_at == SIZE_MAX)
        return NULL;
    const char *p = req->path.base + req->query_at + 1, *end = req->path.base + req->path.len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *field_end = amp != NULL ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(field_end - p));
        const char *name_end = eq != NULL ? eq : field_end;
        const char *val = eq != NULL ? eq + 1 : field_end;
        for (size_t i = 0; i < nparams; i++) {
            if (!h2o_memis(p, (size_t)(name_end - p), params[i].name, strlen(params[i].name)))
                continue;
            if (params[i].value != NULL)
                return "a query parameter was given twice";
            char *dst = h2o_mem_alloc_pool(&req->pool, (size_t)(field_end - val) + 1);
            ssize_t n = url_decode(dst, val, (size_t)(field_end - val));
            if (n < 0)
                return "a query parameter has a broken %-escape or an escaped NUL byte (%00)";
            dst[n] = '\0';
            params[i].value = dst;
            params[i].len = (size_t)n;
        }
        p = field_end + 1;
    }
    return NULL;
}


/* Parses a GET parameter that carries JSON (variables, extensions): absent, empty or
 * null is NULL; anything but an object is an error. Returns false on error. */
static bool json_param(const param_t *p, json_t **out)
{
    *out = NULL;
    if (p->value == NULL || p->len == 0)
        return true;
    json_t *v = gp_json_load(p->value, p->len, NULL);
    if (v == NULL || !(json_is_object(v) || json_is_null(v))) {
        json_decref(v);
        return false;
    }
    if (json_is_null(v)) {
        json_decref(v);
        v = NULL;
    }
    *out = v;
    return true;
}

static uint64_t us_since(const struct timeval *t0)
{
    struct timeval now;
    gettimeofday(&now, NULL);
    int64_t us = (int64_t)(now.tv_sec - t0->tv_sec) * 1000000 + (now.tv_usec - t0->tv_usec);
    return us > 0 ? (uint64_t)us : 0;
}

/* A run in the request's pool: freed with the request, which forgets its statement
 * when the client went away before the answer. */
typedef struct http_run {
    h2o_req_t *req;
    gp_media_t media;
    uint64_t send_timeout_ms;
    gp_run_t *run;
    gp_worker_metrics_t *counts;
    const char *operation_name; /* for the log line: the request's (a batch's first), in its pool */
    uint64_t slow_ms;
    h2o_socket_t *held;         /* the HTTP/1 client's socket, held in the loop while the run waits */
} http_run_t;

/* h2o 2.2.5 takes an HTTP/1 socket out of epoll's set when a request arrives and puts
 * it back after the reply: two epoll_ctl per request, a third of graphpost's syscalls on
 * by_pk (several percent of its throughput at c=16 on 2 cores). While the run waits for the database the socket stays in the set
 * instead, with DONT_READ, so that nothing is read into the buffer the request's headers
 * and body point into. Whatever the client sends meanwhile (a pipelined request, or its
 * close) ends the hold, and h2o reads it after the reply as it would have. A reply
 * written at once completes in the same loop turn as the release, so the set never
 * changes. */
static void release_socket(h2o_socket_t *sock)
{
    if (h2o_socket_is_reading(sock))
        h2o_socket_read_stop(sock);
    h2o_socket_dont_read(sock, 0);
}

static void on_held_socket_readable(h2o_socket_t *sock, const char *err)
{
    (void)err;
    release_socket(sock);
}

static h2o_socket_t *hold_socket(h2o_req_t *req, h2o_socket_t *sock)
{
    if (sock == NULL || req->version >= 0x200) /* HTTP/2 reads its connection all along */
        return NULL;
    h2o_socket_dont_read(sock, 1);
    h2o_socket_read_start(sock, on_held_socket_readable);
    return sock;
}

static void on_http_run_dispose(void *p)
{
    http_run_t *hr = p;
    if (hr->run != NULL)
        gp_run_free(hr->run);
}

/* Errors that stopped the operation before execution: GraphQL over HTTP wants 200
 * with application/json, a 4xx with the newer type. The response pieces live in the
 * run, which lives as long as the request. */
static void on_run_done(void *data, const gp_run_result_t *r)
{
    http_run_t *hr = data;
    h2o_req_t *req = hr->req;
    if (hr->held != NULL) /* before h2o's own read_start, which follows the reply */
        release_socket(hr->held);
    hr->held = NULL;
    int status = r->outcome == GP_RUN_NOT_RUN && hr->media == GP_MEDIA_JSON && r->status < 500 ? 200 : r->status;
    gp_op_outcome_t outcome = gp_run_op_outcome(r);
    gp_metrics_count(hr->counts, r->kind, outcome, us_since(&req->timestamps.request_begin_at));
    gp_reply_op_t op = {r->kind, outcome, hr->operation_name, hr->slow_ms};
    if (r->outcome == GP_RUN_MUTATION_REFUSED)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("POST"));
    h2o_iovec_t *iov = h2o_mem_alloc_pool(&req->pool, sizeof *iov * r->n);
    for (size_t i = 0; i < r->n; i++)
        iov[i] = h2o_iovec_init(r->pieces[i].base, r->pieces[i].len);
    gp_reply_iov(req, status, hr->media, iov, r->n, r->len, hr->send_timeout_ms, &op);
}

/* Runs `count` operations (a batch, or one) and answers `req` exactly once. */
static void run_operations(gp_http_ctx_t *ctx, h2o_req_t *req, gp_media_t media, gp_snapshot_t *snap,
                           const gp_operation_input_t *ops, size_t count, bool batch, bool via_get)
{
    http_run_t *hr = h2o_mem_alloc_shared(&req->pool, sizeof *hr, on_http_run_dispose);
    h2o_socket_t *client = req->conn->callbacks->get_socket != NULL ? req->conn->callbacks->get_socket(req->conn)
                                                                    : NULL;
    *hr = (http_run_t){req, media, ctx->limits->send_timeout_ms, NULL, ctx->counts, NULL, ctx->limits->slow_ms,
                       hold_socket(req, client)};
    if (count > 0 && ops[0].operation_name != NULL)
        hr->operation_name = h2o_strdup(&req->pool, ops[0].operation_name, SIZE_MAX).base;
    gp_run_input_t in = {ops, count, batch, /* queries_only= */ via_get, ctx->dev, ctx->limits->max_response,
                         ctx->limits->max_memory, client != NULL ? h2o_socket_get_fd(client) : -1};
    hr->run = gp_run_start(&ctx->pools, ctx->plans, snap, &in, on_run_done, hr);
}

static int graphql_get(gp_http_ctx_t *ctx, h2o_req_t *req, gp_media_t media)
{
    param_t params[] = {{"query", NULL, 0}, {"operationName", NULL, 0}, {"variables", NULL, 0},
                        {"extensions", NULL, 0}};
    const char *problem = parse_query_string(req, params, 4);
    if (problem != NULL) {
        bad_request(req, media, problem);
        return 0;
    }
    if (params[0].value == NULL) {
        bad_request(req, media, "missing \"query\": use GET /graphql?query=...");
        return 0;
    }
    json_t *variables, *extensions;
    if (!json_param(&params[2], &variables)) {
        bad_request(req, media, "\"variables\" must be a JSON object");
        return 0;
    }
    if (!json_param(&params[3], &extensions)) {
        json_decref(variables);
        bad_request(req, media, "\"extensions\" must be a JSON object");
        return 0;
    }
    json_decref(extensions); /* accepted, and no extension is known yet */
    gp_snapshot_t *snap = snapshot_or_503(ctx, req, media);
    if (snap != NULL) {
        gp_operation_input_t in = {params[0].value, params[0].len, params[1].len > 0 ? params[1].value : NULL,
                                   variables, NULL};
        run_operations(ctx, req, media, snap, &in, 1, /* batch= */ false, /* via_get= */ true);
    }
    json_decref(variables);
    return 0;
}

/* application/json, with or without parameters such as charset. A POST without a
 * Content-Type is refused too (GraphQL over HTTP: the client must say what it sends). */
static bool is_json_body(const h2o_req_t *req)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (i < 0)
        return false;
    h2o_iovec_t v = req->headers.entries[i].value;
    size_t n = 0;
    while (n < v.len && v.base[n] != ';' && v.base[n] != ' ')
        n++;
    return h2o_lcstris(v.base, n, H2O_STRLIT("application/json"));
}

/* Checks one request object (the body, or one element of a batch); NULL if usable. */
static const char *check_request(const json_t *body)
{
    if (!json_is_object(body))
        return "a GraphQL request must be a JSON object with a \"query\"";
    const json_t *q = json_object_get(body, "query"), *n = json_object_get(body, "operationName"),
                 *v = json_object_get(body, "variables"), *x = json_object_get(body, "extensions");
    if (q == NULL || json_is_null(q))
        return "missing \"query\" in the request body";
    if (!gp_json_is_string(q)) /* an exact number is a string to jansson */
        return "\"query\" must be a string";
    if (n != NULL && !json_is_null(n) && !gp_json_is_string(n))
        return "\"operationName\" must be a string or null";
    if (v != NULL && !json_is_null(v) && !json_is_object(v))
        return "\"variables\" must be an object or null";
    if (x != NULL && !json_is_null(x) && !json_is_object(x))
        return "\"extensions\" must be an object or null";
    return NULL;
}

/* The input of a request object that passed check_request; it points into `body`. */
static gp_operation_input_t input_of(const json_t *body)
{
    const json_t *q = json_object_get(body, "query"), *n = json_object_get(body, "operationName");
    json_t *v = json_object_get(body, "variables");
    return (gp_operation_input_t){json_string_value(q), json_string_length(q),
                                  json_is_string(n) ? json_string_value(n) : NULL,
                                  json_is_object(v) ? v : NULL, NULL};
}

/* Every element runs as an independent operation; a malformed element gets its own
 * error in its slot and does not fail its neighbours. */
static void start_batch(gp_http_ctx_t *ctx, h2o_req_t *req, gp_media_t media, const json_t *body)
{
    size_t n = json_array_size(body);
    if (n == 0 || n > MAX_BATCH) {
        bad_request(req, media, n == 0 ? "an empty batch: send at least one operation"
                                       : "too many operations in one batch (at most " H2O_TO_STR(MAX_BATCH) ")");
        return;
    }
    gp_snapshot_t *snap = snapshot_or_503(ctx, req, media);
    if (snap == NULL)
        return;
    gp_operation_input_t ops[MAX_BATCH];
    for (size_t i = 0; i < n; i++) {
        const json_t *el = json_array_get(body, i);
        const char *problem = check_request(el);
        ops[i] = problem != NULL ? (gp_operation_input_t){.problem = problem} : input_of(el);
    }
    run_operations(ctx, req, media, snap, ops, n, /* batch= */ true, /* via_get= */ false);
}

static int graphql_post(gp_http_ctx_t *ctx, h2o_req_t *req, gp_media_t media)
{
    if (!is_json_body(req)) {
        gp_reply_error(req, 415, media, "BAD_REQUEST", "send the request as Content-Type: application/json");
        return 0;
    }
    if (req->entity.base == NULL || req->entity.len == 0) {
        bad_request(req, media, "the request body is empty; send {\"query\": \"...\"}");
        return 0;
    }
    json_error_t jerr;
    json_t *body = gp_json_load(req->entity.base, req->entity.len, &jerr); /* keeps bigint/numeric digits */
    if (body == NULL) {
        char msg[256];
        snprintf(msg, sizeof msg, "the request body is not valid JSON: %s (line %d, column %d)", jerr.text,
                 jerr.line, jerr.column);
        bad_request(req, media, msg);
        return 0;
    }
    const char *problem;
    gp_snapshot_t *snap;
    if (json_is_array(body)) {
        start_batch(ctx, req, media, body);
    } else if ((problem = check_request(body)) != NULL) {
        bad_request(req, media, problem);
    } else if ((snap = snapshot_or_503(ctx, req, media)) != NULL) {
        gp_operation_input_t in = input_of(body);
        run_operations(ctx, req, media, snap, &in, 1, /* batch= */ false, /* via_get= */ false);
    }
    json_decref(body);
    return 0;
}

static int ops(gp_http_ctx_t *ctx, h2o_req_t *req)
{
    if (!method_is(req, "GET") && !method_is(req, "HEAD"))
        return method_not_allowed(req, "GET, HEAD");
    bool loaded = *ctx->snapshot != NULL;
    gp_arena_t *a = gp_arena_new(4096);
    gp_strbuf_t out;
    gp_strbuf_init(&out, a, SIZE_MAX / 2);
    gp_media_t media = GP_MEDIA_JSON;
    int status;
    if (path_is(req, "/live")) {
        status = gp_health_live(&out);
    } else if (path_is(req, "/ready")) {
        status = gp_health_ready(ctx->metrics, loaded, &out);
    } else if (path_is(req, "/health/database")) {
        status = gp_health_database(ctx->metrics, loaded, &out);
    } else if (path_is(req, "/metrics")) {
        gp_metrics_render(ctx->metrics, loaded, &out);
        status = 200;
        media = GP_MEDIA_PROMETHEUS;
    } else {
        status = gp_health_health(ctx->metrics, loaded, &out);
    }
    h2o_iovec_t body = h2o_strdup(&req->pool, out.data, out.len);
    gp_arena_free(a);
    gp_reply(req, status, media, body.base, body.len);
    return 0;
}

/* GET /graphql with Upgrade: websocket (HTTP/1.1 only: HTTP/2 has no Upgrade). The
 * session runs its operations as this worker runs HTTP requests. */
static int websocket(gp_http_ctx_t *ctx, h2o_req_t *req)
{
    if (snapshot_or_503(ctx, req, GP_MEDIA_JSON) == NULL)
        return 0;
    gp_ws_env_t env = {&ctx->pools,        ctx->plans,          ctx->snapshot,
                       ctx->live,         ctx->dev,            ctx->limits->max_response,
                       ctx->limits->max_memory, ctx->counts,         ctx->limits->slow_ms};
    gp_ws_upgrade(ctx->ws, req, &env);
    return 0;
}

static int graphql(gp_http_ctx_t *ctx, h2o_req_t *req)
{
    bool post = method_is(req, "POST");
    if (!post && !method_is(req, "GET"))
        return method_not_allowed(req, "GET, POST");
    if (!post && gp_ws_is_upgrade(req))
        return websocket(ctx, req);
    gp_media_t media;
    if (!negotiate(req, &media))
        return not_acceptable(req);
    return post ? graphql_post(ctx, req, media) : graphql_get(ctx, req, media);
}

typedef struct handler {
    h2o_handler_t super;
    gp_http_limits_t limits;
} handler_t;

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    gp_http_ctx_t *ctx = (gp_http_ctx_t *)req->conn->ctx;
    ctx->limits = &((handler_t *)self)->limits;
    if (path_is(req, "/graphql"))
        return graphql(ctx, req);
    if (path_is(req, "/health") || path_is(req, "/ready") || path_is(req, "/live") ||
        path_is(req, "/health/database") || path_is(req, "/metrics"))
        return ops(ctx, req);
    gp_reply_error(req, 404, GP_MEDIA_JSON, "NOT_FOUND", "not found: the GraphQL endpoint is /graphql");
    return 0;
}

/* h2o refuses a body over max_request_entity_size itself, before any handler runs,
 * with a text/plain 413. This filter gives that answer the JSON shape every other
 * error has. (HTTP/2 clients get RST_STREAM(REFUSED_STREAM) from h2o instead.) */
static const char too_large[] = "{\"errors\":[{\"message\":\"the request body is larger than the server accepts "
                                "(--max-body)\",\"extensions\":{\"code\":\"PAYLOAD_TOO_LARGE\"}}]}";

static void too_large_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt,
                           h2o_send_state_t state)
{
    (void)bufs, (void)bufcnt;
    h2o_iovec_t body = h2o_iovec_init(too_large, sizeof too_large - 1);
    if (h2o_send_state_is_in_progress(state))
        h2o_ostream_send_next(self, req, NULL, 0, state);
    else
        h2o_ostream_send_next(self, req, &body, 1, state);
}

static void too_large_setup(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    (void)self;
    ssize_t ct = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (req->res.status == 413 && ct != -1 && req->res.headers.entries[ct].value.len >= 10 &&
        memcmp(req->res.headers.entries[ct].value.base, "text/plain", 10) == 0) {
        req->res.headers.entries[ct].value = h2o_iovec_init(H2O_STRLIT("application/json; charset=utf-8"));
        req->res.content_length = sizeof too_large - 1;
        h2o_ostream_t *os = h2o_add_ostream(req, sizeof *os, slot);
        os->do_send = too_large_send;
        slot = &os->next;
    }
    h2o_setup_next_ostream(req, slot);
}

void gp_http_configure(h2o_globalconf_t *conf, size_t max_body, const gp_http_limits_t *limits)
{
    conf->max_request_entity_size = max_body; /* h2o answers 413 itself; its default is 1 GiB */
    conf->server_name = h2o_iovec_init(H2O_STRLIT("graphpost"));
    h2o_hostconf_t *host = h2o_config_register_host(conf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    handler_t *h = (handler_t *)h2o_create_handler(path, sizeof(handler_t));
    h->super.on_req = on_req;
    h->limits = *limits;
    /* h2o's early 413 is sent through the host's fallback path. */
    h2o_create_filter(&host->fallback_path, sizeof(h2o_filter_t))->on_setup_ostream = too_large_setup;
}
