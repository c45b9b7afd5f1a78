/* server/pool.c — non-blocking libpq connections in one worker's h2o event loop.
 *
 * Each connection runs in pipeline mode. Queries submitted during one loop turn are
 * queued on a connection and sent together by a zero timeout, followed by ONE
 * PQpipelineSync, so one write carries many requests. Every connection keeps a FIFO
 * of what it sent (queries and sync markers) to match the results libpq returns:
 * a query yields its result(s) and then NULL; a sync yields one PGRES_PIPELINE_SYNC;
 * after an error, the rest of the sync segment yields PGRES_PIPELINE_ABORTED (those
 * statements never ran, so they are sent again). A statement that may write runs in a
 * segment of its own, so it never shares an implicit transaction, and it is never sent
 * twice once it may have run.
 *
 * A connection's state is the list it is on (connecting, idle, busy, backoff, closed),
 * changed only by conn_set_state(). Queries that find no usable connection wait in the
 * pool's acquire queue, each linked to an h2o_timeout_t of acquire_timeout_ms. A broken
 * connection reconnects at once, then every second; an h2o timer bounds each connect
 * attempt because PQconnectPoll ignores connect_timeout.
 *
 * Memory: a query is one malloc block (struct, SQL and parameters), freed after its
 * callback returns or, when forgotten, when its result is discarded. Connections are
 * freed from the pool's own zero-timeout tick, never inside their socket callbacks. */
#include "pool.h"

#include <assert.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "base/log.h"
#include "pgerror.h"

#define GP_POOL_CONNECT_TIMEOUT_MS 5000 /* libpq ignores connect_timeout in PQconnectPoll */
#define GP_POOL_RETRY_MS 1000           /* backoff after the immediate first reconnect */
#define GP_POOL_MAX_ATTEMPTS 10         /* a read-only query is sent at most this often */

typedef enum {
    CONN_CONNECTING,
    CONN_IDLE,
    CONN_BUSY,
    CONN_BACKOFF, /* broken or failed to connect; its timer starts the next attempt */
    CONN_CLOSED,  /* torn down for good; freed by the next pool tick */
    CONN_NSTATES,
    CONN_NEW, /* only before the first conn_set_state: on no list */
} conn_state_t;

#define GP_POOL_PREPARED_SLOTS 512
#define SLOT_EMPTY 0
#define SLOT_DELETED 1

static const char *const state_names[] = {"connecting", "idle", "busy", "backoff", "closed"};

typedef enum {
    Q_WAITING,  /* in the pool's acquire queue, acquire timer running */
    Q_REJECTED, /* submitted during shutdown; failed by the next tick */
    Q_PENDING,  /* on a connection, not sent yet */
    Q_SENT,     /* in a connection's FIFO */
    Q_DONE,     /* its callback is running */
} query_state_t;

typedef struct gp_conn gp_conn_t;

struct gp_query {
    gp_pool_t *pool;
    gp_conn_t *conn;          /* while PENDING or SENT */
    h2o_linklist_t link;      /* acquire queue, rejected list or conn->pending */
    h2o_timeout_entry_t wait; /* acquire timeout while WAITING */
    query_state_t state;
    bool read_only;
    bool forgotten;
    int attempts;
    uint64_t statement;       /* nonzero: run as the named prepared statement gp_<hex> */
    bool awaiting_prepare;    /* its Parse was sent just before it: that result comes first */
    PGresult *res; /* first result while the query's results are being read */
    gp_query_cb cb;
    void *data;
    const char *sql;
    int nparams;
    const char **values;
};

struct gp_conn {
    gp_pool_t *pool;
    unsigned id;
    conn_state_t state;
    h2o_linklist_t link;       /* on pool->lists[state] */
    PGconn *pg;
    h2o_socket_t *sock;        /* watches a dup of PQsocket(pg); re-created after each connect step */
    PostgresPollingStatusType poll;
    h2o_timeout_entry_t timer; /* connect timeout or reconnect backoff */
    h2o_timeout_entry_t batch; /* zero timeout: send what was queued this loop turn */
    h2o_linklist_t pending;    /* queries not sent yet */
    int load;                  /* queries pending or in flight */
    int unsynced;              /* statements sent since the last sync */
    int failures;              /* consecutive failed attempts or breaks */
    bool was_connected;        /* counts reconnects */
    gp_query_t **fifo;         /* ring of what was sent: a query, or NULL for a sync */
    size_t fifo_cap, fifo_head, fifo_len;
    /* Statements prepared on this backend: open addressing, 0 empty, 1 deleted. Only
     * half the slots are ever used; past that, statements go unnamed. */
    uint64_t prepared[GP_POOL_PREPARED_SLOTS];
    int nprepared;
};

struct gp_pool {
    h2o_loop_t *loop;
    gp_pool_config_t cf;
    h2o_linklist_t lists[CONN_NSTATES];
    int counts[CONN_NSTATES];
    h2o_linklist_t waiting; /* acquire queue, oldest first */
    int nwaiting;
    h2o_linklist_t rejected;
    h2o_timeout_t zero, retry, connect, acquire;
    h2o_timeout_entry_t tick; /* zero timeout: reject, free closed conns, shutdown steps */
    unsigned next_id;
    bool ever_connected;
    bool shutting_down;
    void (*done)(void *data);
    void *done_data;
    gp_pool_stats_t stats;
};

static void conn_fail(gp_conn_t *c, const char *reason);
static void conn_connect(gp_conn_t *c);
static void query_dispatch(gp_query_t *q, bool front);
static void pool_schedule_tick(gp_pool_t *p);

/* ---- queries ---------------------------------------------------------------- */

static gp_query_t *query_new(gp_pool_t *p, const char *sql, int nparams, const char *const *values)
{
    size_t n = sizeof(gp_query_t) + (size_t)nparams * sizeof(char *) + strlen(sql) + 1;
    for (int i = 0; i < nparams; i++)
        if (values[i] != NULL)
            n += strlen(values[i]) + 1;
    gp_query_t *q = calloc(1, n);
    if (q == NULL)
        abort();
    q->pool = p;
    q->values = (const char **)(q + 1);
    char *s = (char *)(q->values + nparams);
    for (int i = 0; i < nparams; i++) {
        if (values[i] == NULL)
            continue;
        size_t len = strlen(values[i]) + 1;
        q->values[i] = memcpy(s, values[i], len);
        s += len;
    }
    q->sql = strcpy(s, sql);
    q->nparams = nparams;
    return q;
}

/* Hands the outcome to the callback unless the caller forgot the query, then frees it.
 * Takes ownership of nothing in `r`: the caller clears its PGresult afterwards. */
static void query_complete(gp_query_t *q, const gp_query_result_t *r)
{
    gp_pool_t *p = q->pool;
    if (r->error != NULL)
        p->stats.errors++;
    if (!q->forgotten && q->cb != NULL) {
        q->state = Q_DONE;
        q->cb(q->data, r);
    }
    free(q);
}

static void query_fail(gp_query_t *q, const char *msg, bool unavailable)
{
    gp_query_result_t r = {.error = msg, .unavailable = unavailable};
    query_complete(q, &r);
}

static void query_unwait(gp_query_t *q)
{
    assert(q->state == Q_WAITING);
    h2o_linklist_unlink(&q->link);
    if (h2o_timeout_is_linked(&q->wait)) /* h2o unlinks it before calling on_acquire_timeout */
        h2o_timeout_unlink(&q->wait);
    q->pool->nwaiting--;
}

static void on_acquire_timeout(h2o_timeout_entry_t *e)
{
    gp_query_t *q = H2O_STRUCT_FROM_MEMBER(gp_query_t, wait, e);
    gp_pool_t *p = q->pool;
    char msg[96];
    query_unwait(q);
    p->stats.acquire_timeouts++;
    snprintf(msg, sizeof msg, "no database connection available within %d ms", p->cf.acquire_timeout_ms);
    query_fail(q, msg, /* unavailable= */ true);
}

/* The statement did not run, or ran read-only: send it again elsewhere. Only
 * failures of the connection count as attempts: a statement aborted because a
 * neighbour in its pipeline failed goes to the front of the queue, so it cannot
 * be aborted forever, and counting those made busy pipelines fail good requests. */
static void query_retry(gp_query_t *q, bool counts_as_attempt)
{
    if (q->res != NULL) {
        PQclear(q->res);
        q->res = NULL;
    }
    q->conn = NULL;
    if (q->forgotten) {
        free(q);
        return;
    }
    q->pool->stats.retries++;
    if (counts_as_attempt && ++q->attempts >= GP_POOL_MAX_ATTEMPTS) {
        query_fail(q, "the database connection failed repeatedly", /* unavailable= */ true);
        return;
    }
    query_dispatch(q, /* front= */ true);
}

/* Turns the statement's result into the callback's one cell or one error. */
static void query_finish(gp_query_t *q, bool conn_bad)
{
    PGresult *res = q->res;
    q->res = NULL;
    ExecStatusType st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    const char *sqlstate = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (st == PGRES_PIPELINE_ABORTED ||
        (st == PGRES_FATAL_ERROR && q->read_only && (gp_pgerror_retryable(sqlstate) || conn_bad))) {
        PQclear(res);
        query_retry(q, /* counts_as_attempt= */ st != PGRES_PIPELINE_ABORTED);
        return;
    }
    gp_query_result_t r = {0};
    if (st == PGRES_TUPLES_OK && PQntuples(res) == 1 && PQnfields(res) == 1) {
        r.cell = PQgetvalue(res, 0, 0);
        r.cell_len = (size_t)PQgetlength(res, 0, 0);
    } else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        r.error = "expected one row with one column";
    } else {
        r.sqlstate = sqlstate;
        r.error = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        if (r.error == NULL)
            r.error = res != NULL && *PQresultErrorMessage(res) ? PQresultErrorMessage(res) : "database error";
        r.unavailable = gp_pgerror_kind(sqlstate) == GP_E_UNAVAILABLE;
    }
    query_complete(q, &r);
    PQclear(res);
}

/* ---- connection states -------------------------------------------------------- */

/* The only place a connection changes state. Idle is LIFO so warm connections are
 * reused first; the other lists keep arrival order. */
static void conn_set_state(gp_conn_t *c, conn_state_t to)
{
    gp_pool_t *p = c->pool;
    assert(c->state != to);
    if (c->state != CONN_NEW) {
        h2o_linklist_unlink(&c->link);
        p->counts[c->state]--;
    }
    gp_debug("pool", "conn %u: %s -> %s", c->id, c->state == CONN_NEW ? "new" : state_names[c->state],
             state_names[to]);
    c->state = to;
    h2o_linklist_insert(to == CONN_IDLE ? p->lists[to].next : &p->lists[to], &c->link);
    p->counts[to]++;
}

static bool conn_ready(const gp_conn_t *c)
{
    return c->state == CONN_IDLE || c->state == CONN_BUSY;
}

/* Idle when nothing is queued or outstanding, busy otherwise. */
static void conn_update_load_state(gp_conn_t *c)
{
    if (!conn_ready(c))
        return;
    conn_state_t want = c->load > 0 || c->fifo_len > 0 ? CONN_BUSY : CONN_IDLE;
    if (c->state != want)
        conn_set_state(c, want);
    if (want == CONN_IDLE && c->pool->shutting_down)
        pool_schedule_tick(c->pool);
}

static int pool_nconns(const gp_pool_t *p)
{
    return p->counts[CONN_CONNECTING] + p->counts[CONN_IDLE] + p->counts[CONN_BUSY] + p->counts[CONN_BACKOFF];
}

/* libpq's messages span lines; a log line must not. */
static void log_reason(gp_conn_t *c, const char *what, const char *reason)
{
    char line[512];
    size_t n = 0;
    for (const char *s = reason; *s != '\0' && n < sizeof line - 1; s++) {
        bool space = *s == '\n' || *s == '\t' || *s == ' ';
        if (!space)
            line[n++] = *s;
        else if (n > 0 && line[n - 1] != ' ')
            line[n++] = ' ';
    }
    while (n > 0 && line[n - 1] == ' ')
        n--;
    line[n] = '\0';
    gp_warn("pool", "conn %u: %s: %s", c->id, what, line);
}

/* ---- prepared statements -------------------------------------------------------- */

static size_t prepared_slot(const gp_conn_t *c, uint64_t id, bool for_insert)
{
    size_t mask = GP_POOL_PREPARED_SLOTS - 1;
    for (size_t i = id & mask;; i = (i + 1) & mask) {
        if (c->prepared[i] == id || c->prepared[i] == SLOT_EMPTY || (for_insert && c->prepared[i] == SLOT_DELETED))
            return i;
    }
}

static bool prepared_has(const gp_conn_t *c, uint64_t id)
{
    return c->prepared[prepared_slot(c, id, false)] == id;
}

/* Remembers `id` as prepared; false when the table is full (send it unnamed). */
static bool prepared_add(gp_conn_t *c, uint64_t id)
{
    if (c->nprepared >= GP_POOL_PREPARED_SLOTS / 2)
        return false;
    c->prepared[prepared_slot(c, id, true)] = id;
    c->nprepared++;
    return true;
}

static void prepared_remove(gp_conn_t *c, uint64_t id)
{
    size_t i = prepared_slot(c, id, false);
    if (c->prepared[i] == id) {
        c->prepared[i] = SLOT_DELETED; /* a tombstone keeps later probes reaching their slots */
        c->nprepared--;
    }
}

static void statement_name(char *buf, size_t size, uint64_t id)
{
    snprintf(buf, size, "gp_%016llx", (unsigned long long)id);
}

/* Sends q as its named statement, preparing it first on this backend if needed.
 * Both go into the same pipeline segment, so the Parse always precedes its Bind. */
static bool conn_send_prepared(gp_conn_t *c, gp_query_t *q)
{
    char name[24];
    statement_name(name, sizeof name, q->statement);
    q->awaiting_prepare = false;
    if (!prepared_has(c, q->statement)) {
        if (!prepared_add(c, q->statement))
            return PQsendQueryParams(c->pg, q->sql, q->nparams, NULL, q->values, NULL, NULL, 0);
        if (!PQsendPrepare(c->pg, name, q->sql, q->nparams, NULL))
            return false;
        q->awaiting_prepare = true;
    }
    return PQsendQueryPrepared(c->pg, name, q->nparams, q->values, NULL, NULL, 0);
}

/* ---- the FIFO of what was sent ------------------------------------------------ */

static void fifo_push(gp_conn_t *c, gp_query_t *q)
{
    if (c->fifo_len == c->fifo_cap) {
        size_t cap = c->fifo_cap ? c->fifo_cap * 2 : 64;
        gp_query_t **a = malloc(cap * sizeof *a);
        if (a == NULL)
            abort();
        for (size_t i = 0; i < c->fifo_len; i++)
            a[i] = c->fifo[(c->fifo_head + i) % c->fifo_cap];
        free(c->fifo);
        c->fifo = a;
        c->fifo_cap = cap;
        c->fifo_head = 0;
    }
    c->fifo[(c->fifo_head + c->fifo_len++) % c->fifo_cap] = q;
}

static gp_query_t *fifo_peek(const gp_conn_t *c)
{
    return c->fifo[c->fifo_head];
}

static gp_query_t *fifo_pop(gp_conn_t *c)
{
    gp_query_t *q = c->fifo[c->fifo_head];
    c->fifo_head = (c->fifo_head + 1) % c->fifo_cap;
    c->fifo_len--;
    return q;
}

/* ---- socket watcher ------------------------------------------------------------ */

static void conn_unwatch(gp_conn_t *c)
{
    if (c->sock != NULL) {
        h2o_socket_close(c->sock);
        c->sock = NULL;
    }
}

/* libpq may open a new socket (even with the same number) at any connect step, so the
 * watcher is always a fresh dup: h2o owns and closes the dup, libpq keeps its fd. */
static bool conn_watch(gp_conn_t *c)
{
    conn_unwatch(c);
    int fd = PQsocket(c->pg) < 0 ? -1 : fcntl(PQsocket(c->pg), F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return false;
    c->sock = h2o_evloop_socket_create(c->pool->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    c->sock->data = c;
    return true;
}

/* ---- teardown ------------------------------------------------------------------ */

/* Releases the socket and the PGconn and hands back every query the connection held:
 * unsent ones and sent read-only ones go elsewhere, sent writes fail. */
static void conn_teardown(gp_conn_t *c, conn_state_t to)
{
    h2o_linklist_t pending;
    gp_query_t **fifo = c->fifo;
    size_t head = c->fifo_head, len = c->fifo_len, cap = c->fifo_cap;

    conn_unwatch(c);
    if (c->pg != NULL) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    if (h2o_timeout_is_linked(&c->timer))
        h2o_timeout_unlink(&c->timer);
    if (h2o_timeout_is_linked(&c->batch))
        h2o_timeout_unlink(&c->batch);
    h2o_linklist_init_anchor(&pending);
    h2o_linklist_insert_list(&pending, &c->pending);
    c->fifo = NULL;
    c->fifo_head = c->fifo_len = c->fifo_cap = 0;
    c->load = c->unsynced = 0;
    conn_set_state(c, to);

    while (!h2o_linklist_is_empty(&pending)) {
        gp_query_t *q = H2O_STRUCT_FROM_MEMBER(gp_query_t, link, pending.next);
        h2o_linklist_unlink(&q->link);
        q->conn = NULL;
        if (q->forgotten)
            free(q);
        else
            query_dispatch(q, /* front= */ true);
    }
    for (size_t i = 0; i < len; i++) {
        gp_query_t *q = fifo[(head + i) % cap];
        if (q == NULL)
            continue;
        if (q->read_only || q->forgotten) {
            query_retry(q, /* counts_as_attempt= */ true); /* frees a forgotten one */
        } else {
            if (q->res != NULL)
                PQclear(q->res);
            query_fail(q, "the database connection was lost; the statement may or may not have run",
                       /* unavailable= */ false);
        }
    }
    free(fifo);
}

/* The connection broke or could not connect: reconnect at once the first time, then
 * after GP_POOL_RETRY_MS. */
static void conn_fail(gp_conn_t *c, const char *reason)
{
    gp_pool_t *p = c->pool;
    log_reason(c, c->state == CONN_CONNECTING ? "connect failed" : "broken", reason);
    conn_teardown(c, CONN_BACKOFF);
    c->failures++;
    h2o_timeout_link(p->loop, c->failures == 1 ? &p->zero : &p->retry, &c->timer);
}

/* Closes for good; the struct is freed by the next pool tick. */
static void conn_close(gp_conn_t *c, const char *reason)
{
    gp_info("pool", "conn %u: closed: %s", c->id, reason);
    conn_teardown(c, CONN_CLOSED);
    pool_schedule_tick(c->pool);
}

static void conn_free(gp_conn_t *c)
{
    assert(c->state == CONN_CLOSED && c->pg == NULL && c->sock == NULL);
    h2o_linklist_unlink(&c->link);
    c->pool->counts[CONN_CLOSED]--;
    free(c);
}

/* ---- sending ------------------------------------------------------------------- */

static void on_writable(h2o_socket_t *sock, const char *err);

/* Returns false if the connection broke (and is no longer usable). */
static bool conn_flush(gp_conn_t *c)
{
    int r = PQflush(c->pg);
    if (r < 0) {
        conn_fail(c, PQerrorMessage(c->pg));
        return false;
    }
    if (r == 1 && !h2o_socket_is_writing(c->sock))
        h2o_socket_notify_write(c->sock, on_writable);
    return true;
}

static void on_writable(h2o_socket_t *sock, const char *err)
{
    gp_conn_t *c = sock->data;
    if (err != NULL) {
        conn_fail(c, err);
        return;
    }
    conn_flush(c);
}

static bool conn_sync(gp_conn_t *c)
{
    if (!PQpipelineSync(c->pg)) {
        conn_fail(c, PQerrorMessage(c->pg));
        return false;
    }
    fifo_push(c, NULL);
    c->unsynced = 0;
    return true;
}

/* Sends everything queued during this loop turn, then one sync. A statement that may
 * write gets a sync before and after it: a segment of its own. */
static void conn_send_batch(gp_conn_t *c)
{
    while (!h2o_linklist_is_empty(&c->pending)) {
        gp_query_t *q = H2O_STRUCT_FROM_MEMBER(gp_query_t, link, c->pending.next);
        if (q->forgotten) {
            h2o_linklist_unlink(&q->link);
            c->load--;
            free(q);
            continue;
        }
        if (!q->read_only && c->unsynced > 0 && !conn_sync(c))
            return;
        bool sent = q->statement != 0 ? conn_send_prepared(c, q)
                                      : PQsendQueryParams(c->pg, q->sql, q->nparams, NULL, q->values, NULL, NULL, 0);
        if (!sent) {
            conn_fail(c, PQerrorMessage(c->pg)); /* q is still pending: it is re-dispatched */
            return;
        }
        /* Without it PostgreSQL holds every result of the segment until the Sync,
         * so a quick statement waits for the slowest one batched with it. */
        if (!PQsendFlushRequest(c->pg)) {
            conn_fail(c, PQerrorMessage(c->pg));
            return;
        }
        h2o_linklist_unlink(&q->link);
        q->state = Q_SENT;
        fifo_push(c, q);
        c->unsynced++;
        if (!q->read_only && !conn_sync(c))
            return;
    }
    if (c->unsynced > 0 && !conn_sync(c))
        return;
    if (conn_flush(c))
        conn_update_load_state(c);
}

static void on_batch(h2o_timeout_entry_t *e)
{
    conn_send_batch(H2O_STRUCT_FROM_MEMBER(gp_conn_t, batch, e));
}

static void conn_enqueue(gp_conn_t *c, gp_query_t *q)
{
    q->state = Q_PENDING;
    q->conn = c;
    h2o_linklist_insert(&c->pending, &q->link);
    c->load++;
    conn_update_load_state(c);
    if (!h2o_timeout_is_linked(&c->batch))
        h2o_timeout_link(c->pool->loop, &c->pool->zero, &c->batch);
}

/* ---- reading ------------------------------------------------------------------- */

/* Reads every result libpq has complete and matches it to the FIFO. Returns false if
 * the connection broke. Callbacks run from here may submit or forget queries; neither
 * touches this connection's FIFO or frees it. */
static bool conn_read_results(gp_conn_t *c)
{
    while (c->fifo_len > 0 && !PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        gp_query_t *q = fifo_peek(c);
        if (q == NULL) {
            ExecStatusType st = r != NULL ? PQresultStatus(r) : PGRES_EMPTY_QUERY;
            PQclear(r);
            if (st != PGRES_PIPELINE_SYNC) {
                conn_fail(c, PQstatus(c->pg) == CONNECTION_BAD ? PQerrorMessage(c->pg)
                                                               : "pipeline out of step: expected a sync");
                return false;
            }
            fifo_pop(c);
            continue;
        }
        if (q->awaiting_prepare) {
            /* The Parse's own result. A failed one stands in for the statement's result,
             * which can then only be "aborted": its error is what the caller must see. */
            if (r == NULL) {
                q->awaiting_prepare = false;
            } else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                prepared_remove(c, q->statement);
                if (q->res == NULL)
                    q->res = r;
                else
                    PQclear(r);
            } else {
                PQclear(r);
            }
            continue;
        }
        if (r != NULL) {
            if (q->res == NULL)
                q->res = r;
            else
                PQclear(r); /* only the first result counts; one statement makes one */
            continue;
        }
        fifo_pop(c);
        c->load--;
        query_finish(q, PQstatus(c->pg) == CONNECTION_BAD);
    }
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        conn_fail(c, PQerrorMessage(c->pg));
        return false;
    }
    conn_update_load_state(c);
    return true;
}

static gp_conn_t *pool_pick(gp_pool_t *p);

/* Gives waiting queries to connections that have room. */
static void pool_drain_waiting(gp_pool_t *p)
{
    gp_conn_t *c;
    while (!h2o_linklist_is_empty(&p->waiting) && (c = pool_pick(p)) != NULL) {
        gp_query_t *q = H2O_STRUCT_FROM_MEMBER(gp_query_t, link, p->waiting.next);
        query_unwait(q);
        conn_enqueue(c, q);
    }
}

static void on_readable(h2o_socket_t *sock, const char *err)
{
    gp_conn_t *c = sock->data;
    if (err != NULL) {
        conn_fail(c, err);
        return;
    }
    if (!PQconsumeInput(c->pg)) {
        conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
    if (h2o_socket_is_writing(sock) && !conn_flush(c))
        return;
    PGnotify *n;
    while ((n = PQnotifies(c->pg)) != NULL)
        PQfreemem(n);
    if (conn_read_results(c))
        pool_drain_waiting(c->pool);
}

/* ---- connecting ---------------------------------------------------------------- */

static void on_notice(void *arg, const char *msg)
{
    gp_conn_t *c = arg;
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        n--;
    gp_debug("pool", "conn %u: notice: %.*s", c->id, (int)n, msg);
}

static void on_connected(gp_conn_t *c)
{
    gp_pool_t *p = c->pool;
    if (h2o_timeout_is_linked(&c->timer))
        h2o_timeout_unlink(&c->timer);
    memset(c->prepared, 0, sizeof c->prepared); /* a new backend has no statements */
    c->nprepared = 0;
    if (PQsetnonblocking(c->pg, 1) != 0 || !PQenterPipelineMode(c->pg)) {
        conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
    if (!conn_watch(c)) {
        conn_fail(c, "could not watch the connection's socket");
        return;
    }
    h2o_socket_read_start(c->sock, on_readable);
    if (c->was_connected)
        p->stats.reconnects++;
    c->was_connected = true;
    c->failures = 0;
    p->ever_connected = true;
    gp_info("pool", "conn %u: connected (backend pid %d)", c->id, PQbackendPID(c->pg));
    conn_set_state(c, CONN_IDLE);
    if (p->shutting_down)
        pool_schedule_tick(p);
    else
        pool_drain_waiting(p);
}

static void on_connect_io(h2o_socket_t *sock, const char *err);

/* Waits for what PQconnectPoll asked for, on a fresh watcher. */
static void conn_arm_connect(gp_conn_t *c)
{
    if (!conn_watch(c)) {
        conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
    if (c->poll == PGRES_POLLING_READING)
        h2o_socket_read_start(c->sock, on_connect_io);
    else
        h2o_socket_notify_write(c->sock, on_connect_io);
}

static void on_connect_io(h2o_socket_t *sock, const char *err)
{
    gp_conn_t *c = sock->data;
    c->poll = PQconnectPoll(c->pg);
    switch (c->poll) {
    case PGRES_POLLING_OK:
        on_connected(c);
        break;
    case PGRES_POLLING_FAILED:
        conn_fail(c, PQerrorMessage(c->pg));
        break;
    default:
        conn_arm_connect(c);
        break;
    }
}

static void conn_connect(gp_conn_t *c)
{
    gp_pool_t *p = c->pool;
    if (c->state != CONN_CONNECTING)
        conn_set_state(c, CONN_CONNECTING);
    h2o_timeout_link(p->loop, &p->connect, &c->timer);
    c->pg = PQconnectStartParams(p->cf.conn_keywords, p->cf.conn_values, 1);
    if (c->pg == NULL) {
        conn_fail(c, "out of memory");
        return;
    }
    PQsetNoticeProcessor(c->pg, on_notice, c);
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
    c->poll = PGRES_POLLING_WRITING; /* libpq: the first wait is for writing */
    conn_arm_connect(c);
}

/* Connect timeout while connecting; end of backoff otherwise. */
static void on_conn_timer(h2o_timeout_entry_t *e)
{
    gp_conn_t *c = H2O_STRUCT_FROM_MEMBER(gp_conn_t, timer, e);
    gp_pool_t *p = c->pool;
    if (c->state == CONN_CONNECTING) {
        conn_fail(c, "connect timed out");
        return;
    }
    assert(c->state == CONN_BACKOFF);
    if (p->shutting_down)
        conn_close(c, "shutdown");
    else if (pool_nconns(p) > p->cf.min_size && p->nwaiting == 0)
        conn_close(c, "not needed after a failure");
    else
        conn_connect(c);
}

static void pool_open_conn(gp_pool_t *p)
{
    gp_conn_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        abort();
    c->pool = p;
    c->id = ++p->next_id;
    c->state = CONN_NEW;
    c->timer.cb = on_conn_timer;
    c->batch.cb = on_batch;
    h2o_linklist_init_anchor(&c->pending);
    conn_connect(c);
}

/* ---- choosing a connection ---------------------------------------------------- */

/* An idle connection (the warmest), else the least-loaded busy one with room. */
static gp_conn_t *pool_pick(gp_pool_t *p)
{
    if (!h2o_linklist_is_empty(&p->lists[CONN_IDLE]))
        return H2O_STRUCT_FROM_MEMBER(gp_conn_t, link, p->lists[CONN_IDLE].next);
    gp_conn_t *best = NULL;
    for (h2o_linklist_t *l = p->lists[CONN_BUSY].next; l != &p->lists[CONN_BUSY]; l = l->next) {
        gp_conn_t *c = H2O_STRUCT_FROM_MEMBER(gp_conn_t, link, l);
        if (c->load < p->cf.max_in_flight && (best == NULL || c->load < best->load))
            best = c;
    }
    return best;
}

/* Opens connections while waiting queries outnumber what the connecting ones will take. */
static void pool_grow(gp_pool_t *p)
{
    while (pool_nconns(p) < p->cf.max_size &&
           p->nwaiting > (p->counts[CONN_CONNECTING] + p->counts[CONN_BACKOFF]) * p->cf.max_in_flight)
        pool_open_conn(p);
}

static void query_dispatch(gp_query_t *q, bool front)
{
    gp_pool_t *p = q->pool;
    gp_conn_t *c;
    if (p->shutting_down) {
        q->state = Q_REJECTED;
        h2o_linklist_insert(&p->rejected, &q->link);
        pool_schedule_tick(p);
        return;
    }
    if (h2o_linklist_is_empty(&p->waiting) && (c = pool_pick(p)) != NULL) {
        conn_enqueue(c, q);
        return;
    }
    q->state = Q_WAITING;
    h2o_linklist_insert(front ? p->waiting.next : &p->waiting, &q->link);
    h2o_timeout_link(p->loop, &p->acquire, &q->wait);
    p->nwaiting++;
    pool_grow(p);
}

/* ---- pool tick: deferred work that must not run inside someone's callback ------ */

static void on_tick(h2o_timeout_entry_t *e)
{
    gp_pool_t *p = H2O_STRUCT_FROM_MEMBER(gp_pool_t, tick, e);
    while (!h2o_linklist_is_empty(&p->rejected)) {
        gp_query_t *q = H2O_STRUCT_FROM_MEMBER(gp_query_t, link, p->rejected.next);
        h2o_linklist_unlink(&q->link);
        query_fail(q, "the database pool is shutting down", /* unavailable= */ true);
    }
    if (p->shutting_down) {
        while (!h2o_linklist_is_empty(&p->waiting)) {
            gp_query_t *q = H2O_STRUCT_FROM_MEMBER(gp_query_t, link, p->waiting.next);
            query_unwait(q);
            query_fail(q, "the database pool is shutting down", /* unavailable= */ true);
        }
        static const conn_state_t closable[] = {CONN_CONNECTING, CONN_BACKOFF, CONN_IDLE};
        for (size_t i = 0; i < sizeof closable / sizeof *closable; i++)
            while (!h2o_linklist_is_empty(&p->lists[closable[i]]))
                conn_close(H2O_STRUCT_FROM_MEMBER(gp_conn_t, link, p->lists[closable[i]].next), "shutdown");
    }
    while (!h2o_linklist_is_empty(&p->lists[CONN_CLOSED]))
        conn_free(H2O_STRUCT_FROM_MEMBER(gp_conn_t, link, p->lists[CONN_CLOSED].next));
    if (p->shutting_down && p->done != NULL && pool_nconns(p) == 0 && h2o_linklist_is_empty(&p->rejected)) {
        void (*done)(void *) = p->done;
        p->done = NULL;
        gp_info("pool", "shut down");
        done(p->done_data);
    }
}

static void pool_schedule_tick(gp_pool_t *p)
{
    if (!h2o_timeout_is_linked(&p->tick))
        h2o_timeout_link(p->loop, &p->zero, &p->tick);
}

/* ---- public API ------------------------------------------------------------------ */

gp_pool_t *gp_pool_create(h2o_loop_t *loop, const gp_pool_config_t *cf)
{
    gp_pool_t *p = calloc(1, sizeof *p);
    if (p == NULL)
        abort();
    p->loop = loop;
    p->cf = *cf;
    if (p->cf.max_size < 1)
        p->cf.max_size = 1;
    if (p->cf.min_size > p->cf.max_size)
        p->cf.min_size = p->cf.max_size;
    if (p->cf.max_in_flight < 1)
        p->cf.max_in_flight = 1;
    if (p->cf.acquire_timeout_ms < 1)
        p->cf.acquire_timeout_ms = 1;
    for (int i = 0; i < CONN_NSTATES; i++)
        h2o_linklist_init_anchor(&p->lists[i]);
    h2o_linklist_init_anchor(&p->waiting);
    h2o_linklist_init_anchor(&p->rejected);
    h2o_timeout_init(loop, &p->zero, 0);
    h2o_timeout_init(loop, &p->retry, GP_POOL_RETRY_MS);
    h2o_timeout_init(loop, &p->connect, GP_POOL_CONNECT_TIMEOUT_MS);
    h2o_timeout_init(loop, &p->acquire, (uint64_t)p->cf.acquire_timeout_ms);
    p->tick.cb = on_tick;
    for (int i = 0; i < p->cf.min_size; i++)
        pool_open_conn(p);
    return p;
}

gp_query_t *gp_pool_query(gp_pool_t *p, const char *sql, int nparams, const char *const *values,
                          bool read_only, gp_query_cb cb, void *data)
{
    return gp_pool_query_prepared(p, 0, sql, nparams, values, read_only, cb, data);
}

gp_query_t *gp_pool_query_prepared(gp_pool_t *p, uint64_t statement, const char *sql, int nparams,
                                   const char *const *values, bool read_only, gp_query_cb cb, void *data)
{
    gp_query_t *q = query_new(p, sql, nparams, values);
    q->statement = statement;
    q->read_only = read_only;
    q->cb = cb;
    q->data = data;
    q->wait.cb = on_acquire_timeout;
    p->stats.queries++;
    query_dispatch(q, /* front= */ false);
    return q;
}

void gp_pool_query_forget(gp_query_t *q)
{
    switch (q->state) {
    case Q_DONE:
        return; /* called from its own callback: freed when the callback returns */
    case Q_WAITING:
        query_unwait(q);
        free(q);
        return;
    case Q_REJECTED:
        h2o_linklist_unlink(&q->link);
        free(q);
        return;
    case Q_PENDING:
    case Q_SENT:
        q->forgotten = true; /* the connection drops it when it sends or reads it */
        q->cb = NULL;
        return;
    }
}

void gp_pool_stats(const gp_pool_t *p, gp_pool_stats_t *out)
{
    *out = p->stats;
    out->idle = p->counts[CONN_IDLE];
    out->busy = p->counts[CONN_BUSY];
    out->connecting = p->counts[CONN_CONNECTING] + p->counts[CONN_BACKOFF];
    out->total = pool_nconns(p);
    out->waiting = p->nwaiting;
}

bool gp_pool_is_healthy(const gp_pool_t *p)
{
    return p->ever_connected && p->counts[CONN_IDLE] + p->counts[CONN_BUSY] > 0;
}

void gp_pool_shutdown(gp_pool_t *p, void (*done)(void *data), void *data)
{
    assert(!p->shutting_down);
    p->shutting_down = true;
    p->done = done;
    p->done_data = data;
    pool_schedule_tick(p);
}

static void query_discard(gp_query_t *q)
{
    if (q == NULL)
        return;
    if (q->res != NULL)
        PQclear(q->res);
    free(q);
}

void gp_pool_destroy(gp_pool_t *p)
{
    if (p == NULL)
        return;
    for (int s = 0; s < CONN_NSTATES; s++) {
        while (!h2o_linklist_is_empty(&p->lists[s])) {
            gp_conn_t *c = H2O_STRUCT_FROM_MEMBER(gp_conn_t, link, p->lists[s].next);
            conn_unwatch(c);
            if (c->pg != NULL)
                PQfinish(c->pg);
            if (h2o_timeout_is_linked(&c->timer))
                h2o_timeout_unlink(&c->timer);
            if (h2o_timeout_is_linked(&c->batch))
                h2o_timeout_unlink(&c->batch);
            while (!h2o_linklist_is_empty(&c->pending)) {
                gp_query_t *q = H2O_STRUCT_FROM_MEMBER(gp_query_t, link, c->pending.next);
                h2o_linklist_unlink(&q->link);
                query_discard(q);
            }
            for (size_t i = 0; i < c->fifo_len; i++)
                query_discard(c->fifo[(c->fifo_head + i) % c->fifo_cap]);
            free(c->fifo);
            h2o_linklist_unlink(&c->link);
            free(c);
        }
    }
    h2o_linklist_t *queues[] = {&p->waiting, &p->rejected};
    for (size_t i = 0; i < 2; i++) {
        while (!h2o_linklist_is_empty(queues[i])) {
            gp_query_t *q = H2O_STRUCT_FROM_MEMBER(gp_query_t, link, queues[i]->next);
            h2o_linklist_unlink(&q->link);
            if (h2o_timeout_is_linked(&q->wait))
                h2o_timeout_unlink(&q->wait);
            query_discard(q);
        }
    }
    if (h2o_timeout_is_linked(&p->tick))
        h2o_timeout_unlink(&p->tick);
    h2o_timeout_dispose(p->loop, &p->zero);
    h2o_timeout_dispose(p->loop, &p->retry);
    h2o_timeout_dispose(p->loop, &p->connect);
    h2o_timeout_dispose(p->loop, &p->acquire);
    free(p);
}
