/* db/pool.c — non-blocking libpq connections in one worker's h2o event loop.
 *
 * Each connection runs in pipeline mode, and every statement is followed by its own
 * PQpipelineSync: a segment of one. So every request is its own implicit transaction
 * (two requests never share one, nor each other's SET LOCAL or failures), a failing
 * statement aborts nothing but itself, and statement_timeout counts per statement.
 * libpq 15's PQpipelineSync always flushes, so the statements queued during one loop
 * turn are written with TCP_CORK set: one write() each, one packet for the batch.
 *
 * A transaction (gp_pool_transaction: a mutation's statements) is one query with
 * several statements and one sync after the last: PostgreSQL runs everything before a
 * Sync as one implicit transaction, so a failing statement aborts the rest and rolls
 * back the earlier ones, set_config(…, true) lasts until the sync, and the commit
 * happens at the sync or not at all (a connection lost before it rolls back; a
 * cancel either hits a statement, which aborts the whole, or finds the backend
 * between statements or done and is ignored). It is placed like a write.
 *
 * Which connection gets a statement depends on what it cost last time. The pool keeps
 * a small table of statements keyed by their full SQL (hash, then text compare): the
 * service time of the last run and a pool-unique id that names its prepared statement
 * (`gp_<id>`; a crafted hash collision only evicts, it never shares a name). A read
 * known to be fast (under GP_POOL_FAST_US last time) is pipelined on the least-loaded
 * busy connection while that one is shallow (deeper while what is queued there is
 * quick to run), else on an idle one (pool_pick). Anything else (new, slow last time,
 * or a write) is "exclusive": it goes last on its connection and nothing is pipelined
 * behind it until its result is in, so a slow statement delays nobody; a write takes
 * only an idle connection, since a write cannot be withdrawn once sent. Another
 * connection opens as soon as every open one is exclusive or as deep as the statement
 * may pipeline. The acquire timeout bounds the wait for a connection and also the wait
 * of a read pipelined behind another statement (it then gets a 503 and its result is
 * discarded).
 *
 * A caller that forgets a query (its client left) drops it if it was not sent yet. An
 * exclusive statement still running GP_POOL_CANCEL_AFTER_MS later is cancelled, and so
 * is one whose client socket (gp_pool_query_watch_client: h2o 2.2.5 does not notice an
 * HTTP/1 client leaving while its request is pending) was closed by the peer: a
 * detached thread calls PQcancel (it blocks) and reports back through a socketpair;
 * until then the connection takes no new work, so the cancel cannot hit an innocent
 * statement (PostgreSQL ignores a cancel that reaches an idle backend). Fast statements
 * are never cancelled: they finish anyway.
 *
 * Every connection keeps a FIFO of what it sent (queries and sync markers) to match
 * the results libpq returns: each statement of a query yields its result(s) and then
 * NULL; a sync yields one PGRES_PIPELINE_SYNC. The first statements on a new backend
 * are the pool's own `SET jit = off` and `SET statement_timeout`.
 *
 * With prepared_statements off (PgBouncer in transaction mode, where each Sync segment
 * may run on another server connection), nothing may rely on the session: every
 * statement goes unnamed (no Parse of a name that the next segment's server would not
 * know), no SET is sent, and each request's segment opens with the pool's prologue,
 * `SELECT set_config('jit', 'off', true), set_config('statement_timeout', …, true)`,
 * whose result is dropped. set_config(…, true) lasts until the Sync, and PostgreSQL
 * arms statement_timeout afresh at each statement's first message (the timer stops when
 * an Execute completes), so the timeout still counts per statement.
 *
 * A connection's state is the list it is on (connecting, idle, busy, backoff, closed),
 * changed only by conn_set_state(). Queries that find no usable connection wait in the
 * pool's acquire queue. A broken connection reconnects at once, then every second; an
 * h2o timer bounds each connect attempt because PQconnectPoll ignores connect_timeout.
 *
 * Memory: a query is one malloc block (struct, SQL and parameters), freed after its
 * callback returns or, when forgotten, when its result is discarded. Connections are
 * freed from the pool's own zero-timeout tick, never inside their socket callbacks,
 * and never while a cancel thread works for them. */
#include "db/pool.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/hash.h"
#include "base/log.h"
#include "db/pgerror.h"
#include "db/resolve.h"

#define GP_POOL_CONNECT_TIMEOUT_MS 5000 /* libpq ignores connect_timeout in PQconnectPoll */
#define GP_POOL_RETRY_MS 1000           /* backoff after the immediate first reconnect */
#define GP_POOL_MAX_ATTEMPTS 8          /* a read-only query is sent at most this often */
/* A read sent again goes at once the first time (usually one connection broke), then
 * after these waits (a server restarting answers 57P03 until it is up): 3.1 s in all. */
static const unsigned retry_backoff_ms[] = {50, 100, 200, 400, 800, 1600};
#define GP_POOL_BACKOFF_STEPS (sizeof retry_backoff_ms / sizeof *retry_backoff_ms)
/* A read that took less on one of its last two runs may be pipelined behind others,
 * and others behind it: one slow run on a busy machine does not make a fast statement
 * exclusive, two do. The bound on what a fast statement can wait for is a few of these. */
#ifndef GP_POOL_FAST_US
#define GP_POOL_FAST_US 20000
#endif
/* Statements queued on the least-loaded busy connection before an idle one is used or
 * another one opened: pipelining saves PostgreSQL and us work, but one backend runs one
 * statement at a time, so deeper pipelines serialise what several backends could run at once. */
#ifndef GP_POOL_GROW_DEPTH
#define GP_POOL_GROW_DEPTH 2
#endif
/* Beyond GP_POOL_GROW_DEPTH, a read joins a busy connection while the statements queued
 * there, itself included, are expected to run within cf.pipeline_us (by the faster
 * of their last two runs), up to GP_POOL_PIPELINE_DEPTH: a by-key lookup runs in tens of
 * microseconds, and every extra backend woken costs PostgreSQL (a wakeup, a read, a send)
 * and the pool (a send per connection) more than that wait; statements of a few hundred
 * microseconds keep the shallow depth, so that PostgreSQL runs them on several cores.
 * Measured on 2 cores at c=16 with a fixed depth: by_pk 21.4k r/s at 2, 25.3k at 4,
 * 26.1k at 8, but a 0.3 ms count lost a quarter at 8; by budget (bench/run, ratio to
 * pgbench): 1 ms put list at 0.57-0.67 (0.83 at depth 2), 500 µs gives by_pk 0.96,
 * list 0.78, aggregate 0.82, and 250 µs the same within noise. */
#ifndef GP_POOL_PIPELINE_US
#define GP_POOL_PIPELINE_US 500 /* cf.pipeline_us's default */
#endif
#ifndef GP_POOL_PIPELINE_DEPTH
#define GP_POOL_PIPELINE_DEPTH 8
#endif
/* A forgotten exclusive statement still running this long after is cancelled, and a
 * running one's client socket (gp_pool_query_watch_client) is looked at this often. */
#define GP_POOL_CANCEL_AFTER_MS 100
#define GP_POOL_STMT_SETS 256      /* the statement table: sets of GP_POOL_STMT_WAYS */
#define GP_POOL_STMT_WAYS 4
#define GP_POOL_STMT_SQL_MAX 65536 /* longer SQL is not remembered: exclusive, unnamed */
#define GP_POOL_HASH_SEED 0x6770706f6f6c3031ULL
/* How often idle connections are looked at: retired for age or idleness, pinged, and
 * the pool filled back to min_size. */
#define GP_POOL_HOUSEKEEPING_MS 1000
/* A pool with more than 80 % of its connections in use for this long is worth a
 * warning (then at most one a minute): requests are about to wait. */
#define GP_POOL_HOT_WARN_MS 10000
#define GP_POOL_HOT_REPEAT_MS 60000
#define GP_POOL_NO_SLOT UINT_MAX

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
    Q_BACKOFF,  /* a read waiting to be sent again, on pool->backing_off */
    Q_PENDING,  /* on a connection, not sent yet */
    Q_SENT,     /* in a connection's FIFO */
    Q_DONE,     /* its callback is running */
} query_state_t;

typedef struct gp_conn gp_conn_t;

struct gp_query {
    gp_pool_t *pool;
    gp_conn_t *conn;          /* while PENDING or SENT */
    h2o_linklist_t link;      /* acquire queue, rejected list or conn->pending */
    h2o_timeout_entry_t wait; /* acquire timeout: from submission until the statement starts */
    h2o_timeout_entry_t backoff; /* Q_BACKOFF: until it is sent again */
    query_state_t state;
    bool read_only;
    bool forgotten;
    bool internal;            /* the pool's own (SET, DEALLOCATE): dies with its connection */
    bool prepare;             /* run as the named prepared statement gp_<stmt_id> */
    bool exclusive;           /* not known fast: nothing is pipelined behind it */
    int64_t expected_us;      /* what its statements are expected to take, for pipelining */
    bool partly_sent;         /* some of its statements went to libpq, not all: never re-sent */
    int attempts;
    uint64_t waited_at;       /* now_us() when it last began to wait in the acquire queue */
    int client_fd;            /* the caller's client socket, peeked while it runs; -1: none */
    unsigned stmt_slot;       /* in pool->stmts, or GP_POOL_NO_SLOT */
    uint64_t stmt_id;         /* the slot's id when the query came: a changed id means evicted */
    PGresult *res;            /* what the callback will be told: the first error, else the last
                               * statement's first result */
    int res_stmt;             /* the statement `res` came from */
    int reading;              /* the statement whose results are being read; -1: the prologue's */
#ifdef GP_POOL_TRACE
    uint64_t t_new, t_sent, t_start;
    bool traced_excl;
#endif
    gp_query_cb cb;
    void *data;
    int nstmts;                 /* 1, or a gp_pool_transaction's statements */
    gp_pool_statement_t *stmts; /* copies, in the query's own block */
    struct stmt_name {
        uint64_t id;            /* nonzero: sent as the prepared statement gp_<id> */
        bool awaiting_prepare;  /* its Parse was sent just before it: that result comes first */
    } *names;                   /* one per statement, in the same block */
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
    h2o_timeout_entry_t cancel_timer; /* the exclusive head runs forgotten or is watched */
    h2o_linklist_t pending;    /* queries not sent yet */
    int load;                  /* queries pending or in flight */
    int64_t queued_us;         /* what they are expected to take (their expected_us) */
    int failures;              /* consecutive failed attempts or breaks */
    bool was_connected;        /* counts reconnects */
    bool exclusive;            /* an exclusive statement is queued or in flight: take nothing */
    bool cancelling;           /* a cancel thread works for it: take nothing, free nothing */
    bool pinging;              /* a health check is in flight */
    uint64_t expires_at;       /* h2o_now() after which it takes no work (max lifetime); 0: never */
    uint64_t used_at;          /* h2o_now() when it last became idle (or was pinged) */
    uint64_t started_us;       /* when the FIFO's head statement started */
    gp_query_t **fifo;         /* ring of what was sent: a query, or NULL for a sync */
    size_t fifo_cap, fifo_head, fifo_len;
    /* Ids of the statements prepared on this backend: open addressing, 0 empty, 1
     * deleted (ids start at 2). Half full, the backend gets DEALLOCATE ALL. */
    uint64_t prepared[GP_POOL_PREPARED_SLOTS];
    int nprepared;
    gp_resolve_wait_t resolving; /* its host names are being looked up (resolve.h) */
};

/* What the pool remembers about one SQL text. */
typedef struct stmt {
    uint64_t hash;
    char *sql;       /* malloc'd copy; NULL: an empty slot */
    uint64_t id;     /* names its prepared statements; never reused */
    int64_t cost_us; /* service time of the last run; -1: none finished yet */
    int64_t prev_us; /* of the run before; -1: none */
    uint64_t used;   /* pool->stmt_clock at the last lookup: the least recent is evicted */
} stmt_t;

struct gp_pool {
    h2o_loop_t *loop;
    gp_pool_config_t cf;
    h2o_linklist_t lists[CONN_NSTATES];
    int counts[CONN_NSTATES];
    h2o_linklist_t waiting; /* acquire queue, oldest first */
    int nwaiting;
    int nwaiting_exclusive;
    h2o_linklist_t rejected;
    h2o_timeout_t zero, retry, connect, acquire, cancel_delay, housekeeping;
    h2o_timeout_t ping;       /* a health check's answer: within its period, and the connect timeout */
    h2o_timeout_t backoff[GP_POOL_BACKOFF_STEPS]; /* retry_backoff_ms */
    h2o_linklist_t backing_off; /* Q_BACKOFF queries */
    h2o_timeout_entry_t tick; /* zero timeout: reject, retire, free closed conns, shutdown steps */
    h2o_timeout_entry_t housekeeping_entry;
    unsigned next_id;
    int nqueries;             /* made and not yet freed: the load gp_pools_read compares */
    bool ever_connected;
    bool shutting_down;
    void (*done)(void *data);
    void *done_data;
    gp_pool_stats_t stats;     /* read by other threads: written with relaxed atomics only */
    stmt_t stmts[GP_POOL_STMT_SETS * GP_POOL_STMT_WAYS];
    uint64_t next_stmt_id, stmt_clock;
    int cancel_fds[2];         /* socketpair: cancel threads write their finished job */
    h2o_socket_t *cancel_sock; /* watches cancel_fds[0] */
    int cancels_running;
    uint64_t rng;            /* xorshift state: max lifetimes' jitter */
    uint64_t hot_since;      /* h2o_now() since when over 80 % of max_size is in use; 0: not */
    uint64_t hot_warned;     /* when that was last logged */
    gp_resolver_t *resolver; /* host names looked up off the loop before each connect */
    char *prologue;          /* opens every request's segment when prepared_statements is off */
};

static void conn_fail(gp_conn_t *c, const char *reason);
static void conn_connect(gp_conn_t *c);
static void query_dispatch(gp_query_t *q, bool front);
static void pool_schedule_tick(gp_pool_t *p);
static void pool_drain_waiting(gp_pool_t *p);
static void pool_reject_waiting(gp_pool_t *p);

static void stat_add(unsigned long long *counter, unsigned long long n)
{
    __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static void stat_set(int *gauge, int value)
{
    __atomic_store_n(gauge, value, __ATOMIC_RELAXED);
}

static int pool_nconns(const gp_pool_t *p);

/* The gauges, after the counts they come from changed. */
static void publish(gp_pool_t *p)
{
    stat_set(&p->stats.idle, p->counts[CONN_IDLE]);
    stat_set(&p->stats.busy, p->counts[CONN_BUSY]);
    stat_set(&p->stats.connecting, p->counts[CONN_CONNECTING] + p->counts[CONN_BACKOFF]);
    stat_set(&p->stats.total, pool_nconns(p));
    stat_set(&p->stats.waiting, p->nwaiting);
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- the statement table ------------------------------------------------------ */

/* The slot remembering `sql`. A miss takes over the least recently used slot of the
 * hash's set under a new id: two texts never share an id, whatever their hashes. */
static unsigned stmt_lookup(gp_pool_t *p, uint64_t hash, const char *sql)
{
    size_t len = strlen(sql);
    if (len > GP_POOL_STMT_SQL_MAX)
        return GP_POOL_NO_SLOT;
    unsigned base = (unsigned)(hash % GP_POOL_STMT_SETS) * GP_POOL_STMT_WAYS, victim = base;
    p->stmt_clock++;
    for (unsigned i = base; i < base + GP_POOL_STMT_WAYS; i++) {
        stmt_t *s = &p->stmts[i];
        if (s->sql != NULL && s->hash == hash && memcmp(s->sql, sql, len + 1) == 0) {
            s->used = p->stmt_clock;
            return i;
        }
        if (s->used < p->stmts[victim].used)
            victim = i;
    }
    stmt_t *s = &p->stmts[victim];
    free(s->sql);
    if ((s->sql = malloc(len + 1)) == NULL)
        abort();
    memcpy(s->sql, sql, len + 1);
    s->hash = hash;
    s->id = ++p->next_stmt_id;
    s->cost_us = s->prev_us = -1;
    s->used = p->stmt_clock;
    return victim;
}

static const stmt_t *query_stmt(const gp_query_t *q)
{
    if (q->stmt_slot == GP_POOL_NO_SLOT)
        return NULL;
    const stmt_t *s = &q->pool->stmts[q->stmt_slot];
    return s->id == q->stmt_id ? s : NULL;
}

/* The faster of a read's last two runs; -1 when neither is known (or not a read). */
static int64_t query_known_us(const gp_query_t *q)
{
    const stmt_t *s = query_stmt(q);
    if (!q->read_only || q->internal || s == NULL)
        return -1;
    if (s->cost_us < 0 || (s->prev_us >= 0 && s->prev_us < s->cost_us))
        return s->prev_us;
    return s->cost_us;
}

static bool query_known_fast(const gp_query_t *q)
{
    int64_t us = query_known_us(q);
    return us >= 0 && us < GP_POOL_FAST_US;
}

/* What q is expected to take, for pipelining: unknown counts as a full budget. */
static int64_t query_expected_us(const gp_query_t *q)
{
    int64_t us = query_known_us(q);
    return us >= 0 ? us : q->pool->cf.pipeline_us;
}

static void stmt_record(gp_query_t *q, uint64_t us)
{
    stmt_t *s = (stmt_t *)query_stmt(q);
    if (s != NULL) {
        s->prev_us = s->cost_us;
        s->cost_us = (int64_t)us;
    }
}

/* ---- queries ---------------------------------------------------------------- */

/* One block: the struct, the statements, their parameter arrays, then the text. */
static gp_query_t *query_new(gp_pool_t *p, const gp_pool_statement_t *stmts, int n)
{
    size_t size = sizeof(gp_query_t) + (size_t)n * (sizeof(gp_pool_statement_t) + sizeof(struct stmt_name));
    for (int k = 0; k < n; k++) {
        size += (size_t)stmts[k].nparams * sizeof(char *) + strlen(stmts[k].sql) + 1;
        for (int i = 0; i < stmts[k].nparams; i++)
            if (stmts[k].values[i] != NULL)
                size += strlen(stmts[k].values[i]) + 1;
    }
    gp_query_t *q = calloc(1, size);
    if (q == NULL)
        abort();
#ifdef GP_POOL_TRACE
    q->t_new = now_us();
#endif
    q->pool = p;
    p->nqueries++;
    q->client_fd = -1;
    q->stmt_slot = GP_POOL_NO_SLOT;
    q->nstmts = n;
    q->stmts = (gp_pool_statement_t *)(q + 1);
    q->names = (struct stmt_name *)(q->stmts + n);
    const char **vals = (const char **)(q->names + n);
    for (int k = 0; k < n; k++) {
        q->stmts[k].nparams = stmts[k].nparams;
        q->stmts[k].values = vals;
        vals += stmts[k].nparams;
    }
    char *s = (char *)vals;
    for (int k = 0; k < n; k++) {
        const char **dst = (const char **)q->stmts[k].values;
        for (int i = 0; i < stmts[k].nparams; i++) {
            if (stmts[k].values[i] == NULL)
                continue;
            size_t len = strlen(stmts[k].values[i]) + 1;
            dst[i] = memcpy(s, stmts[k].values[i], len);
            s += len;
        }
        size_t len = strlen(stmts[k].sql) + 1;
        q->stmts[k].sql = memcpy(s, stmts[k].sql, len);
        s += len;
    }
    return q;
}

static void query_free(gp_query_t *q)
{
    q->pool->nqueries--;
    if (h2o_timeout_is_linked(&q->wait))
        h2o_timeout_unlink(&q->wait);
    if (h2o_timeout_is_linked(&q->backoff))
        h2o_timeout_unlink(&q->backoff);
    if (q->res != NULL)
        PQclear(q->res);
    free(q);
}

/* Hands the outcome to the callback unless the caller forgot the query, then frees it.
 * Takes ownership of nothing in `r`: the caller clears its PGresult afterwards. */
static void query_complete(gp_query_t *q, const gp_query_result_t *r)
{
    gp_pool_t *p = q->pool;
    if (r->error != NULL)
        stat_add(&p->stats.errors, 1);
    if (!q->forgotten && q->cb != NULL) {
        q->state = Q_DONE;
        q->cb(q->data, r);
    }
    query_free(q);
}

static void query_fail(gp_query_t *q, const char *msg, bool unavailable)
{
    gp_query_result_t r = {.error = msg, .statement = -1, .unavailable = unavailable};
    query_complete(q, &r);
}

static void query_unwait(gp_query_t *q)
{
    assert(q->state == Q_WAITING);
    h2o_linklist_unlink(&q->link); /* its acquire timer keeps running until it starts */
    q->pool->nwaiting--;
    if (q->exclusive)
        q->pool->nwaiting_exclusive--;
    stat_add(&q->pool->stats.wait_us, now_us() - q->waited_at);
    publish(q->pool);
}

/* The statement did not run, or ran read-only: send it again elsewhere. */
static void query_retry(gp_query_t *q)
{
    if (q->res != NULL) {
        PQclear(q->res);
        q->res = NULL;
    }
    q->reading = 0;
    q->conn = NULL;
    if (q->forgotten || q->internal) {
        query_free(q);
        return;
    }
    stat_add(&q->pool->stats.retries, 1);
    if (++q->attempts >= GP_POOL_MAX_ATTEMPTS) {
        query_fail(q, "the database connection failed repeatedly", /* unavailable= */ true);
        return;
    }
    if (q->attempts == 1 || q->pool->shutting_down) {
        query_dispatch(q, /* front= */ true);
        return;
    }
    gp_pool_t *p = q->pool;
    size_t step = (size_t)q->attempts - 2 < GP_POOL_BACKOFF_STEPS ? (size_t)q->attempts - 2 : GP_POOL_BACKOFF_STEPS - 1;
    q->state = Q_BACKOFF;
    h2o_linklist_insert(&p->backing_off, &q->link);
    h2o_timeout_link(p->loop, &p->backoff[step], &q->backoff);
}

static void on_backoff(h2o_timeout_entry_t *e)
{
    gp_query_t *q = H2O_STRUCT_FROM_MEMBER(gp_query_t, backoff, e);
    h2o_linklist_unlink(&q->link);
    query_dispatch(q, /* front= */ true);
}

/* Turns the statement's result into the callback's one cell or one error. A SQL NULL
 * cell is neither: the callback gets cell == NULL and error == NULL. */
static void query_finish(gp_query_t *q, bool conn_bad)
{
    PGresult *res = q->res;
    q->res = NULL;
    ExecStatusType st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    const char *sqlstate = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    /* The last attempt's error is the client's: not "failed repeatedly". */
    if (st == PGRES_FATAL_ERROR && q->read_only && (gp_pgerror_retryable(sqlstate) || conn_bad) &&
        (conn_bad || q->attempts + 1 < GP_POOL_MAX_ATTEMPTS)) {
        PQclear(res);
        query_retry(q);
        return;
    }
    gp_query_result_t r = {.statement = res != NULL ? q->res_stmt : q->nstmts - 1};
    if (st == PGRES_TUPLES_OK && PQntuples(res) == 1 && PQnfields(res) == 1) {
        r.statement = -1;
        if (!PQgetisnull(res, 0, 0)) { /* PQgetvalue gives "" for NULL */
            r.cell = PQgetvalue(res, 0, 0);
            r.cell_len = (size_t)PQgetlength(res, 0, 0);
        }
    } else if (st == PGRES_COMMAND_OK && q->internal) {
        r.statement = -1; /* SET, DEALLOCATE: done */
    } else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        r.error = "expected one row with one column";
    } else if (st == PGRES_PIPELINE_ABORTED) {
        r.error = "the statement was not run"; /* an error came first and was kept: cannot happen */
    } else {
        r.sqlstate = sqlstate;
        r.constraint = res != NULL ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
        r.error = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        if (r.error == NULL)
            r.error = res != NULL && *PQresultErrorMessage(res) ? PQresultErrorMessage(res) : "database error";
        r.unavailable = gp_pgerror_kind(sqlstate) == GP_E_UNAVAILABLE;
    }
    query_complete(q, &r);
    PQclear(res);
}

/* The caller gets a 503 now, but the statement stays where it is (it was sent and
 * cannot be withdrawn): its result will be discarded. */
static void query_abandon(gp_query_t *q, const char *msg)
{
    gp_query_result_t r = {.error = msg, .statement = -1, .unavailable = true};
    query_state_t was = q->state;
    stat_add(&q->pool->stats.errors, 1);
    if (!q->forgotten && q->cb != NULL) {
        q->state = Q_DONE;
        q->cb(q->data, &r);
    }
    q->state = was;
    q->forgotten = true;
    q->cb = NULL;
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
    publish(p);
}

static bool conn_ready(const gp_conn_t *c)
{
    return c->state == CONN_IDLE || c->state == CONN_BUSY;
}

/* Past its max lifetime: it finishes what it has, takes nothing more, and closes. */
static bool conn_expired(const gp_conn_t *c)
{
    return c->expires_at != 0 && h2o_now(c->pool->loop) >= c->expires_at;
}

/* q joins (+1) or leaves (-1) c's load. */
static void conn_load_add(gp_conn_t *c, const gp_query_t *q, int n)
{
    c->load += n;
    c->queued_us += n * q->expected_us;
}

/* The pipelining rule: `load` statements expected to take `queued_us` in all may share
 * one connection. */
static bool pipeline_fits(const gp_pool_t *p, int load, int64_t queued_us)
{
    return load <= GP_POOL_GROW_DEPTH || (load <= GP_POOL_PIPELINE_DEPTH && queued_us <= p->cf.pipeline_us);
}

/* Whether a fast read expected to take `us` may still be pipelined on c. */
static bool conn_may_pipeline(const gp_conn_t *c, int64_t us)
{
    return pipeline_fits(c->pool, c->load + 1, c->queued_us + us);
}

/* Deeper than the rule allows: placed there for want of another connection. */
static bool conn_overfull(const gp_conn_t *c)
{
    return !pipeline_fits(c->pool, c->load, c->queued_us);
}

/* Idle when nothing is queued or outstanding, busy otherwise. */
static void conn_update_load_state(gp_conn_t *c)
{
    if (!conn_ready(c))
        return;
    conn_state_t want = c->load > 0 || c->fifo_len > 0 ? CONN_BUSY : CONN_IDLE;
    if (c->state != want)
        conn_set_state(c, want);
    if (want == CONN_IDLE) {
        c->used_at = h2o_now(c->pool->loop);
        if (c->pool->shutting_down || conn_expired(c))
            pool_schedule_tick(c->pool); /* not here: we may be inside its socket's callback */
    }
}

static int pool_nconns(const gp_pool_t *p)
{
    return p->counts[CONN_CONNECTING] + p->counts[CONN_IDLE] + p->counts[CONN_BUSY] + p->counts[CONN_BACKOFF];
}

/* libpq's messages span lines; a log line must not. */
static void log_reason(gp_conn_t *c, const char *what, const char *reason)
{
    char line[512];
    gp_warn("pool", "conn %u: %s: %s", c->id, what, gp_log_one_line(line, sizeof line, reason));
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

static void prepared_add(gp_conn_t *c, uint64_t id)
{
    c->prepared[prepared_slot(c, id, true)] = id;
    c->nprepared++;
}

static void prepared_remove(gp_conn_t *c, uint64_t id)
{
    size_t i = prepared_slot(c, id, false);
    if (c->prepared[i] == id) {
        c->prepared[i] = SLOT_DELETED; /* a tombstone keeps later probes reaching their slots */
        c->nprepared--;
    }
}

static void prepared_clear(gp_conn_t *c)
{
    memset(c->prepared, 0, sizeof c->prepared);
    c->nprepared = 0;
}

/* gp_ and the id in 16 hex digits. */
static void statement_name(char buf[20], uint64_t id)
{
    memcpy(buf, "gp_", 3);
    gp_hex64(buf + 3, id);
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

/* Looks at the exclusive head statement again in GP_POOL_CANCEL_AFTER_MS. */
static void conn_start_head_watch(gp_conn_t *c)
{
    if (!h2o_timeout_is_linked(&c->cancel_timer))
        h2o_timeout_link(c->pool->loop, &c->pool->cancel_delay, &c->cancel_timer);
}

/* The FIFO's head is a statement PostgreSQL works on now: from here its service time
 * counts, and its acquire timeout no longer does. A forgotten exclusive one is
 * cancelled if it is still running GP_POOL_CANCEL_AFTER_MS later. */
static void conn_start_head(gp_conn_t *c)
{
    gp_query_t *q = c->fifo_len > 0 ? fifo_peek(c) : NULL;
    if (q == NULL)
        return;
    c->started_us = now_us();
    if (h2o_timeout_is_linked(&q->wait))
        h2o_timeout_unlink(&q->wait);
    if (q->exclusive && (q->forgotten || q->client_fd >= 0))
        conn_start_head_watch(c);
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
 * unsent ones and sent read-only ones go elsewhere, sent writes fail, the pool's own
 * statements die with the backend they were for. */
static void conn_teardown(gp_conn_t *c, conn_state_t to)
{
    h2o_linklist_t pending;
    gp_query_t **fifo = c->fifo;
    size_t head = c->fifo_head, len = c->fifo_len, cap = c->fifo_cap;

    conn_unwatch(c);
    gp_resolve_cancel(&c->resolving);
    if (c->pg != NULL) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    h2o_timeout_entry_t *timers[] = {&c->timer, &c->batch, &c->cancel_timer};
    for (size_t i = 0; i < sizeof timers / sizeof *timers; i++)
        if (h2o_timeout_is_linked(timers[i]))
            h2o_timeout_unlink(timers[i]);
    h2o_linklist_init_anchor(&pending);
    h2o_linklist_insert_list(&pending, &c->pending);
    c->fifo = NULL;
    c->fifo_head = c->fifo_len = c->fifo_cap = 0;
    c->load = 0;
    c->queued_us = 0;
    c->exclusive = false;
    conn_set_state(c, to);

    while (!h2o_linklist_is_empty(&pending)) {
        gp_query_t *q = H2O_STRUCT_FROM_MEMBER(gp_query_t, link, pending.next);
        h2o_linklist_unlink(&q->link);
        q->conn = NULL;
        if (q->forgotten || q->internal)
            query_free(q);
        else if (q->partly_sent) /* without its sync PostgreSQL rolled it back, but it may have run */
            query_fail(q, "the database connection failed while the transaction was being sent; it was not committed",
                       /* unavailable= */ false);
        else
            query_dispatch(q, /* front= */ true);
    }
    for (size_t i = 0; i < len; i++) {
        gp_query_t *q = fifo[(head + i) % cap];
        if (q == NULL)
            continue;
        if (q->read_only || q->forgotten || q->internal) {
            query_retry(q); /* frees a forgotten or internal one */
        } else {
            if (q->res != NULL) {
                PQclear(q->res);
                q->res = NULL;
            }
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
    log_reason(c, c->state == CONN_CONNECTING ? "connect failed" : c->pinging ? "health check failed" : "broken",
               reason);
    if (c->pinging)
        stat_add(&p->stats.health_failures, 1);
    c->pinging = false;
    conn_teardown(c, CONN_BACKOFF);
    c->failures++;
    h2o_timeout_link(p->loop, c->failures == 1 ? &p->zero : &p->retry, &c->timer);
    pool_reject_waiting(p);
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
    assert(c->state == CONN_CLOSED && c->pg == NULL && c->sock == NULL && !c->cancelling);
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

static bool conn_read_results(gp_conn_t *c);

/* When a send would block, libpq reads whatever has arrived into its own buffer (so
 * that neither side waits for the other forever): those results no longer make the
 * socket readable, so they are read here, after every flush, or they would wait for
 * the next packet. */
static void conn_flush_and_read(gp_conn_t *c)
{
    if (conn_flush(c) && conn_read_results(c))
        pool_drain_waiting(c->pool);
}

static void on_writable(h2o_socket_t *sock, const char *err)
{
    gp_conn_t *c = sock->data;
    if (err != NULL) {
        conn_fail(c, err);
        return;
    }
    conn_flush_and_read(c);
}

/* libpq 15 flushes at every PQpipelineSync; with the socket corked those writes
 * leave as one packet when it is uncorked. A Unix socket refuses the option: fine. */
static void conn_cork(gp_conn_t *c, int on)
{
#ifdef GP_POOL_NO_CORK
    return;
#endif
    (void)setsockopt(PQsocket(c->pg), IPPROTO_TCP, TCP_CORK, &on, sizeof on);
}

/* Puts q, just sent, into the FIFO followed by its own sync: a segment of one. */
static bool conn_push_sent(gp_conn_t *c, gp_query_t *q)
{
#ifdef GP_POOL_TRACE
    q->t_sent = now_us();
#endif
    bool was_empty = c->fifo_len == 0;
    q->state = Q_SENT;
    q->conn = c;
    fifo_push(c, q);
    if (!PQpipelineSync(c->pg)) {
        conn_fail(c, PQerrorMessage(c->pg));
        return false;
    }
    fifo_push(c, NULL);
    if (was_empty)
        conn_start_head(c);
    return true;
}

static void on_internal_result(void *data, const gp_query_result_t *r)
{
    (void)data;
    if (r->error != NULL)
        gp_warn("pool", "a statement the pool sent for itself failed: %s", r->error);
}

/* Sends one of the pool's own statements (no parameters; cb NULL: the result is only
 * logged). It dies with its connection, its callback uncalled. */
static bool conn_send_internal(gp_conn_t *c, const char *sql, gp_query_cb cb, void *data)
{
    gp_pool_statement_t st = {.sql = sql};
    gp_query_t *q = query_new(c->pool, &st, 1);
    q->internal = true;
    q->cb = cb != NULL ? cb : on_internal_result;
    q->data = data;
    if (!PQsendQueryParams(c->pg, sql, 0, NULL, NULL, NULL, NULL, 0)) {
        query_free(q);
        conn_fail(c, PQerrorMessage(c->pg));
        return false;
    }
    conn_load_add(c, q, 1);
    return conn_push_sent(c, q);
}

/* Sends statement k of q as gp_<id>, its Parse just before it if this backend has not
 * prepared it yet. */
static bool conn_send_named(gp_conn_t *c, gp_query_t *q, int k)
{
    struct stmt_name *nm = &q->names[k];
    const gp_pool_statement_t *st = &q->stmts[k];
    char name[20];
    statement_name(name, nm->id);
    nm->awaiting_prepare = !prepared_has(c, nm->id);
    if (nm->awaiting_prepare) {
        if (!PQsendPrepare(c->pg, name, st->sql, st->nparams, NULL))
            return false;
        prepared_add(c, nm->id);
    }
    return PQsendQueryPrepared(c->pg, name, st->nparams, st->values, NULL, NULL, 0) != 0;
}

/* How many of q's named statements this backend would have to prepare. */
static int conn_missing_names(const gp_conn_t *c, const gp_query_t *q)
{
    int n = 0;
    for (int k = 0; k < q->nstmts; k++)
        n += q->names[k].id != 0 && !prepared_has(c, q->names[k].id);
    return n;
}

/* Sends q's statements, each named (prepared) or unnamed; its sync follows. A backend
 * whose table of names would pass half full is emptied first with DEALLOCATE ALL, before
 * q's first statement (between them it would end q's transaction). Once the first of
 * several went to libpq it may reach the server (libpq writes as its buffer fills), so
 * a failure after that must not send q again. */
static bool conn_send_one(gp_conn_t *c, gp_query_t *q)
{
    if (q->nstmts == 1) /* a single statement's name is its slot's, unless it was evicted meanwhile */
        q->names[0].id = q->prepare && query_stmt(q) != NULL ? q->stmt_id : 0;
    const char *prologue = q->internal ? NULL : c->pool->prologue;
    q->reading = prologue != NULL ? -1 : 0;
    if (prologue != NULL && !PQsendQueryParams(c->pg, prologue, 0, NULL, NULL, NULL, NULL, 0)) {
        conn_fail(c, PQerrorMessage(c->pg)); /* q is still pending; the prologue alone changes nothing */
        return false;
    }
    int missing = conn_missing_names(c, q);
    if (missing > 0 && c->nprepared + missing > GP_POOL_PREPARED_SLOTS / 2) {
        if (!conn_send_internal(c, "DEALLOCATE ALL", NULL, NULL))
            return false;
        prepared_clear(c);
    }
    for (int k = 0; k < q->nstmts; k++) {
        const gp_pool_statement_t *st = &q->stmts[k];
        q->partly_sent = k > 0;
        bool sent = q->names[k].id != 0 ? conn_send_named(c, q, k)
                                        : PQsendQueryParams(c->pg, st->sql, st->nparams, NULL, st->values, NULL, NULL, 0);
        if (!sent) {
            conn_fail(c, PQerrorMessage(c->pg)); /* q is still pending: re-dispatched unless partly sent */
            return false;
        }
    }
    q->partly_sent = false;
    return true;
}

/* Drops a query that is still pending on its connection. */
static void conn_drop_pending(gp_conn_t *c, gp_query_t *q)
{
    h2o_linklist_unlink(&q->link);
    conn_load_add(c, q, -1);
    if (q->exclusive)
        c->exclusive = false;
    q->conn = NULL;
}

/* Sends everything queued during this loop turn, each statement with its own sync. */
static void conn_send_batch(gp_conn_t *c)
{
    bool cork = c->pending.next->next != &c->pending; /* two or more */
    if (cork)
        conn_cork(c, 1);
    while (!h2o_linklist_is_empty(&c->pending)) {
        gp_query_t *q = H2O_STRUCT_FROM_MEMBER(gp_query_t, link, c->pending.next);
        if (q->forgotten) { /* its client left before it was sent */
            conn_drop_pending(c, q);
            query_free(q);
            continue;
        }
        if (!conn_send_one(c, q))
            return;
        h2o_linklist_unlink(&q->link);
        if (!conn_push_sent(c, q))
            return;
    }
    if (cork)
        conn_cork(c, 0);
    conn_flush_and_read(c);
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
    conn_load_add(c, q, 1);
    if (q->exclusive)
        c->exclusive = true;
    conn_update_load_state(c);
    if (!h2o_timeout_is_linked(&c->batch))
        h2o_timeout_link(c->pool->loop, &c->pool->zero, &c->batch);
}

/* ---- reading ------------------------------------------------------------------- */

/* The Parse's own result comes before the statement's. A failed one stands in for
 * the statement's result, which can then only be "aborted": its error is what the
 * caller must see. */
static void query_take_prepare_result(gp_conn_t *c, gp_query_t *q, PGresult *r)
{
    struct stmt_name *nm = &q->names[q->reading];
    if (r == NULL) {
        nm->awaiting_prepare = false;
    } else if (PQresultStatus(r) != PGRES_COMMAND_OK) { /* failed, or skipped after an error: not prepared */
        prepared_remove(c, nm->id);
        if (q->res == NULL)
            q->res = r;
        else
            PQclear(r);
    } else {
        PQclear(r);
    }
}

/* The prologue's row is dropped; its error (then every statement after it is aborted)
 * is what the caller is told. */
static void query_take_prologue_result(gp_query_t *q, PGresult *r)
{
    if (q->res == NULL && PQresultStatus(r) == PGRES_FATAL_ERROR) {
        q->res = r;
        q->res_stmt = 0;
    } else {
        PQclear(r);
    }
}

/* Keeps what the callback will be told: the first statement's error, else the last
 * statement's result; a statement makes one result. The others (earlier statements'
 * results, PGRES_PIPELINE_ABORTED after an error) are dropped. */
static void query_take_result(gp_query_t *q, PGresult *r)
{
    if (q->res == NULL && (q->reading == q->nstmts - 1 || PQresultStatus(r) == PGRES_FATAL_ERROR)) {
        q->res = r;
        q->res_stmt = q->reading;
    } else {
        PQclear(r);
    }
}

/* q's results are all in: the connection may take more, the pool learns its cost. */
static void conn_finish_head(gp_conn_t *c, gp_query_t *q)
{
#ifdef GP_POOL_TRACE /* -DGP_POOL_TRACE: where a statement slower than 200 ms spent its time */
    uint64_t t = now_us();
    if (t - q->t_new > 200000)
        gp_warn("pool", "trace conn %u load %d: total %llu ms: before send %llu, in pipeline %llu, running %llu; exclusive %d",
                c->id, c->load, (unsigned long long)(t - q->t_new) / 1000, (unsigned long long)(q->t_sent - q->t_new) / 1000,
                (unsigned long long)(c->started_us - q->t_sent) / 1000, (unsigned long long)(t - c->started_us) / 1000,
                q->exclusive);
#endif
    fifo_pop(c);
    conn_load_add(c, q, -1);
    if (q->exclusive)
        c->exclusive = false;
    if (!q->internal)
        stmt_record(q, now_us() - c->started_us);
    if (h2o_timeout_is_linked(&c->cancel_timer))
        h2o_timeout_unlink(&c->cancel_timer);
    query_finish(q, PQstatus(c->pg) == CONNECTION_BAD);
}

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
            conn_start_head(c);
            continue;
        }
        if (q->reading < 0) { /* the prologue's results, then its NULL */
            if (r != NULL)
                query_take_prologue_result(q, r);
            else
                q->reading = 0;
            continue;
        }
        if (q->names[q->reading].awaiting_prepare) {
            query_take_prepare_result(c, q, r);
            continue;
        }
        if (r != NULL) {
            query_take_result(q, r);
            continue;
        }
        if (++q->reading < q->nstmts) /* a NULL ends each statement's results */
            continue;
        conn_finish_head(c, q);
    }
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        conn_fail(c, PQerrorMessage(c->pg));
        return false;
    }
    conn_update_load_state(c);
    return true;
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
    prepared_clear(c); /* a new backend has no statements */
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
        stat_add(&p->stats.reconnects, 1);
    c->was_connected = true;
    c->failures = 0;
    __atomic_store_n(&p->ever_connected, true, __ATOMIC_RELAXED);
    gp_info("pool", "conn %u: connected (backend pid %d)", c->id, PQbackendPID(c->pg));
    uint64_t now = h2o_now(p->loop);
    c->used_at = now;
    c->expires_at = 0;
    if (p->cf.max_lifetime_ms > 0) {
        p->rng ^= p->rng << 13, p->rng ^= p->rng >> 7, p->rng ^= p->rng << 17; /* xorshift64 */
        c->expires_at = now + (uint64_t)p->cf.max_lifetime_ms - p->rng % ((uint64_t)p->cf.max_lifetime_ms / 10 + 1);
    }
    conn_set_state(c, CONN_IDLE);
    /* First in the pipeline, so every statement after them runs under them. JIT off: the
     * planner multiplies the cost of a correlated subquery by the rows it expects to run it
     * for, so a nested GraphQL query on tiny tables passes jit_above_cost and PostgreSQL
     * spends seconds compiling what runs in milliseconds (7 ms vs 1.4 s measured). The
     * user's own statement_timeout (e.g. from the URL) stays as it is when ours is 0.
     * Without prepared statements the prologue of every request does this instead. */
    if (p->prologue == NULL && !conn_send_internal(c, "SET jit = off", NULL, NULL))
        return;
    if (p->prologue == NULL && p->cf.statement_timeout_ms > 0) {
        char set[64];
        snprintf(set, sizeof set, "SET statement_timeout = %d", p->cf.statement_timeout_ms);
        if (!conn_send_internal(c, set, NULL, NULL))
            return;
    }
    if (p->prologue == NULL && p->cf.idle_in_transaction_ms > 0) {
        char set[80];
        snprintf(set, sizeof set, "SET idle_in_transaction_session_timeout = %d", p->cf.idle_in_transaction_ms);
        if (!conn_send_internal(c, set, NULL, NULL))
            return;
    }
    if (!conn_flush(c))
        return;
    conn_update_load_state(c);
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

static void conn_start(gp_conn_t *c, const char *const *keywords, const char *const *values);

static void on_resolved(gp_resolve_wait_t *w, const char *const *keywords, const char *const *values,
                        const char *error)
{
    gp_conn_t *c = H2O_STRUCT_FROM_MEMBER(gp_conn_t, resolving, w);
    if (error != NULL)
        conn_fail(c, error);
    else
        conn_start(c, keywords, values);
}

/* The connect timer covers the host name lookup too: libpq's own lookup would block
 * the loop, so a name is looked up off it first and libpq gets the address. */
static void conn_connect(gp_conn_t *c)
{
    gp_pool_t *p = c->pool;
    if (c->state != CONN_CONNECTING)
        conn_set_state(c, CONN_CONNECTING);
    h2o_timeout_link(p->loop, &p->connect, &c->timer);
    if (!gp_resolver_start(p->resolver, &c->resolving, on_resolved))
        conn_start(c, p->cf.conn_keywords, p->cf.conn_values);
}

static void conn_start(gp_conn_t *c, const char *const *keywords, const char *const *values)
{
    c->pg = PQconnectStartParams(keywords, values, 1);
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
    if (conn_ready(c)) { /* only a ping links it while connected */
        conn_fail(c, "SELECT 1 unanswered");
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

static void on_cancel_timer(h2o_timeout_entry_t *e);

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
    c->cancel_timer.cb = on_cancel_timer;
    h2o_linklist_init_anchor(&c->pending);
    conn_connect(c);
}

/* ---- choosing a connection ---------------------------------------------------- */

/* Whether c can take q now without q waiting behind something slow: a known-fast read
 * may queue behind other fast ones; anything else goes last and takes the connection
 * for itself; a write takes only an idle connection. */
static bool conn_takes(const gp_conn_t *c, const gp_query_t *q)
{
    if (!conn_ready(c) || c->exclusive || c->cancelling || c->load >= c->pool->cf.max_in_flight || conn_expired(c))
        return false;
    return q->read_only || c->load == 0;
}

/* A known-fast read joins the least-loaded busy connection while that one is less than
 * GP_POOL_GROW_DEPTH deep (deeper for quick statements: conn_may_pipeline), else an idle
 * one (the warmest), else the least-loaded busy one anyway. Packing fast reads onto few backends matters more than it seems: on a machine
 * whose cores PostgreSQL shares, every extra runnable backend adds to the scheduling delay
 * of all the others (16 backends at c=16 on 2 cores: single statements waited 0.1-0.5 s
 * for a CPU; 4 backends: 9 ms at most). Anything else takes an idle connection first. */
static gp_conn_t *pool_pick(gp_pool_t *p, const gp_query_t *q)
{
    gp_conn_t *busy = NULL;
    for (h2o_linklist_t *l = p->lists[CONN_BUSY].next; l != &p->lists[CONN_BUSY]; l = l->next) {
        gp_conn_t *c = H2O_STRUCT_FROM_MEMBER(gp_conn_t, link, l);
        if (conn_takes(c, q) && (busy == NULL || c->load < busy->load))
            busy = c;
    }
    if (busy != NULL && !q->exclusive && conn_may_pipeline(busy, q->expected_us))
        return busy;
    for (h2o_linklist_t *l = p->lists[CONN_IDLE].next; l != &p->lists[CONN_IDLE]; l = l->next) {
        gp_conn_t *c = H2O_STRUCT_FROM_MEMBER(gp_conn_t, link, l);
        if (conn_takes(c, q))
            return c;
    }
    return busy;
}

/* Ready connections that could still take a statement of their own. */
static bool pool_has_spare(const gp_pool_t *p)
{
    static const conn_state_t ready[] = {CONN_IDLE, CONN_BUSY};
    for (size_t i = 0; i < 2; i++)
        for (h2o_linklist_t *l = p->lists[ready[i]].next; l != &p->lists[ready[i]]; l = l->next) {
            const gp_conn_t *c = H2O_STRUCT_FROM_MEMBER(gp_conn_t, link, l);
            if (!c->exclusive && !c->cancelling)
                return true;
        }
    return false;
}

/* Opens connections promptly: one per waiting exclusive statement plus one for the
 * waiting fast ones, and one more when the statement just placed made its connection
 * deep, or took the last connection that could take anything. */
static void pool_grow(gp_pool_t *p, const gp_conn_t *placed, const gp_query_t *q)
{
    int opening = p->counts[CONN_CONNECTING] + p->counts[CONN_BACKOFF];
    int want = p->nwaiting_exclusive + (p->nwaiting > p->nwaiting_exclusive ? 1 : 0);
    if (want == 0 && placed != NULL &&
        ((!q->exclusive && conn_overfull(placed)) || (placed->exclusive && !pool_has_spare(p))))
        want = 1;
    while (pool_nconns(p) < p->cf.max_size && opening < want) {
        pool_open_conn(p);
        opening++;
    }
}

static void query_wait(gp_query_t *q, bool front)
{
    gp_pool_t *p = q->pool;
    q->state = Q_WAITING;
    h2o_linklist_insert(front ? p->waiting.next : &p->waiting, &q->link);
    p->nwaiting++;
    if (q->exclusive)
        p->nwaiting_exclusive++;
    q->waited_at = now_us();
    stat_add(&p->stats.waits, 1);
    if (pool_nconns(p) >= p->cf.max_size)
        stat_add(&p->stats.exhausted, 1);
    publish(p);
}

/* Failed by the next tick (never inside the caller's own call): the pool is shutting
 * down, or it is a fail_fast pool with no connection up. */
static void query_reject(gp_query_t *q)
{
    q->state = Q_REJECTED;
    h2o_linklist_insert(&q->pool->rejected, &q->link);
    pool_schedule_tick(q->pool);
}

static bool pool_is_up(const gp_pool_t *p)
{
    return p->counts[CONN_IDLE] + p->counts[CONN_BUSY] > 0;
}

/* A fail_fast pool whose last connection went down: what waits for one goes elsewhere. */
static void pool_reject_waiting(gp_pool_t *p)
{
    if (!p->cf.fail_fast || pool_is_up(p))
        return;
    while (!h2o_linklist_is_empty(&p->waiting)) {
        gp_query_t *q = H2O_STRUCT_FROM_MEMBER(gp_query_t, link, p->waiting.next);
        query_unwait(q);
        query_reject(q);
    }
}

static void query_dispatch(gp_query_t *q, bool front)
{
    gp_pool_t *p = q->pool;
    if (p->shutting_down || (p->cf.fail_fast && !pool_is_up(p))) {
        query_reject(q);
        return;
    }
    if (!h2o_timeout_is_linked(&q->wait))
        h2o_timeout_link(p->loop, &p->acquire, &q->wait);
    q->exclusive = !query_known_fast(q);
    q->expected_us = query_expected_us(q);
    gp_conn_t *c = pool_pick(p, q);
    if (c != NULL)
        conn_enqueue(c, q);
    else
        query_wait(q, front);
    pool_grow(p, c, q);
}

/* Gives waiting queries to connections that take them, oldest first. When no
 * connection takes a fast read, none takes anything: stop there. */
static void pool_drain_waiting(gp_pool_t *p)
{
    h2o_linklist_t *l = p->waiting.next;
    while (l != &p->waiting) {
        gp_query_t *q = H2O_STRUCT_FROM_MEMBER(gp_query_t, link, l);
        l = l->next;
        gp_conn_t *c = pool_pick(p, q);
        if (c == NULL) {
            if (!q->exclusive)
                break;
            continue;
        }
        query_unwait(q);
        conn_enqueue(c, q);
    }
}

/* The acquire timeout bounds every wait before a statement starts: in the acquire
 * queue, or pipelined behind another statement on a connection. */
static void on_acquire_timeout(h2o_timeout_entry_t *e)
{
    gp_query_t *q = H2O_STRUCT_FROM_MEMBER(gp_query_t, wait, e);
    gp_pool_t *p = q->pool;
    char msg[96];
    stat_add(&p->stats.acquire_timeouts, 1);
    switch (q->state) {
    case Q_WAITING:
        query_unwait(q);
        snprintf(msg, sizeof msg, "no database connection available within %d ms", p->cf.acquire_timeout_ms);
        query_fail(q, msg, /* unavailable= */ true);
        return;
    case Q_PENDING:
        conn_drop_pending(q->conn, q);
        conn_update_load_state(q->conn);
        snprintf(msg, sizeof msg, "no database connection available within %d ms", p->cf.acquire_timeout_ms);
        query_fail(q, msg, /* unavailable= */ true);
        return;
    case Q_SENT:
        if (q->forgotten)
            return;
        snprintf(msg, sizeof msg, "the database did not start the statement within %d ms", p->cf.acquire_timeout_ms);
        query_abandon(q, msg);
        return;
    case Q_REJECTED:
    case Q_BACKOFF:
    case Q_DONE:
        return;
    }
}

/* ---- cancelling what nobody waits for ------------------------------------------ */

/* One cancel, owned by its thread until it is written to the pool's socketpair. */
typedef struct cancel_job {
    PGcancel *cancel;
    gp_conn_t *conn; /* only the loop thread reads it */
    int fd;          /* the thread's own dup of the socketpair's write end */
} cancel_job_t;

static void *cancel_main(void *arg)
{
    cancel_job_t *j = arg;
    char err[256];
    int fd = j->fd;
    if (!PQcancel(j->cancel, err, sizeof err))
        gp_warn("pool", "conn %u: cancel failed: %s", j->conn->id, err);
    PQfreeCancel(j->cancel);
    j->cancel = NULL;
    if (send(fd, &j, sizeof j, MSG_NOSIGNAL) != (ssize_t)sizeof j)
        free(j); /* the pool is gone */
    close(fd);
    return NULL;
}

/* Starts a thread that cancels what c's backend runs. c takes no work until it is done. */
static void conn_cancel(gp_conn_t *c, const char *why)
{
    gp_pool_t *p = c->pool;
    cancel_job_t *j = calloc(1, sizeof *j);
    if (j == NULL)
        abort();
    j->conn = c;
    j->cancel = PQgetCancel(c->pg);
    j->fd = fcntl(p->cancel_fds[1], F_DUPFD_CLOEXEC, 0);
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (j->cancel == NULL || j->fd < 0 || pthread_create(&t, &attr, cancel_main, j) != 0) {
        gp_warn("pool", "conn %u: could not start a cancel", c->id);
        if (j->cancel != NULL)
            PQfreeCancel(j->cancel);
        if (j->fd >= 0)
            close(j->fd);
        free(j);
    } else {
        c->cancelling = true;
        p->cancels_running++;
        stat_add(&p->stats.cancels, 1);
        gp_info("pool", "conn %u: cancelling its statement: %s", c->id, why);
    }
    pthread_attr_destroy(&attr);
}

/* An orderly close (or a reset) by the peer; pending bytes (the next pipelined
 * request, HTTP/2 frames) mean it is still there. */
static bool client_gone(int fd)
{
    char b;
    ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* The exclusive head statement runs for a caller that forgot it, or whose client
 * socket closed (h2o does not read an HTTP/1 socket while a request is pending, so
 * only a look at the socket tells): cancel it. Otherwise keep watching. */
static void on_cancel_timer(h2o_timeout_entry_t *e)
{
    gp_conn_t *c = H2O_STRUCT_FROM_MEMBER(gp_conn_t, cancel_timer, e);
    gp_query_t *q = c->fifo_len > 0 ? fifo_peek(c) : NULL;
    if (q == NULL || !q->exclusive || c->cancelling || !conn_ready(c))
        return;
    if (!q->forgotten && q->client_fd >= 0 && client_gone(q->client_fd))
        q->client_fd = -1; /* once: the callback still gets the statement's outcome */
    else if (!q->forgotten) {
        if (q->client_fd >= 0)
            h2o_timeout_link(c->pool->loop, &c->pool->cancel_delay, &c->cancel_timer);
        return;
    }
    conn_cancel(c, "its client left");
}

static void on_cancel_done(h2o_socket_t *sock, const char *err)
{
    gp_pool_t *p = sock->data;
    cancel_job_t *j;
    (void)err;
    while (recv(p->cancel_fds[0], &j, sizeof j, MSG_DONTWAIT) == (ssize_t)sizeof j) {
        gp_conn_t *c = j->conn;
        free(j);
        c->cancelling = false;
        p->cancels_running--;
        if (c->state == CONN_CLOSED || p->shutting_down)
            pool_schedule_tick(p);
        else
            conn_update_load_state(c);
    }
    pool_drain_waiting(p);
}

static bool pool_open_cancel_channel(gp_pool_t *p)
{
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, p->cancel_fds) != 0)
        return false;
    p->cancel_sock = h2o_evloop_socket_create(p->loop, p->cancel_fds[0], H2O_SOCKET_FLAG_DONT_READ);
    p->cancel_sock->data = p;
    h2o_socket_read_start(p->cancel_sock, on_cancel_done);
    return true;
}

/* ---- recycling ------------------------------------------------------------------ */

static void on_ping_result(void *data, const gp_query_result_t *r)
{
    gp_conn_t *c = data;
    c->pinging = false;
    if (h2o_timeout_is_linked(&c->timer))
        h2o_timeout_unlink(&c->timer);
    if (r->error != NULL)
        log_reason(c, "health check", r->error);
}

/* A backend that died quietly (a host gone, a network cut: no FIN reaches us) would
 * take the next statement and hold it until TCP gives up; a ping that goes unanswered
 * (p->ping) breaks the connection first. */
static void conn_ping(gp_conn_t *c)
{
    gp_pool_t *p = c->pool;
    c->pinging = true;
    c->used_at = h2o_now(p->loop);
    stat_add(&p->stats.health_checks, 1);
    if (!conn_send_internal(c, "SELECT 1", on_ping_result, c) || !conn_flush(c))
        return;
    h2o_timeout_link(p->loop, &p->ping, &c->timer);
    conn_update_load_state(c);
}

/* Closes the idle connections past their max lifetime and, with `idle_too`, those idle
 * longer than max_idle beyond min_size; pings those unused for a health-check period.
 * Busy ones are left alone: a connection is never closed under a statement. True when
 * it closed any. */
static bool pool_retire(gp_pool_t *p, bool idle_too)
{
    uint64_t now = h2o_now(p->loop);
    bool closed = false;
    for (h2o_linklist_t *l = p->lists[CONN_IDLE].next; l != &p->lists[CONN_IDLE];) {
        gp_conn_t *c = H2O_STRUCT_FROM_MEMBER(gp_conn_t, link, l);
        l = l->next;
        const char *why = NULL;
        if (conn_expired(c))
            why = "older than --pool-max-lifetime";
        else if (idle_too && p->cf.max_idle_ms > 0 && now - c->used_at >= (uint64_t)p->cf.max_idle_ms &&
                 pool_nconns(p) > p->cf.min_size)
            why = "idle for --pool-max-idle";
        if (why != NULL) {
            stat_add(&p->stats.recycled, 1);
            conn_close(c, why);
            closed = true;
        } else if (idle_too && p->cf.health_check_ms > 0 && now - c->used_at >= (uint64_t)p->cf.health_check_ms) {
            conn_ping(c);
        }
    }
    return closed;
}

/* Opens what min_size and the waiting queries need. */
static void pool_refill(gp_pool_t *p)
{
    while (pool_nconns(p) < p->cf.min_size)
        pool_open_conn(p);
    pool_grow(p, NULL, NULL);
}

static void on_housekeeping(h2o_timeout_entry_t *e)
{
    gp_pool_t *p = H2O_STRUCT_FROM_MEMBER(gp_pool_t, housekeeping_entry, e);
    if (p->shutting_down)
        return;
    pool_retire(p, /* idle_too= */ true);
    pool_refill(p);
    uint64_t now = h2o_now(p->loop);
    int in_use = p->counts[CONN_BUSY];
    if (in_use * 5 <= p->cf.max_size * 4) {
        p->hot_since = 0;
    } else if (p->hot_since == 0) {
        p->hot_since = now;
    } else if (now - p->hot_since >= GP_POOL_HOT_WARN_MS &&
               (p->hot_warned == 0 || now - p->hot_warned >= GP_POOL_HOT_REPEAT_MS)) {
        p->hot_warned = now;
        gp_warn("pool", "%d of this thread's %d connections in use for %llu s (%d queries waiting): raise --pool-max "
                        "or find the slow statements",
                in_use, p->cf.max_size, (unsigned long long)((now - p->hot_since) / 1000), p->nwaiting);
    }
    h2o_timeout_link(p->loop, &p->housekeeping, &p->housekeeping_entry);
}

/* ---- pool tick: deferred work that must not run inside someone's callback ------ */

static void on_tick(h2o_timeout_entry_t *e)
{
    gp_pool_t *p = H2O_STRUCT_FROM_MEMBER(gp_pool_t, tick, e);
    while (!h2o_linklist_is_empty(&p->rejected)) {
        gp_query_t *q = H2O_STRUCT_FROM_MEMBER(gp_query_t, link, p->rejected.next);
        h2o_linklist_unlink(&q->link);
        query_fail(q, p->shutting_down ? "the database pool is shutting down" : "no connection to the database is up",
                   /* unavailable= */ true);
    }
    if (p->shutting_down) {
        while (!h2o_linklist_is_empty(&p->backing_off)) {
            gp_query_t *q = H2O_STRUCT_FROM_MEMBER(gp_query_t, link, p->backing_off.next);
            h2o_linklist_unlink(&q->link);
            query_fail(q, "the database pool is shutting down", /* unavailable= */ true);
        }
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
    if (!p->shutting_down && pool_retire(p, /* idle_too= */ false))
        pool_refill(p);
    for (h2o_linklist_t *l = p->lists[CONN_CLOSED].next; l != &p->lists[CONN_CLOSED];) {
        gp_conn_t *c = H2O_STRUCT_FROM_MEMBER(gp_conn_t, link, l);
        l = l->next;
        if (!c->cancelling)
            conn_free(c);
    }
    if (p->shutting_down && p->done != NULL && pool_nconns(p) == 0 && h2o_linklist_is_empty(&p->rejected) &&
        p->cancels_running == 0) {
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

/* What every request's segment opens with when no session state may be relied on. */
static bool make_prologue(gp_pool_t *p)
{
    char sql[256];
    int n = snprintf(sql, sizeof sql, "SELECT set_config('jit', 'off', true)");
    if (p->cf.statement_timeout_ms > 0 && n > 0 && (size_t)n < sizeof sql)
        n += snprintf(sql + n, sizeof sql - (size_t)n, ", set_config('statement_timeout', '%d', true)",
                      p->cf.statement_timeout_ms);
    if (p->cf.idle_in_transaction_ms > 0 && n > 0 && (size_t)n < sizeof sql)
        n += snprintf(sql + n, sizeof sql - (size_t)n, ", set_config('idle_in_transaction_session_timeout', '%d', true)",
                      p->cf.idle_in_transaction_ms);
    return n > 0 && (size_t)n < sizeof sql && (p->prologue = strdup(sql)) != NULL;
}

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
    if (p->cf.pipeline_us <= 0)
        p->cf.pipeline_us = GP_POOL_PIPELINE_US;
    if (p->cf.acquire_timeout_ms < 1)
        p->cf.acquire_timeout_ms = 1;
    p->next_stmt_id = SLOT_DELETED; /* ids start at 2: 0 and 1 mark empty and deleted slots */
    if (!p->cf.prepared_statements && !make_prologue(p)) {
        free(p);
        return NULL;
    }
    if (!pool_open_cancel_channel(p)) {
        free(p->prologue);
        free(p);
        return NULL;
    }
    for (int i = 0; i < CONN_NSTATES; i++)
        h2o_linklist_init_anchor(&p->lists[i]);
    h2o_linklist_init_anchor(&p->waiting);
    h2o_linklist_init_anchor(&p->rejected);
    h2o_linklist_init_anchor(&p->backing_off);
    for (size_t i = 0; i < GP_POOL_BACKOFF_STEPS; i++)
        h2o_timeout_init(loop, &p->backoff[i], retry_backoff_ms[i]);
    h2o_timeout_init(loop, &p->zero, 0);
    h2o_timeout_init(loop, &p->retry, GP_POOL_RETRY_MS);
    h2o_timeout_init(loop, &p->connect, GP_POOL_CONNECT_TIMEOUT_MS);
    h2o_timeout_init(loop, &p->acquire, (uint64_t)p->cf.acquire_timeout_ms);
    h2o_timeout_init(loop, &p->cancel_delay, GP_POOL_CANCEL_AFTER_MS);
    h2o_timeout_init(loop, &p->housekeeping, GP_POOL_HOUSEKEEPING_MS);
    h2o_timeout_init(loop, &p->ping,
                     (uint64_t)(p->cf.health_check_ms > 0 && p->cf.health_check_ms < GP_POOL_CONNECT_TIMEOUT_MS
                                    ? p->cf.health_check_ms
                                    : GP_POOL_CONNECT_TIMEOUT_MS));
    p->tick.cb = on_tick;
    p->housekeeping_entry.cb = on_housekeeping;
    h2o_timeout_link(loop, &p->housekeeping, &p->housekeeping_entry);
    p->rng = now_us() | 1;
    p->resolver = gp_resolver_create(loop, p->cf.conn_keywords, p->cf.conn_values);
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
    gp_pool_statement_t st = {.sql = sql, .nparams = nparams, .values = values};
    gp_query_t *q = query_new(p, &st, 1);
    uint64_t hash = statement != 0 ? statement : gp_hash64(sql, strlen(sql), GP_POOL_HASH_SEED);
    q->stmt_slot = stmt_lookup(p, hash, sql);
    q->stmt_id = q->stmt_slot != GP_POOL_NO_SLOT ? p->stmts[q->stmt_slot].id : 0;
    q->prepare = statement != 0 && p->cf.prepared_statements;
    q->read_only = read_only;
    q->cb = cb;
    q->data = data;
    q->wait.cb = on_acquire_timeout;
    q->backoff.cb = on_backoff;
    stat_add(&p->stats.queries, 1);
    query_dispatch(q, /* front= */ false);
    return q;
}

/* A write: never known fast, so exclusive on an otherwise idle connection, like any
 * write. Each statement is prepared under the name its text has in the statement table. */
gp_query_t *gp_pool_transaction(gp_pool_t *p, const gp_pool_statement_t *statements, int n,
                                gp_query_cb cb, void *data)
{
    assert(n >= 1);
    gp_query_t *q = query_new(p, statements, n);
    for (int k = 0; k < n && p->cf.prepared_statements; k++) { /* its text follows its document: worth a name */
        const char *sql = statements[k].sql;
        unsigned slot = stmt_lookup(p, gp_hash64(sql, strlen(sql), GP_POOL_HASH_SEED), sql);
        q->names[k].id = slot != GP_POOL_NO_SLOT ? p->stmts[slot].id : 0;
    }
    q->cb = cb;
    q->data = data;
    q->wait.cb = on_acquire_timeout;
    q->backoff.cb = on_backoff;
    stat_add(&p->stats.queries, 1);
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
        query_free(q);
        return;
    case Q_REJECTED:
    case Q_BACKOFF:
        h2o_linklist_unlink(&q->link);
        query_free(q);
        return;
    case Q_PENDING: /* dropped unsent when its connection sends its batch */
        q->forgotten = true;
        q->cb = NULL;
        return;
    case Q_SENT: /* its result is discarded; if it runs alone, it may be cancelled */
        q->forgotten = true;
        q->cb = NULL;
        if (q->exclusive && fifo_peek(q->conn) == q)
            conn_start_head_watch(q->conn);
        return;
    }
}

void gp_pool_query_watch_client(gp_query_t *q, int fd)
{
    q->client_fd = fd;
    if (q->state == Q_SENT && q->exclusive && fifo_peek(q->conn) == q)
        conn_start_head_watch(q->conn);
}

void gp_pool_stats(const gp_pool_t *p, gp_pool_stats_t *out)
{
    const gp_pool_stats_t *s = &p->stats;
#define GAUGE(f) out->f = __atomic_load_n(&s->f, __ATOMIC_RELAXED)
    GAUGE(total), GAUGE(idle), GAUGE(busy), GAUGE(connecting), GAUGE(waiting);
    GAUGE(queries), GAUGE(errors), GAUGE(acquire_timeouts), GAUGE(reconnects), GAUGE(retries), GAUGE(cancels);
    GAUGE(waits), GAUGE(wait_us), GAUGE(exhausted), GAUGE(recycled), GAUGE(health_checks), GAUGE(health_failures);
#undef GAUGE
    out->max = p->cf.max_size;
}

bool gp_pool_is_healthy(const gp_pool_t *p)
{
    return __atomic_load_n(&p->ever_connected, __ATOMIC_RELAXED) &&
           __atomic_load_n(&p->stats.idle, __ATOMIC_RELAXED) + __atomic_load_n(&p->stats.busy, __ATOMIC_RELAXED) > 0;
}

void gp_pool_cancel_running(gp_pool_t *p)
{
    for (h2o_linklist_t *l = p->lists[CONN_BUSY].next; l != &p->lists[CONN_BUSY]; l = l->next) {
        gp_conn_t *c = H2O_STRUCT_FROM_MEMBER(gp_conn_t, link, l);
        if (!c->cancelling && c->fifo_len > 0)
            conn_cancel(c, "the server is stopping");
    }
}

int gp_pool_load(const gp_pool_t *p)
{
    return pool_is_up(p) && !p->shutting_down ? p->nqueries : -1;
}

gp_pool_t *gp_pools_read(const gp_pools_t *ps)
{
    gp_pool_t *best = NULL;
    int least = INT_MAX;
    for (int i = 0; i < ps->nreaders; i++) {
        int load = gp_pool_load(ps->readers[i]);
        if (load >= 0 && load < least) {
            least = load;
            best = ps->readers[i];
        }
    }
    return best != NULL ? best : ps->writer;
}

void gp_pool_shutdown(gp_pool_t *p, void (*done)(void *data), void *data)
{
    assert(!p->shutting_down);
    p->shutting_down = true;
    if (h2o_timeout_is_linked(&p->housekeeping_entry))
        h2o_timeout_unlink(&p->housekeeping_entry);
    p->done = done;
    p->done_data = data;
    pool_schedule_tick(p);
}

static void conn_destroy(gp_conn_t *c)
{
    conn_unwatch(c);
    if (c->pg != NULL)
        PQfinish(c->pg);
    h2o_timeout_entry_t *timers[] = {&c->timer, &c->batch, &c->cancel_timer};
    for (size_t i = 0; i < sizeof timers / sizeof *timers; i++)
        if (h2o_timeout_is_linked(timers[i]))
            h2o_timeout_unlink(timers[i]);
    while (!h2o_linklist_is_empty(&c->pending)) {
        gp_query_t *q = H2O_STRUCT_FROM_MEMBER(gp_query_t, link, c->pending.next);
        h2o_linklist_unlink(&q->link);
        query_free(q);
    }
    for (size_t i = 0; i < c->fifo_len; i++) {
        gp_query_t *q = c->fifo[(c->fifo_head + i) % c->fifo_cap];
        if (q != NULL)
            query_free(q);
    }
    free(c->fifo);
    h2o_linklist_unlink(&c->link);
    free(c);
}

/* Jobs already written back are freed here; a thread still running finds the
 * socketpair closed and frees its own. */
static void pool_close_cancel_channel(gp_pool_t *p)
{
    cancel_job_t *j;
    while (recv(p->cancel_fds[0], &j, sizeof j, MSG_DONTWAIT) == (ssize_t)sizeof j)
        free(j);
    h2o_socket_read_stop(p->cancel_sock);
    h2o_socket_close(p->cancel_sock); /* closes cancel_fds[0] */
    close(p->cancel_fds[1]);
}

void gp_pool_destroy(gp_pool_t *p)
{
    if (p == NULL)
        return;
    gp_resolver_destroy(p->resolver); /* first: it lets go of the connections waiting for it */
    for (int s = 0; s < CONN_NSTATES; s++)
        while (!h2o_linklist_is_empty(&p->lists[s]))
            conn_destroy(H2O_STRUCT_FROM_MEMBER(gp_conn_t, link, p->lists[s].next));
    h2o_linklist_t *queues[] = {&p->waiting, &p->rejected, &p->backing_off};
    for (size_t i = 0; i < 3; i++) {
        while (!h2o_linklist_is_empty(queues[i])) {
            gp_query_t *q = H2O_STRUCT_FROM_MEMBER(gp_query_t, link, queues[i]->next);
            h2o_linklist_unlink(&q->link);
            query_free(q);
        }
    }
    pool_close_cancel_channel(p);
    for (size_t i = 0; i < sizeof p->stmts / sizeof *p->stmts; i++)
        free(p->stmts[i].sql);
    free(p->prologue);
    if (h2o_timeout_is_linked(&p->tick))
        h2o_timeout_unlink(&p->tick);
    if (h2o_timeout_is_linked(&p->housekeeping_entry))
        h2o_timeout_unlink(&p->housekeeping_entry);
    h2o_timeout_dispose(p->loop, &p->housekeeping);
    h2o_timeout_dispose(p->loop, &p->ping);
    for (size_t i = 0; i < GP_POOL_BACKOFF_STEPS; i++)
        h2o_timeout_dispose(p->loop, &p->backoff[i]);
    h2o_timeout_dispose(p->loop, &p->zero);
    h2o_timeout_dispose(p->loop, &p->retry);
    h2o_timeout_dispose(p->loop, &p->connect);
    h2o_timeout_dispose(p->loop, &p->acquire);
    h2o_timeout_dispose(p->loop, &p->cancel_delay);
    free(p);
}
