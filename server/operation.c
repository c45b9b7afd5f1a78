/* server/operation.c — plan, run, splice, complete; batches. No HTTP here: the
 * transport gets the response as pieces and an outcome (server/http.c). */
#include "server/operation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/error.h"
#include "base/json.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "db/pgerror.h"
#include "graphql/introspection.h"
#include "resolvers/plan.h"

#define OP_ARENA_CHUNK 8192
#define OUT_ARENA_CHUNK 4096
#define ERROR_BODY_MAX (1 << 20)

/* `{"data":` + cell + `}` */
#define DATA_WRAP_LEN 9

/* One operation of the run. Its arena (the query copy, the plan, error texts) is
 * bounded by max_memory and lives until the run is freed. */
typedef struct op {
    gp_run_t *run;
    size_t index;       /* in the batch */
    gp_operation_input_t in; /* for a batch element: copies in the run's arena, started later */
    gp_arena_t *arena;
    gp_query_t *query;  /* non-NULL while the statement runs */
    json_t *variables;
    const char *sql;    /* the statement, for --dev error reports; NULL otherwise */
    const gp_plan_t *plan; /* while it runs: a failing write names its root field in the error's path */
    const char *run_sql; /* what went to the pool: a read sent again to the writer */
    gp_pool_t *reader;  /* the read replica a read runs on; NULL: the writer */
} op_t;

struct gp_run {
    const gp_pools_t *pools;
    gp_plan_cache_t *plans;
    gp_snapshot_t *snapshot; /* the schema the run started with: its reference, dropped by gp_run_free */
    gp_run_cb cb;
    void *data;
    gp_run_input_t in;      /* ops points at `op` */
    gp_arena_t *out;        /* responses and the batch's copies of its inputs; not bounded */
    op_t *op;               /* count of them */
    gp_run_piece_t *replies; /* a batch: each element's response object */
    size_t pending;         /* batch elements not answered yet */
    size_t bytes;           /* of the array so far: brackets, commas and the replies in */
    size_t next;            /* the next element to start */
    bool done;              /* answered (complete or too large): later results are dropped */
    bool running;           /* inside batch_next: an element answered at once does not recurse */
    gp_op_kind_t kind;      /* a single operation's, once planned; GP_OP_KIND_BATCH */
};

static void complete(gp_run_t *run, gp_run_outcome_t outcome, int status, const gp_run_piece_t *pieces, size_t n,
                     size_t len)
{
    run->done = true;
    gp_run_result_t r = {outcome, run->kind, status, pieces, n, len};
    run->cb(run->data, &r);
}

gp_op_outcome_t gp_run_op_outcome(const gp_run_result_t *r)
{
    switch (r->outcome) {
    case GP_RUN_OK:
        return GP_OP_OK;
    case GP_RUN_FAILED:
        return GP_OP_FAILED;
    default:
        return GP_OP_REJECTED;
    }
}

/* {"errors":[{"message":…,"extensions":{"code":…}}]} in the run's arena. */
static gp_run_piece_t error_body(gp_run_t *run, const char *code, const char *message)
{
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, run->out, ERROR_BODY_MAX);
    gp_strbuf_lit(&sb, "{\"errors\":[{\"message\":");
    gp_json_cstring(&sb, message);
    gp_strbuf_lit(&sb, ",\"extensions\":{\"code\":");
    gp_json_cstring(&sb, code);
    gp_strbuf_lit(&sb, "}}]}");
    return (gp_run_piece_t){sb.data, sb.len};
}

/* The whole array would be over max_response: every element gets this error instead. */
static void batch_too_large(gp_run_t *b)
{
    char msg[200];
    snprintf(msg, sizeof msg, "the batch's response is larger than the server sends (--max-response-bytes %zu)",
             b->in.max_response);
    gp_run_piece_t e = error_body(b, "RESPONSE_TOO_LARGE", msg);
    for (size_t i = 0; i < b->in.count; i++)
        b->replies[i] = e;
}

/* '[' r0 ',' r1 … ']' as pieces, without concatenating the replies. */
static void batch_send(gp_run_t *b)
{
    static const char open = '[', comma = ',', close = ']';
    gp_run_piece_t *iov = gp_arena_alloc(b->out, sizeof *iov * (2 * b->in.count + 1));
    size_t n = 0, len = 0;
    for (size_t i = 0; i < b->in.count; i++) {
        iov[n++] = (gp_run_piece_t){i == 0 ? &open : &comma, 1};
        iov[n++] = b->replies[i];
        len += 1 + b->replies[i].len;
    }
    iov[n++] = (gp_run_piece_t){&close, 1};
    complete(b, GP_RUN_OK, 200, iov, n, len + 1);
}

static void batch_next(gp_run_t *b);

/* Records one element's answer; the last one, or one that makes the array too
 * large, completes the run; otherwise the next element starts. */
static void batch_put(gp_run_t *b, size_t index, const char *body, size_t len)
{
    if (b->done)
        return;
    b->replies[index] = (gp_run_piece_t){body, len};
    b->bytes += len;
    if (b->bytes > b->in.max_response) {
        batch_too_large(b);
        batch_send(b);
        return;
    }
    if (--b->pending == 0)
        batch_send(b);
    else if (b->running || b->next > 0)
        batch_next(b);
}

/* The one place an operation's answer goes: the run itself, or its batch slot.
 * `body` lives as long as the run. In a batch the element's status is dropped: the
 * array as a whole is a 200. */
static void op_finish(op_t *op, gp_run_outcome_t outcome, int status, const char *body, size_t len)
{
    if (op->run->in.batch) {
        batch_put(op->run, op->index, body, len);
        return;
    }
    gp_run_piece_t *piece = gp_arena_alloc(op->run->out, sizeof *piece);
    *piece = (gp_run_piece_t){body, len};
    complete(op->run, outcome, status, piece, 1, len);
}

static void op_fail(op_t *op, gp_run_outcome_t outcome, int status, const char *code, const char *message)
{
    gp_run_piece_t body = error_body(op->run, code, message);
    op_finish(op, outcome, status, body.base, body.len);
}

/* Errors that stopped the operation before execution (parse, validation, variables)
 * end it NOT_RUN: GraphQL over HTTP answers them 200 with application/json. */
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
        op_fail(op, GP_RUN_FAILED, 500, "INTERNAL_SERVER_ERROR", "the error list is too large to send");
        return;
    }
    op_finish(op, data_null ? GP_RUN_FAILED : GP_RUN_NOT_RUN, gp_errors_status(errs), sb.data, sb.len);
}

/* RESPONSE_TOO_LARGE, with data null: the operation ran, its answer is not sent. */
static void reply_too_large(op_t *op, unsigned long long data_bytes)
{
    char msg[256];
    snprintf(msg, sizeof msg,
             "the response would be %llu bytes, more than the server sends (--max-response-bytes %zu)",
             data_bytes + DATA_WRAP_LEN, op->run->in.max_response);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, op->arena, 1024);
    gp_strbuf_lit(&sb, "{\"errors\":[{\"message\":");
    gp_json_cstring(&sb, msg);
    gp_strbuf_lit(&sb, ",\"extensions\":{\"code\":\"RESPONSE_TOO_LARGE\"}}],\"data\":null}");
    op_finish(op, GP_RUN_OK, 200, sb.data, sb.len);
}

/* The cell is PostgreSQL's JSON text for the whole `data` object: it goes out as
 * it came, between two constant strings, without being parsed. */
static void reply_data(op_t *op, const char *cell, size_t cell_len)
{
    if (cell_len + DATA_WRAP_LEN > op->run->in.max_response || (cell_len > 0 && cell[0] == '!')) {
        reply_too_large(op, cell_len > 0 && cell[0] == '!' ? strtoull(cell + 1, NULL, 10) : cell_len);
        return;
    }
    static const char head[] = "{\"data\":", tail[] = "}";
    size_t len = sizeof head - 1 + cell_len + sizeof tail - 1;
    char *body = gp_arena_alloc(op->run->out, len);
    memcpy(body, head, sizeof head - 1);
    memcpy(body + sizeof head - 1, cell, cell_len);
    memcpy(body + sizeof head - 1 + cell_len, tail, sizeof tail - 1);
    op_finish(op, GP_RUN_OK, 200, body, len);
}

/* PostgreSQL's own words only where they speak of the caller's values or rights
 * (pgerror.h); elsewhere they may name tables, functions or settings the client has
 * no business seeing, unless --dev asks for everything, the statement included. The
 * pool's own words (no SQLSTATE) are written for clients: a write whose connection
 * broke after it was sent says that it may or may not have run. The
 * SQLSTATE's class picks extensions.code (constraint-violation, data-exception, …);
 * the constraint's name goes along with the words that already name it. */
static void reply_database_error(op_t *op, const gp_query_result_t *r)
{
    gp_errors_t errs;
    gp_errors_init(&errs, op->arena, NULL);
    bool show = op->sql != NULL || r->sqlstate == NULL || gp_pgerror_shown(r->sqlstate);
    gp_error_t *e = gp_errors_add(&errs, gp_pgerror_kind(r->sqlstate), -1, "%s",
                                  show ? r->error : "the database could not run the operation");
    e->sqlstate = r->sqlstate != NULL ? gp_arena_strdup(op->arena, r->sqlstate) : NULL;
    e->constraint = show && r->constraint != NULL ? gp_arena_strdup(op->arena, r->constraint) : NULL;
    const gp_plan_t *plan = op->plan;
    if (plan != NULL && r->statement >= 0 && r->statement < plan->nwrites) { /* the root field that failed */
        gp_strbuf_t path;
        gp_strbuf_init(&path, op->arena, ERROR_BODY_MAX);
        gp_strbuf_putc(&path, '[');
        gp_json_cstring(&path, plan->writes[r->statement].key);
        gp_strbuf_putc(&path, ']');
        e->path = path.error ? NULL : path.data;
    }
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

static void run_read(op_t *op, gp_pool_t *pool);

static void on_result(void *data, const gp_query_result_t *r)
{
    op_t *op = data;
    op->query = NULL;
    if (r->unavailable && op->reader != NULL) { /* the replica went down: the writer answers */
        gp_debug("operation", "a read replica failed a read (%s); running it on the writer", r->error);
        run_read(op, op->run->pools->writer);
        return;
    }
    if (r->cell != NULL) {
        reply_data(op, r->cell, r->cell_len);
    } else if (r->unavailable) {
        op_fail(op, GP_RUN_FAILED, 503, "SERVICE_UNAVAILABLE", r->error != NULL ? r->error : "the database is unavailable");
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
    size_t len = gp_introspection_answer_len(answer);
    if (len + DATA_WRAP_LEN > op->run->in.max_response) {
        reply_too_large(op, len);
        return;
    }
    char *body = gp_arena_alloc(op->run->out, len + DATA_WRAP_LEN), *p = body;
    memcpy(p, "{\"data\":", 8);
    p += 8;
    for (size_t i = 0; answer[i] != NULL; i++) {
        size_t n = strlen(answer[i]);
        memcpy(p, answer[i], n);
        p += n;
    }
    *p++ = '}';
    op_finish(op, GP_RUN_OK, 200, body, (size_t)(p - body));
}

static char *put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

/* The statement with its `data` cell measured by PostgreSQL: the cell itself when
 * it fits in `limit` bytes, else '!' and its size, so that a cell too large never
 * crosses the wire (libpq would buffer all of it). OFFSET 0 keeps the planner from
 * inlining the subquery, which would build the cell three times; the limit is a
 * constant, so one plan keeps one statement text (and prepared statement). */
static const char *sized_sql(gp_arena_t *a, const char *sql, size_t limit)
{
    /* Every request builds it (the plan keeps the bare statement, which live.c wraps
     * differently): copied piece by piece, as printf took ~4 % of graphpost's time on
     * bench/run's list shape. */
    static const char head[] = "SELECT CASE WHEN octet_length(_gp.d) <= ";
    static const char middle[] = " THEN _gp.d ELSE '!' || octet_length(_gp.d) END FROM (SELECT (";
    static const char tail[] = ")::text AS d OFFSET 0) AS _gp";
    char digits[24], *d = digits + sizeof digits;
    do
        *--d = (char)('0' + limit % 10);
    while ((limit /= 10) > 0);
    size_t nd = (size_t)(digits + sizeof digits - d), n = strlen(sql);
    char *out = gp_arena_alloc(a, sizeof head - 1 + nd + sizeof middle - 1 + n + sizeof tail), *p = out;
    p = put(p, head, sizeof head - 1);
    p = put(p, d, nd);
    p = put(p, middle, sizeof middle - 1);
    p = put(p, sql, n);
    put(p, tail, sizeof tail);
    return out;
}


/* A mutation: its writes, then `sql` reading them back, as one transaction. */
static gp_query_t *run_transaction(op_t *op, const gp_plan_t *plan, const char *sql)
{
    int n = plan->nwrites + 1;
    gp_pool_statement_t *st = gp_arena_alloc(op->arena, sizeof *st * (size_t)n);
    for (int i = 0; i < plan->nwrites; i++)
        st[i] = (gp_pool_statement_t){plan->writes[i].sql, plan->writes[i].params.count, plan->writes[i].params.values};
    st[n - 1] = (gp_pool_statement_t){sql, plan->params.count, plan->params.values};
    return gp_pool_transaction(op->run->pools->writer, st, n, on_result, op);
}

/* The transport's socket: h2o 2.2.5 does not read an HTTP/1 socket while a request
 * is pending (server/http.c only keeps it in epoll's set, unread), so only the pool's
 * look at it can tell that a client left. */
static void watch_client(op_t *op)
{
    if (op->run->in.client_fd >= 0)
        gp_pool_query_watch_client(op->query, op->run->in.client_fd);
}

/* A query, on `pool` (a reader, or the writer). */
static void run_read(op_t *op, gp_pool_t *pool)
{
    op->reader = pool != op->run->pools->writer ? pool : NULL;
    op->query = gp_pool_query_prepared(pool, op->plan->statement, op->run_sql, op->plan->params.count,
                                       op->plan->params.values, /* read_only= */ true, on_result, op);
    watch_client(op);
}

static void op_run(op_t *op, const gp_operation_input_t *in)
{
    gp_run_t *run = op->run;
    op->arena = gp_arena_new(OP_ARENA_CHUNK);
    gp_arena_set_limit(op->arena, run->in.max_memory);
    op->variables = in->variables != NULL ? json_incref(in->variables) : NULL;
    if (in->problem != NULL) {
        op_fail(op, GP_RUN_NOT_RUN, 400, "BAD_REQUEST", in->problem);
        return;
    }

    /* NUL-terminated copies: the body buffer is not terminated, and the plan may
     * point into the document. */
    const char *query = gp_arena_strndup(op->arena, in->query, in->query_len);
    const char *name = in->operation_name != NULL ? gp_arena_strdup(op->arena, in->operation_name) : NULL;
    gp_errors_t errs;
    gp_errors_init(&errs, op->arena, query);
    gp_plan_target_t on = {run->snapshot->schema, run->snapshot->version, run->snapshot->answers};
    gp_plan_t *plan = gp_plan_cache_resolve(run->plans, &on, op->arena, query, in->query_len, name, op->variables, &errs);
    if (gp_arena_over_limit(op->arena)) { /* whatever else went wrong, this is why */
        op_fail(op, GP_RUN_NOT_RUN, 400, "QUERY_TOO_COMPLEX",
                "the operation needs more memory than the server gives one request (--max-request-memory)");
        return;
    }
    if (plan == NULL) {
        if (errs.count == 0)
            gp_errors_add(&errs, GP_E_INTERNAL, -1, "the operation could not be planned");
        reply_errors(op, &errs, /* data_null= */ false);
        return;
    }
    if (!run->in.batch)
        run->kind = plan->is_subscription ? GP_OP_KIND_SUBSCRIPTION
                    : plan->is_mutation   ? GP_OP_KIND_MUTATION
                                          : GP_OP_KIND_QUERY;
    if (run->in.queries_only && plan->is_mutation) {
        op_fail(op, GP_RUN_MUTATION_REFUSED, 405, "BAD_REQUEST", "mutations are only accepted with POST");
        return;
    }
    if (plan->is_subscription) {
        op_fail(op, GP_RUN_NOT_RUN, 400, "BAD_REQUEST", GP_RUN_SUBSCRIPTION_REFUSAL);
        return;
    }
    if (plan->answer != NULL) {
        reply_answer(op, plan->answer);
        return;
    }
    op->sql = run->in.dev ? plan->sql : NULL;
    op->plan = plan;
    op->run_sql = sized_sql(op->arena, plan->sql, run->in.max_response - DATA_WRAP_LEN);
    if (!plan->is_mutation) {
        run_read(op, gp_pools_read(run->pools));
        return;
    }
    if (plan->nwrites > 0)
        op->query = run_transaction(op, plan, op->run_sql);
    else /* a mutation that writes nothing itself still belongs to the writer */
        op->query = gp_pool_query_prepared(run->pools->writer, plan->statement, op->run_sql, plan->params.count,
                                           plan->params.values, /* read_only= */ false, on_result, op);
    watch_client(op);
}

/* Starts the elements still to run, one at a time: each starts when the one before
 * has answered. An element answered at once (a planning error, introspection) lets
 * the loop go on instead of recursing. */
static void batch_next(gp_run_t *b)
{
    if (b->running)
        return;
    b->running = true;
    while (!b->done && b->next < b->in.count) {
        size_t i = b->next++;
        if (b->op[i].in.problem != NULL)
            continue; /* failed already */
        size_t pending = b->pending;
        op_run(&b->op[i], &b->op[i].in);
        if (b->pending == pending && !b->done)
            break; /* its statement runs: batch_put goes on when it answers */
    }
    b->running = false;
}

/* A batch element's input, kept in the run's arena until its turn comes. */
static gp_operation_input_t input_copy(gp_run_t *run, const gp_operation_input_t *in)
{
    gp_operation_input_t c = {NULL, 0, NULL, NULL, NULL};
    if (in->problem != NULL) {
        c.problem = gp_arena_strdup(run->out, in->problem);
        return c;
    }
    c.query = gp_arena_strndup(run->out, in->query, in->query_len);
    c.query_len = in->query_len;
    c.operation_name = in->operation_name != NULL ? gp_arena_strdup(run->out, in->operation_name) : NULL;
    c.variables = in->variables != NULL ? json_incref(in->variables) : NULL;
    return c;
}

static void batch_start(gp_run_t *b, const gp_operation_input_t *ops)
{
    b->replies = gp_arena_calloc(b->out, sizeof *b->replies * b->in.count);
    b->bytes = 2 + (b->in.count - 1); /* brackets and commas */
    b->pending = b->in.count;
    for (size_t i = 0; i < b->in.count; i++)
        b->op[i].in = input_copy(b, &ops[i]);
    for (size_t i = 0; i < b->in.count; i++) {
        if (b->op[i].in.problem != NULL) {
            gp_run_piece_t body = error_body(b, "BAD_REQUEST", b->op[i].in.problem);
            batch_put(b, i, body.base, body.len);
        }
    }
    batch_next(b);
}

gp_run_t *gp_run_start(const gp_pools_t *pools, gp_plan_cache_t *plans, gp_snapshot_t *snapshot, const gp_run_input_t *in,
                       gp_run_cb cb, void *data)
{
    gp_run_t *run = calloc(1, sizeof *run);
    if (run == NULL)
        abort();
    run->pools = pools;
    run->plans = plans;
    run->snapshot = gp_snapshot_ref(snapshot);
    run->cb = cb;
    run->data = data;
    run->in = *in;
    run->in.ops = NULL;
    run->kind = in->batch ? GP_OP_KIND_BATCH : GP_OP_KIND_UNKNOWN;
    run->out = gp_arena_new(OUT_ARENA_CHUNK);
    run->op = gp_arena_calloc(run->out, sizeof *run->op * in->count);
    for (size_t i = 0; i < in->count; i++) {
        run->op[i].run = run;
        run->op[i].index = i;
    }
    if (in->batch)
        batch_start(run, in->ops);
    else
        op_run(&run->op[0], &in->ops[0]);
    return run;
}

void gp_run_free(gp_run_t *run)
{
    for (size_t i = 0; i < run->in.count; i++) {
        op_t *op = &run->op[i];
        if (op->query != NULL) /* the client left before the database answered */
            gp_pool_query_forget(op->query);
        json_decref(op->variables);
        if (run->in.batch)
            json_decref(op->in.variables);
        if (op->arena != NULL)
            gp_arena_free(op->arena);
    }
    gp_arena_free(run->out);
    gp_snapshot_unref(run->snapshot);
    free(run);
}
