/* server/http.c — routing, and turning an HTTP request into a gp_operation_input_t. */
#include "server/http.h"

#include <string.h>

#include "server/operation.h"
#include "server/ops.h"

typedef struct param {
    const char *name;
    char *value;        /* decoded, NUL-terminated, in the request's pool; NULL if absent */
    size_t len;
} param_t;


/* Plans and runs the operation, or answers 503 while the schema is not loaded. */
static void start_operation(gp_http_ctx_t *ctx, h2o_req_t *req, const gp_operation_input_t *in)
{
    const gp_model_t *model = atomic_load_explicit(ctx->model, memory_order_acquire);
    if (model == NULL) {
        gp_operation_reply_error(req, 503, "SERVICE_UNAVAILABLE",
                                 "the schema is not loaded yet: the database has not been reachable");
        return;
    }
    gp_operation_start(req, ctx->pool, model, in);
}

static bool method_is(const h2o_req_t *req, const char *m)
{
    return h2o_memis(req->method.base, req->method.len, m, strlen(m));
}

static bool path_is(const h2o_req_t *req, const char *p)
{
    return h2o_memis(req->path_normalized.base, req->path_normalized.len, p, strlen(p));
}

static void bad_request(h2o_req_t *req, const char *message)
{
    gp_operation_reply_error(req, 400, "BAD_REQUEST", message);
}

static int method_not_allowed(h2o_req_t *req, const char *allow)
{
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, allow, strlen(allow));
    gp_operation_reply_error(req, 405, "BAD_REQUEST", "method not allowed");
    return 0;
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

static int graphql_get(gp_http_ctx_t *ctx, h2o_req_t *req)
{
    param_t params[] = {{"query", NULL, 0}, {"operationName", NULL, 0}, {"variables", NULL, 0}};
    const char *problem = parse_query_string(req, params, 3);
    if (problem != NULL) {
        bad_request(req, problem);
        return 0;
    }
    if (params[0].value == NULL) {
        bad_request(req, "missing \"query\": use GET /graphql?query=...");
        return 0;
    }
    json_t *variables = NULL;
    if (params[2].value != NULL && params[2].len > 0) {
        json_error_t jerr;
        variables = json_loadb(params[2].value, params[2].len, JSON_DECODE_ANY, &jerr);
        if (variables == NULL || !(json_is_object(variables) || json_is_null(variables))) {
            json_decref(variables);
            bad_request(req, "\"variables\" must be a JSON object");
            return 0;
        }
    }
    gp_operation_input_t in = {params[0].value, params[0].len, params[1].len > 0 ? params[1].value : NULL,
                               json_is_object(variables) ? variables : NULL, /* via_get= */ true};
    start_operation(ctx, req, &in);
    json_decref(variables);
    return 0;
}

/* application/json, with or without parameters such as charset; absent is accepted. */
static bool is_json_body(const h2o_req_t *req)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (i < 0)
        return true;
    h2o_iovec_t v = req->headers.entries[i].value;
    size_t n = 0;
    while (n < v.len && v.base[n] != ';' && v.base[n] != ' ')
        n++;
    return h2o_lcstris(v.base, n, H2O_STRLIT("application/json"));
}

static const char *check_body(const json_t *body)
{
    if (json_is_array(body))
        return "batched operations (a JSON array) are not supported";
    if (!json_is_object(body))
        return "the request body must be a JSON object with a \"query\"";
    const json_t *q = json_object_get(body, "query"), *n = json_object_get(body, "operationName"),
                 *v = json_object_get(body, "variables");
    if (q == NULL || json_is_null(q))
        return "missing \"query\" in the request body";
    if (!json_is_string(q))
        return "\"query\" must be a string";
    if (n != NULL && !json_is_null(n) && !json_is_string(n))
        return "\"operationName\" must be a string or null";
    if (v != NULL && !json_is_null(v) && !json_is_object(v))
        return "\"variables\" must be an object or null";
    return NULL;
}

static int graphql_post(gp_http_ctx_t *ctx, h2o_req_t *req)
{
    if (!is_json_body(req)) {
        gp_operation_reply_error(req, 415, "BAD_REQUEST", "send the request as Content-Type: application/json");
        return 0;
    }
    if (req->entity.base == NULL || req->entity.len == 0) {
        bad_request(req, "the request body is empty; send {\"query\": \"...\"}");
        return 0;
    }
    json_error_t jerr;
    json_t *body = json_loadb(req->entity.base, req->entity.len, JSON_DECODE_ANY, &jerr);
    if (body == NULL) {
        char msg[256];
        snprintf(msg, sizeof msg, "the request body is not valid JSON: %s (line %d, column %d)", jerr.text,
                 jerr.line, jerr.column);
        bad_request(req, msg);
        return 0;
    }
    const char *problem = check_body(body);
    if (problem != NULL) {
        bad_request(req, problem);
        json_decref(body);
        return 0;
    }
    const json_t *q = json_object_get(body, "query"), *n = json_object_get(body, "operationName");
    json_t *v = json_object_get(body, "variables");
    gp_operation_input_t in = {json_string_value(q), json_string_length(q),
                               json_is_string(n) ? json_string_value(n) : NULL,
                               json_is_object(v) ? v : NULL, /* via_get= */ false};
    start_operation(ctx, req, &in);
    json_decref(body);
    return 0;
}

static int ops(gp_http_ctx_t *ctx, h2o_req_t *req)
{
    if (!method_is(req, "GET") && !method_is(req, "HEAD"))
        return method_not_allowed(req, "GET, HEAD");
    const char *body;
    size_t len;
    int status;
    if (path_is(req, "/live")) {
        status = gp_ops_live(&body, &len);
    } else if (path_is(req, "/health/database")) {
        char *buf = h2o_mem_alloc_pool(&req->pool, 512);
        status = gp_ops_database(ctx->pool, buf, 512, &len);
        body = buf;
    } else {
        status = gp_ops_health(ctx->pool, &body, &len);
    }
    gp_operation_reply(req, status, body, len);
    return 0;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    gp_http_ctx_t *ctx = (gp_http_ctx_t *)req->conn->ctx;
    if (path_is(req, "/graphql")) {
        if (method_is(req, "POST"))
            return graphql_post(ctx, req);
        if (method_is(req, "GET"))
            return graphql_get(ctx, req);
        return method_not_allowed(req, "GET, POST");
    }
    if (path_is(req, "/health") || path_is(req, "/ready") || path_is(req, "/live") ||
        path_is(req, "/health/database"))
        return ops(ctx, req);
    gp_operation_reply_error(req, 404, "NOT_FOUND", "not found: the GraphQL endpoint is /graphql");
    return 0;
}

void gp_http_configure(h2o_globalconf_t *conf)
{
    conf->max_request_entity_size = GP_HTTP_MAX_BODY; /* h2o answers 413 itself; its default is 1 GiB */
    conf->server_name = h2o_iovec_init(H2O_STRLIT("graphpost"));
    h2o_hostconf_t *host = h2o_config_register_host(conf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_create_handler(path, sizeof(h2o_handler_t))->on_req = on_req;
}
