/* db/pool.h — non-blocking libpq connections living in one worker's h2o event loop.
 * One pool per worker thread (no locks). Connections run in pipeline mode with a sync
 * after every request: each request (one statement, or the statements of one
 * gp_pool_transaction) is its own implicit transaction, and one that fails fails alone.
 * Statements known to be fast (by their full SQL) are pipelined; any other runs last on
 * its connection with nothing behind it, so no statement waits for a slow one. A
 * forgotten request is dropped if unsent, cancelled if it runs long. */
#ifndef GP_POOL_H
#define GP_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

typedef struct gp_pool gp_pool_t;
typedef struct gp_query gp_query_t;

typedef struct gp_pool_config {
    const char *const *conn_keywords; /* for PQconnectStartParams (expand_dbname = 1), NULL-terminated */
    const char *const *conn_values;
    int min_size;                     /* connections opened at start and kept open */
    int max_size;                     /* connections at most */
    int acquire_timeout_ms;           /* a query not started this long after it came fails (503) */
    int max_in_flight;                /* statements queued on one connection at most */
    int pipeline_us;                  /* beyond depth 2, a read joins a busy connection while what is
                                       * queued there is expected to run within this; 0: 500 */
    int statement_timeout_ms;         /* statement_timeout for every statement; 0: leave it */
    int idle_in_transaction_ms;       /* idle_in_transaction_session_timeout likewise; 0: leave it */
    int max_lifetime_ms;              /* a connection this old (less up to a tenth, so that they do not
                                       * all go at once) takes no more work and closes once idle; 0: never */
    int max_idle_ms;                  /* an idle connection beyond min_size closes after this; 0: never */
    int health_check_ms;              /* an idle connection unused this long is pinged (SELECT 1); 0: never */
    /* false (PgBouncer in transaction mode): every statement is sent unnamed and nothing
     * is set for the session. Each request's segment then opens with the pool's own
     * SELECT set_config('jit', 'off', true), set_config('statement_timeout', …, true) (and
     * the idle-in-transaction timeout), since a pooler may run each Sync segment on another
     * server connection. true: named prepared statements per connection, and SET once per
     * connection (the fast path). */
    bool prepared_statements;
    bool fail_fast;                   /* a read replica's: with no connection up, a query fails at once as
                                       * `unavailable` (the caller has another pool to go to) instead of
                                       * waiting out acquire_timeout_ms; the pool keeps reconnecting */
} gp_pool_config_t;

/* The outcome of one query, handed to its callback. At most one of `cell` and
 * `error` is set; neither when the single cell is SQL NULL. `cell` is the single cell
 * of the single row (NUL-terminated); it and the strings are valid only during the
 * callback. */
typedef struct gp_query_result {
    const char *cell;
    size_t cell_len;
    const char *error;        /* message: PostgreSQL's primary message, or the pool's own */
    const char *sqlstate;     /* PostgreSQL's SQLSTATE, or NULL for the pool's own errors */
    const char *constraint;   /* the constraint PostgreSQL names (PG_DIAG_CONSTRAINT_NAME), or NULL */
    int statement;            /* the statement `error` is about (0 for gp_pool_query; the last one for a
                               * result of the wrong shape); -1 on success and for the pool's own
                               * errors that concern no one statement (unavailable, connection lost) */
    bool unavailable;         /* no connection in time (acquire timeout) or the pool shut down: a 503 */
} gp_query_result_t;

typedef void (*gp_query_cb)(void *data, const gp_query_result_t *result);

/* Creates the pool and starts opening min_size connections; never blocks. The
 * config's strings must outlive the pool. */
gp_pool_t *gp_pool_create(h2o_loop_t *loop, const gp_pool_config_t *cf);

/* Sends `sql` with text parameters values[0..nparams) (NULL = SQL NULL; types are
 * cast in the SQL text). Calls cb exactly once — with the result, a database error,
 * or `unavailable` — and never before returning. `sql` and `values` are copied.
 * Read-only statements (`read_only`) are re-sent on another connection if theirs
 * breaks before the result arrived. */
gp_query_t *gp_pool_query(gp_pool_t *p, const char *sql, int nparams, const char *const *values,
                          bool read_only, gp_query_cb cb, void *data);

/* gp_pool_query for a statement that will be sent again and again: each connection
 * prepares it once, so PostgreSQL parses and plans it once per backend instead of per
 * call (sent unnamed, as gp_pool_query does, when the pool's prepared_statements is
 * off). `statement` is nonzero, a hash of `sql` the caller already has; the pool keys
 * its names by the full SQL text, so two texts with the same hash never share one. */
gp_query_t *gp_pool_query_prepared(gp_pool_t *p, uint64_t statement, const char *sql, int nparams,
                                   const char *const *values, bool read_only, gp_query_cb cb, void *data);

/* One statement of a gp_pool_transaction. */
typedef struct gp_pool_statement {
    const char *sql;
    int nparams;
    const char *const *values; /* text parameters, NULL = SQL NULL; types are cast in the SQL */
} gp_pool_statement_t;

/* Runs statements[0..n) in order as ONE transaction: pipelined with a single Sync after
 * the last (PostgreSQL's implicit transaction for a pipeline: one failing statement
 * aborts the rest and nothing is applied; set_config(…, true) in one statement is seen
 * by the next and gone after). cb gets the last statement's single cell (as
 * gp_pool_query), or the first error (and result->statement = its index). Never re-sent
 * once any of it may have reached the server; sent again on another connection only if
 * provably never sent. It runs like a write not known to be fast: on a connection with
 * nothing else outstanding, and nothing is pipelined behind it. Each statement is a
 * prepared statement of its connection (named by its full SQL, as gp_pool_query_prepared
 * names them), so PostgreSQL parses it once per backend; unnamed when the pool's
 * prepared_statements is off. Statements and values are copied. Same callback contract
 * as gp_pool_query; forget and watch_client apply (a cancel rolls the whole transaction
 * back). */
gp_query_t *gp_pool_transaction(gp_pool_t *p, const gp_pool_statement_t *statements, int n,
                                gp_query_cb cb, void *data);

/* The caller no longer wants the result (its client went away): cb will not be
 * called. A statement not sent yet is dropped; one that runs alone on its connection
 * is cancelled if it still runs a moment later; otherwise its result is discarded. The
 * handle is valid until cb has returned (the query is freed then); calling this from
 * inside cb is a no-op. */
void gp_pool_query_forget(gp_query_t *q);

/* While the statement runs alone on its connection, the pool looks at the caller's
 * client socket `fd` now and then; if the peer has closed it, the statement is
 * cancelled (cb still gets its outcome, a 57014 error). For transports whose close
 * does not reach the caller while it waits (h2o 2.2.5 does not read an HTTP/1 socket
 * while a request is pending). `fd` must stay open until cb or gp_pool_query_forget. */
void gp_pool_query_watch_client(gp_query_t *q, int fd);

/* Gauges and counters since the pool started. */
typedef struct gp_pool_stats {
    int total, idle, busy, connecting, waiting, max;
    unsigned long long queries, errors, acquire_timeouts, reconnects, retries, cancels;
    unsigned long long waits;        /* queries that waited for a connection */
    unsigned long long wait_us;      /* how long they waited, all together */
    unsigned long long exhausted;    /* times a query waited with every connection open and taken */
    unsigned long long recycled;     /* connections closed for their age or idleness */
    unsigned long long health_checks, health_failures; /* pings sent; connections they found broken */
} gp_pool_stats_t;

/* From any thread (a snapshot that /health/database and /metrics sum over workers): the
 * pool publishes its numbers with relaxed atomics as it changes them. */
void gp_pool_stats(const gp_pool_t *p, gp_pool_stats_t *out);

/* True once at least one connection has been established since the pool started
 * and one is open now: /health answers 200. */
bool gp_pool_is_healthy(const gp_pool_t *p);

/* On the pool's loop: its queries in flight or waiting (the pool's own among them), or
 * -1 when it has no connection up or shuts down. */
int gp_pool_load(const gp_pool_t *p);

/* One worker's pools: the writer (--database-url) and its read replicas' (fail_fast). */
typedef struct gp_pools {
    gp_pool_t *writer;
    gp_pool_t **readers;
    int nreaders;
} gp_pools_t;

/* On the pools' loop: the pool a read goes to — the reader with a connection up and the
 * least load (the first of equals), else the writer. With no readers: the writer, at
 * the cost of one comparison. */
gp_pool_t *gp_pools_read(const gp_pools_t *ps);

/* Stops accepting queries, fails waiting ones as unavailable, lets in-flight ones
 * finish, closes every connection, then calls done(data) once. */
void gp_pool_shutdown(gp_pool_t *p, void (*done)(void *data), void *data);

/* Cancels the statement running on each connection (the shutdown timeout passed):
 * its caller gets PostgreSQL's 57014 error; what is queued behind it still runs. */
void gp_pool_cancel_running(gp_pool_t *p);

/* Frees the pool and drops any query still in it without calling back (query handles
 * are invalid afterwards). Call it after done has returned, not from inside done (done
 * runs in one of the pool's own timers), and before h2o_evloop_destroy. */
void gp_pool_destroy(gp_pool_t *p);

#endif
