/* server/main.c — the composition root: config → database → model → workers →
 * wait for SIGINT/SIGTERM → graceful shutdown. The only place that creates and
 * wires the long-lived objects. Everything before the workers start is blocking
 * and single-threaded on purpose: no event loop runs yet. */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/arena.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "db/listen.h"
#include "db/triggers.h"
#include "resolvers/sql.h"
#include "schema/catalog.h"
#include "schema/sdl.h"
#include "schema/types.h"
#include "server/config.h"
#include "server/http.h"
#include "server/snapshot.h"
#include "server/worker.h"

#define CONNECT_BACKOFF_FIRST_MS 250
#define CONNECT_BACKOFF_MAX_MS 30000
#define POOL_MAX_IN_FLIGHT 32
#define SDL_MAX (256u << 20)

extern char **environ;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Sleeps `ms` unless SIGINT/SIGTERM (blocked, so they wait pending) arrives first;
 * returns the signal, or 0 after the full sleep. */
static int sleep_or_signal(const sigset_t *signals, int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    double until = now_ms() + ms;
    for (;;) {
        int sig = sigtimedwait(signals, NULL, &ts);
        if (sig > 0)
            return sig;
        double left = until - now_ms();
        if (errno != EINTR || left <= 0)
            return 0;
        ts.tv_sec = (time_t)(left / 1e3);
        ts.tv_nsec = (long)((left - (double)ts.tv_sec * 1e3) * 1e6);
    }
}

/* A libpq message as one log line, rewritten in place (gp_log_one_line). */
static const char *one_line(char *msg)
{
    return gp_log_one_line(msg, strlen(msg) + 1, msg);
}

/* Blocks until the database answers, retrying with exponential backoff (a server
 * waits for its database to come up); returns NULL if a stop signal came first. With
 * `once` (a one-shot command such as --print-schema, which nobody restarts), the
 * first failure is final. */
static PGconn *connect_database(const gp_config_t *cf, const sigset_t *signals, bool once)
{
    int delay = CONNECT_BACKOFF_FIRST_MS;
    for (int attempt = 1;; attempt++) {
        PGconn *pg = PQconnectdbParams(cf->conn_keywords, cf->conn_values, /* expand_dbname= */ 1);
        if (pg != NULL && PQstatus(pg) == CONNECTION_OK)
            return pg;
        const char *why = pg != NULL ? one_line(PQerrorMessage(pg)) : "out of memory";
        if (once) {
            gp_error("db", "cannot connect: %s", why);
            PQfinish(pg);
            return NULL;
        }
        gp_warn("db", "cannot connect (attempt %d): %s; retrying in %.2g s", attempt, why, delay / 1e3);
        PQfinish(pg);
        if (sleep_or_signal(signals, delay) != 0)
            return NULL;
        delay = delay * 2 > CONNECT_BACKOFF_MAX_MS ? CONNECT_BACKOFF_MAX_MS : delay * 2;
    }
}

/* The schemas as a text[] literal: {"public","my \"odd\" schema"}. */
static gp_model_t *read_catalog(PGconn *pg, const gp_config_t *cf)
{
    double t0 = now_ms();
    gp_arena_t *a = gp_arena_new(1024);
    const char *param = gp_sql_array_literal(a, cf->schemas, cf->nschemas);
    /* The statement's estimated cost passes jit_above_cost on catalogs with many functions,
     * and compiling it took seconds where running it takes milliseconds. SET LOCAL: through
     * a transaction pooler a session's SET would stay behind on a server connection that
     * others use next, and the next statement might run on another one. */
    PQclear(PQexec(pg, "BEGIN; SET LOCAL jit = off"));
    PGresult *res = PQexecParams(pg, gp_catalog_sql, 1, NULL, &param, NULL, NULL, 0);
    PQclear(PQexec(pg, "COMMIT"));
    gp_arena_free(a);
    gp_model_t *model = NULL;
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQnfields(res) != 1 ||
        PQgetisnull(res, 0, 0)) {
        gp_error("schema", "the catalog query failed: %s",
                 PQresultStatus(res) == PGRES_TUPLES_OK ? "no result" : one_line(PQresultErrorMessage(res)));
        goto Done;
    }
    char err[512] = "";
    model = gp_model_load(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0), (const char *const *)cf->schemas,
                          cf->nschemas, err, sizeof err);
    if (model == NULL) {
        gp_error("schema", "cannot build the model: %s", err);
        goto Done;
    }
    gp_info("schema", "introspected %d tables in %.0f ms (schemas: %s)", model->ntables, now_ms() - t0, cf->schema);
Done:
    PQclear(res);
    return model;
}

static int print_schema(const gp_model_t *model)
{
    gp_arena_t *a = gp_arena_new(1 << 16);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, SDL_MAX);
    gp_sdl_print(model, &sb);
    int status = 0;
    if (sb.error) {
        fprintf(stderr, "graphpost: the schema is too large to print\n");
        status = 1;
    } else if (fwrite(sb.data, 1, sb.len, stdout) != sb.len || fflush(stdout) != 0) {
        status = 1;
    }
    gp_arena_free(a);
    return status;
}

/* Binds once, without SO_REUSEPORT: every worker accepts on a dup() of this socket,
 * and a second graphpost on the same port fails here instead of silently taking
 * half of the traffic. */
static int listen_on(const gp_config_t *cf)
{
    char port[16];
    snprintf(port, sizeof port, "%d", cf->port);
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM}, *res;
    int rc = getaddrinfo(cf->host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "graphpost: cannot listen on %s:%d: %s\n", cf->host, cf->port, gai_strerror(rc));
        return -1;
    }
    int fd = -1, saved = 0;
    for (struct addrinfo *ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
        int on = 1;
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
            bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
            saved = errno;
            if (fd != -1)
                close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd == -1)
        fprintf(stderr, "graphpost: cannot listen on %s:%d: %s\n", cf->host, cf->port, strerror(saved));
    return fd;
}

typedef struct workers {
    h2o_globalconf_t conf;
    gp_pool_config_t *replicas; /* the worker being started's replica pools: its own, copied */
    gp_worker_t **all;
    int started;
    gp_live_hub_t *live_hub;
    gp_metrics_t *metrics;
} workers_t;

/* A read replica's pool: the writer's sizes and settings, its own connection, at least
 * one connection kept open (its reconnecting is how the pool finds the replica back up
 * after an outage), and no waiting for a connection while none is up: reads go to the
 * writer meanwhile. */
static gp_pool_config_t replica_pool(const gp_pool_config_t *writer, const gp_config_replica_t *r)
{
    gp_pool_config_t pc = *writer;
    pc.conn_keywords = r->conn_keywords;
    pc.conn_values = r->conn_values;
    pc.min_size = pc.min_size > 0 ? pc.min_size : 1;
    pc.fail_fast = true;
    return pc;
}

static int start_workers(workers_t *ws, const gp_config_t *cf, int listen_fd)
{
    h2o_config_init(&ws->conf);
    gp_http_limits_t limits = {(size_t)cf->max_response_bytes, (size_t)cf->max_request_memory,
                               (uint64_t)cf->send_timeout_ms, (uint64_t)cf->slow_query_ms};
    gp_http_configure(&ws->conf, (size_t)cf->max_body, &limits);
    ws->all = calloc((size_t)cf->threads, sizeof *ws->all);
    ws->live_hub = gp_live_hub_new(cf->threads);
    const char **addresses = calloc((size_t)cf->nreplicas + 1, sizeof *addresses);
    for (int i = 0; i < cf->nreplicas; i++)
        addresses[i] = cf->replicas[i].address;
    ws->metrics = gp_metrics_new(cf->threads, addresses, cf->nreplicas);
    free(addresses);
    ws->replicas = calloc((size_t)cf->nreplicas + 1, sizeof *ws->replicas);
    for (ws->started = 0; ws->started < cf->threads; ws->started++) {
        gp_worker_config_t wc = {
            .id = ws->started,
            .h2o = &ws->conf,
            .plan_cache = cf->plan_cache,
            .compile = {.max_rows = cf->max_rows},
            .dev = cf->dev,
            .listen_fd = listen_fd,
            .pool = {.conn_keywords = cf->conn_keywords,
                     .conn_values = cf->conn_values,
                     .min_size = gp_config_pool_share(cf, cf->pool_min, ws->started),
                     .max_size = gp_config_pool_share(cf, cf->pool_max, ws->started),
                     .acquire_timeout_ms = cf->pool_acquire_timeout_ms,
                     .max_in_flight = POOL_MAX_IN_FLIGHT,
                     .statement_timeout_ms = cf->statement_timeout_ms,
                     .idle_in_transaction_ms = cf->idle_in_transaction_timeout_ms,
                     .max_lifetime_ms = cf->pool_max_lifetime_ms,
                     .max_idle_ms = cf->pool_max_idle_ms,
                     .health_check_ms = cf->pool_health_check_ms,
                     .prepared_statements = cf->prepared_statements},
            .ws = {(uint64_t)cf->ws_init_timeout_ms, (uint64_t)cf->ws_keepalive_ms, (size_t)cf->max_body},
            .live = {cf->live_coalesce_ms, cf->live_poll_ms, (size_t)cf->max_response_bytes,
                     (size_t)cf->max_request_memory},
            .live_hub = ws->live_hub,
            .metrics = ws->metrics,
            .shutdown_timeout_ms = (uint64_t)cf->shutdown_timeout_ms,
        };
        for (int i = 0; i < cf->nreplicas; i++)
            ws->replicas[i] = replica_pool(&wc.pool, &cf->replicas[i]);
        wc.replicas = ws->replicas;
        wc.nreplicas = cf->nreplicas;
        if ((ws->all[ws->started] = gp_worker_start(&wc)) == NULL)
            return -1;
    }
    gp_info("server", "listening on http://%s:%d/graphql with %d threads", cf->host, cf->port, cf->threads);
    return 0;
}

/* Lets requests in flight finish; takes listen_fd and closes it. */
static void stop_workers(workers_t *ws, int listen_fd)
{
    for (int i = 0; i < ws->started; i++)
        gp_worker_stop(ws->all[i]);
    close(listen_fd); /* with the workers' copies closed too, new connections are refused */
    for (int i = 0; i < ws->started; i++)
        gp_worker_join(ws->all[i]);
    free(ws->all);
    free(ws->replicas);
    gp_live_hub_free(ws->live_hub);
    gp_metrics_free(ws->metrics);
    h2o_config_dispose(&ws->conf);
}

/* The next of `signals` to come. */
static int wait_for_signal(const sigset_t *signals)
{
    int sig;
    while (sigwait(signals, &sig) != 0)
        ;
    return sig;
}

/* A migration is many statements, each transaction one NOTIFY: reload once they
 * paused for RELOAD_QUIET_MS, or RELOAD_WAIT_MAX_MS after the first at the latest. */
#define RELOAD_QUIET_MS 100
#define RELOAD_WAIT_MAX_MS 500

static void absorb_reload_requests(void)
{
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    double until = now_ms() + RELOAD_WAIT_MAX_MS;
    struct timespec quiet = {0, RELOAD_QUIET_MS * 1000000L};
    while (now_ms() < until && sigtimedwait(&hup, NULL, &quiet) == SIGHUP)
        ;
}

/* The NOTIFY channel of graphpost's triggers (db/triggers.h) and of its listener. */
#define CHANGE_CHANNEL "graphpost_change"

/* Makes the NOTIFY trigger's functions (db/triggers.h) for the tables of `model` (not
 * views: they have no statements of their own to report); a bit per table that has the
 * trigger or may get it, or NULL when none does. Live queries over the rest are polled. */
static uint8_t *install_triggers(PGconn *pg, const gp_model_t *model)
{
    int n = model->ntables;
    const char **names = calloc((size_t)n + 1, sizeof *names);
    int *index = calloc((size_t)n + 1, sizeof *index);
    bool *done = calloc((size_t)n + 1, sizeof *done);
    uint8_t *bits = calloc((size_t)n / 8 + 1, 1);
    if (names == NULL || index == NULL || done == NULL || bits == NULL)
        abort();
    int k = 0;
    for (int i = 0; i < n; i++) {
        const gp_table_t *t = &model->tables[i];
        if (t->kind == GP_TABLE_ORDINARY || t->kind == GP_TABLE_PARTITIONED) {
            index[k] = i;
            names[k++] = t->sql_name;
        }
    }
    char err[512] = "";
    int got = gp_triggers_install(pg, CHANGE_CHANNEL, names, k, done, err, sizeof err);
    if (got < 0)
        gp_warn("live", "cannot install the NOTIFY triggers (%s): live queries are polled (--live-poll-ms)", err);
    else
        gp_info("live", "%d of %d tables can have the NOTIFY trigger (each gets it when a live query first reads "
                        "it); live queries over the rest and over views are polled",
                got, k);
    for (int j = 0; got > 0 && j < k; j++)
        if (done[j])
            bits[index[j] / 8] |= (uint8_t)(1u << (index[j] % 8));
    free(names);
    free(index);
    free(done);
    if (got > 0)
        return bits;
    free(bits);
    return NULL;
}

/* Connects (retrying until a stop signal) and introspects; with `triggered`, also
 * installs the NOTIFY triggers (unless --no-triggers) and says where. NULL when
 * stopped by a signal, or with *failed set when introspection failed. */
static gp_model_t *load_model(const gp_config_t *cf, const sigset_t *signals, bool once, bool *failed,
                              uint8_t **triggered)
{
    *failed = false;
    PGconn *pg = connect_database(cf, signals, once);
    if (pg == NULL) {
        *failed = once;
        if (!once)
            gp_info("server", "stopped before the database was reachable");
        return NULL;
    }
    gp_model_t *model = read_catalog(pg, cf);
    if (model != NULL && triggered != NULL && !cf->no_triggers && !cf->listen)
        gp_warn("live", "--prepared-statements off and no --listen-database-url: live queries are polled every %d ms "
                        "(LISTEN needs a session of its own, which a transaction pooler does not keep; point "
                        "--listen-database-url straight at PostgreSQL to have changes pushed)",
                cf->live_poll_ms);
    if (model != NULL && triggered != NULL)
        *triggered = cf->no_triggers || !cf->listen ? NULL : install_triggers(pg, model);
    if (model != NULL && triggered != NULL && *triggered != NULL) {
        char err[512] = "";
        if (!gp_triggers_install_ddl(pg, CHANGE_CHANNEL, err, sizeof err))
            gp_info("schema", "no DDL event trigger (%s): after a schema change, send SIGHUP to reload", err);
    }
    PQfinish(pg);
    *failed = model == NULL;
    return model;
}

/* A NOTIFY (or a reconnect: payload NULL), on the listener's thread: every worker
 * hears of a table's change; a schema change (the DDL event triggers) wakes main,
 * which reloads as on SIGHUP. */
static void on_change(void *data, const char *payload)
{
    const workers_t *ws = data;
    if (payload != NULL && strcmp(payload, GP_TRIGGERS_DDL_PAYLOAD) == 0) {
        kill(getpid(), SIGHUP);
        return;
    }
    if (payload != NULL)
        gp_metrics_notified(ws->metrics);
    for (int i = 0; i < ws->started; i++)
        gp_worker_changed(ws->all[i], payload);
}

/* The process's listener, which every snapshot's live queries reach (snapshot.h). */
static gp_snapshot_listener_t listener = {PTHREAD_MUTEX_INITIALIZER, NULL};

/* A snapshot of `model` for every worker; starts the listener the first time a model
 * has triggered tables. */
static gp_snapshot_t *publish(const gp_config_t *cf, workers_t *ws, gp_model_t *model, uint8_t *triggered,
                              uint64_t version)
{
    gp_snapshot_t *snap = gp_snapshot_new(model, version);
    snap->schema->stringify_numeric = cf->stringify_numeric; /* before any worker can see it */
    snap->triggered = triggered;
    snap->listener = &listener;
    if (triggered != NULL && listener.listen == NULL)
        listener.listen = gp_listen_start(cf->listen_keywords, cf->listen_values, CHANGE_CHANNEL, on_change, ws);
    for (int i = 0; i < ws->started; i++)
        gp_worker_publish(ws->all[i], snap);
    return snap;
}

/* SIGHUP, or a DDL notification: a new snapshot from the catalog as it is now, for the
 * requests that start from then on; those running finish on theirs. NULL (after saying
 * why) when the database cannot be read: the current snapshot stays. */
static gp_snapshot_t *reload(const gp_config_t *cf, const sigset_t *stop, workers_t *ws, uint64_t version)
{
    double t0 = now_ms();
    bool failed;
    uint8_t *triggered = NULL;
    gp_model_t *model = load_model(cf, stop, /* once= */ true, &failed, &triggered);
    if (model == NULL) {
        gp_error("schema", "reload failed: the schema stays as it was");
        return NULL;
    }
    gp_snapshot_t *snap = publish(cf, ws, model, triggered, version);
    gp_info("schema", "reloaded: schema version %llu, %d tables, in %.0f ms", (unsigned long long)version,
            model->ntables, now_ms() - t0);
    return snap;
}

/* Serves from the start, /live and /health included, while the database may still
 * be unreachable; /graphql answers once the schema is loaded. `stop` are the signals
 * that end it; SIGHUP reloads the schema. */
static int serve(const gp_config_t *cf, const sigset_t *stop)
{
    int listen_fd = listen_on(cf);
    if (listen_fd == -1)
        return 1;
    workers_t ws = {0};
    int status = 1;
    gp_model_t *model = NULL;
    gp_snapshot_t *snap = NULL;
    bool failed = false;
    uint8_t *triggered = NULL;
    if (start_workers(&ws, cf, listen_fd) == 0 &&
        (model = load_model(cf, stop, /* once= */ false, &failed, &triggered)) != NULL) {
        snap = publish(cf, &ws, model, triggered, 1);
        sigset_t waited = *stop;
        sigaddset(&waited, SIGHUP);
        int sig;
        while ((sig = wait_for_signal(&waited)) == SIGHUP) {
            absorb_reload_requests();
            gp_snapshot_t *next = reload(cf, stop, &ws, snap->version + 1);
            if (next != NULL) {
                gp_snapshot_unref(snap);
                snap = next;
            }
        }
        gp_info("server", "%s: finishing requests in flight, then exiting", sig == SIGINT ? "SIGINT" : "SIGTERM");
        pthread_mutex_lock(&listener.lock); /* the workers' cohorts may still end: they find none */
        gp_listen_t *l = listener.listen;
        listener.listen = NULL;
        pthread_mutex_unlock(&listener.lock);
        gp_listen_stop(l); /* before the workers: nothing is posted to them after */
        status = 0;
    } else if (ws.started == cf->threads && !failed) {
        status = 0; /* stopped by a signal while connecting */
    }
    stop_workers(&ws, listen_fd);
    gp_snapshot_unref(snap); /* the workers dropped theirs */
    return status;
}

int main(int argc, char **argv)
{
    /* Block the stop signals in every thread; main takes them with sigwait. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigset_t blocked = signals; /* SIGHUP too: main takes it to reload the schema */
    sigaddset(&blocked, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &blocked, NULL);
    signal(SIGPIPE, SIG_IGN);

    gp_config_t cf;
    char err[512];
    int status = 1;
    switch (gp_config_parse(&cf, argc, argv, environ, err, sizeof err)) {
    case GP_CONFIG_HELP:
        gp_config_usage(stdout);
        gp_config_free(&cf);
        return 0;
    case GP_CONFIG_ERROR:
        fprintf(stderr, "graphpost: %s\n", err);
        gp_config_free(&cf);
        return 2;
    case GP_CONFIG_OK:
        break;
    }
    gp_log_level = (gp_log_level_t)cf.log_level;
    gp_log_format = cf.log_json ? GP_LOG_JSON : GP_LOG_TEXT;
    gp_info("config", "%s", gp_config_describe(&cf));

    if (cf.print_schema) {
        bool failed;
        gp_model_t *model = load_model(&cf, &signals, /* once= */ true, &failed, NULL);
        status = model != NULL ? print_schema(model) : failed;
        if (model != NULL)
            gp_model_free(model);
        goto Done;
    }
    status = serve(&cf, &signals);
    if (status == 0)
        gp_info("server", "stopped");
Done:
    gp_config_free(&cf);
    return status;
}
