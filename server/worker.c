/* server/worker.c — a worker thread's life: set up, accept and serve, drain, tear down.
 *
 * Stopping is a message on the context's multithread queue, so the loop wakes at
 * once. The order matters: close the listener (no new connections), ask h2o to
 * close idle connections, tell websocket sessions to close once their operations
 * have answered, shut the pool down (queued queries fail as unavailable, running ones
 * finish and answer), wait for the remaining connections to finish their responses
 * and close handshakes, drop the websockets left (their runs hold pool queries) and
 * only then dispose, because h2o cannot tear down a connection whose request still
 * awaits a response. */
#include "server/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "server/http.h"
#include "server/ws.h"

/* After the shutdown timeout, clients get this long to read their last responses. */
#define DRAIN_GRACE_MS 1000
struct gp_worker {
    gp_http_ctx_t ctx;              /* first: handlers find it from req->conn->ctx */
    gp_worker_config_t cf;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    h2o_multithread_receiver_t stop_receiver;
    h2o_multithread_message_t stop_message;
    h2o_multithread_receiver_t publish_receiver; /* new snapshots from main */
    gp_snapshot_slot_t current;     /* the snapshot requests start on (ctx.snapshot points here) */
    pthread_t thread;
    bool stopping;
    int pools_running;              /* pools not shut down yet: the writer's and each replica's */
    int slot;                       /* in held[], for balancing accepts */
    h2o_timeout_t shutdown;         /* --shutdown-timeout, from the stop message */
    h2o_timeout_entry_t shutdown_entry;
    uint64_t deadline;              /* h2o_now() when it passes */
    h2o_timeout_t accept_pause;     /* over its share of connections: let the others accept */
    h2o_timeout_entry_t accept_pause_entry;
    bool paused;                    /* just paused: accept this time, over share or not */

    pthread_mutex_t lock;           /* guards `started`, `setup_failed` while starting */
    pthread_cond_t cond;
    bool started, setup_failed;
};

/* Every worker watches the same listening socket, and every one wakes for each new
 * connection. Left to chance, a burst of clients (wrk's 16 at once) went to the
 * first worker awake, whose database connections then did all the work while the
 * other worker idled. So each worker publishes how many HTTP connections it holds,
 * and one holding more than its share stops accepting for a moment, long enough for
 * a busy machine to schedule the others; then it accepts again, so that a skip never
 * becomes a refusal. */
#define GP_WORKERS_MAX 256
#define GP_ACCEPT_PAUSE_MS 1

static _Atomic int held[GP_WORKERS_MAX]; /* HTTP connections per worker, as last counted */
static _Atomic int nworkers;

static int list_length(const h2o_linklist_t *anchor)
{
    int n = 0;
    for (const h2o_linklist_t *l = anchor->next; l != anchor; l = l->next)
        n++;
    return n;
}

static bool over_share(gp_worker_t *w)
{
    int n = atomic_load(&nworkers);
    int mine = list_length(&w->ctx.h2o.http1._conns) + list_length(&w->ctx.h2o.http2._conns) +
               gp_ws_count(w->ctx.ws); /* an upgraded connection leaves h2o's lists */
    atomic_store(&held[w->slot], mine);
    if (n < 2)
        return false;
    int total = 0;
    for (int i = 0; i < n; i++)
        total += atomic_load(&held[i]);
    return mine * n > total;
}

static void on_accept(h2o_socket_t *listener, const char *err);

static void on_accept_pause_over(h2o_timeout_entry_t *e)
{
    gp_worker_t *w = H2O_STRUCT_FROM_MEMBER(gp_worker_t, accept_pause_entry, e);
    w->paused = true; /* the next wakeup accepts whatever the share says */
    h2o_socket_read_start(w->listener, on_accept);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    gp_worker_t *w = listener->data;
    if (err != NULL)
        return;
    if (over_share(w) && !w->paused) {
        h2o_socket_read_stop(listener);
        h2o_timeout_link(w->ctx.h2o.loop, &w->accept_pause, &w->accept_pause_entry);
        return;
    }
    w->paused = false;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock != NULL)
        h2o_accept(&w->accept_ctx, sock);
}

static void on_pool_done(void *data)
{
    gp_worker_t *w = data;
    w->pools_running--;
}

/* What still runs after --shutdown-timeout is cancelled: its clients get an error
 * instead of the process waiting for it (a statement may run up to --statement-timeout). */
static void on_shutdown_timeout(h2o_timeout_entry_t *e)
{
    gp_worker_t *w = H2O_STRUCT_FROM_MEMBER(gp_worker_t, shutdown_entry, e);
    gp_warn("worker", "worker %d: requests still running after --shutdown-timeout: cancelling their statements",
            w->cf.id);
    gp_pool_cancel_running(w->ctx.pools.writer);
    for (int i = 0; i < w->ctx.pools.nreaders; i++)
        gp_pool_cancel_running(w->ctx.pools.readers[i]);
}

static void on_stop(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    gp_worker_t *w = H2O_STRUCT_FROM_MEMBER(gp_worker_t, stop_receiver, receiver);
    while (!h2o_linklist_is_empty(messages))
        h2o_linklist_unlink(messages->next);
    if (w->stopping)
        return;
    w->stopping = true;
    if (h2o_timeout_is_linked(&w->accept_pause_entry))
        h2o_timeout_unlink(&w->accept_pause_entry);
    h2o_socket_read_stop(w->listener);
    h2o_socket_close(w->listener);
    w->listener = NULL;
    h2o_context_request_shutdown(&w->ctx.h2o);
    /* h2o 2.2.5 closes no idle HTTP/1 keep-alive connection here (measured: a client's
     * pooled connection held the drain until it gave up). Their wait for the next
     * request runs on this timeout: at 0, the loop's next turn closes them. Requests in
     * flight are not on it, and their replies say Connection: close (reply.c). */
    w->ctx.h2o.http1.req_timeout.timeout = 0;
    w->deadline = h2o_now(w->ctx.h2o.loop) + w->cf.shutdown_timeout_ms;
    h2o_timeout_link(w->ctx.h2o.loop, &w->shutdown, &w->shutdown_entry);
    gp_ws_stop(w->ctx.ws); /* each socket closes 1001 once its operations have answered */
    gp_pool_shutdown(w->ctx.pools.writer, on_pool_done, w);
    for (int i = 0; i < w->ctx.pools.nreaders; i++)
        gp_pool_shutdown(w->ctx.pools.readers[i], on_pool_done, w);
}

/* A snapshot on its way from main; it carries the worker's reference. */
typedef struct {
    h2o_multithread_message_t super;
    gp_snapshot_t *snap;
} publish_t;

/* Requests that started on the old snapshot hold references of their own. */
static void on_publish(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    gp_worker_t *w = H2O_STRUCT_FROM_MEMBER(gp_worker_t, publish_receiver, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        publish_t *m = H2O_STRUCT_FROM_MEMBER(publish_t, super.link, messages->next);
        h2o_linklist_unlink(&m->super.link);
        gp_snapshot_unref(w->current);
        w->current = m->snap;
        free(m);
    }
}

static void signal_started(gp_worker_t *w, bool failed)
{
    pthread_mutex_lock(&w->lock);
    w->started = true;
    w->setup_failed = failed;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static bool has_connections(gp_http_ctx_t *ctx)
{
    return !h2o_linklist_is_empty(&ctx->h2o.http1._conns) || !h2o_linklist_is_empty(&ctx->h2o.http2._conns) ||
           gp_ws_count(ctx->ws) > 0;
}

/* Runs the loop until the last connection (websockets included) closed, or the
 * shutdown timeout and a grace passed. Connections that remain must not be disposed. */
static void drain(gp_worker_t *w)
{
    h2o_loop_t *loop = w->ctx.h2o.loop;
    uint64_t deadline = (w->deadline > h2o_now(loop) ? w->deadline : h2o_now(loop)) + DRAIN_GRACE_MS;
    while (has_connections(&w->ctx) && h2o_now(loop) < deadline) {
        int failed = h2o_evloop_run(loop, 100);
        gp_log_flush();
        if (failed != 0)
            return;
    }
}

static void teardown(gp_worker_t *w)
{
    h2o_context_t *ctx = &w->ctx.h2o;
    h2o_loop_t *loop = ctx->loop;
    if (h2o_timeout_is_linked(&w->shutdown_entry))
        h2o_timeout_unlink(&w->shutdown_entry);
    drain(w);
    h2o_multithread_unregister_receiver(ctx->queue, &w->stop_receiver);
    while (!h2o_linklist_is_empty(&w->publish_receiver._messages)) /* main publishes no more: it joins us */
        on_publish(&w->publish_receiver, &w->publish_receiver._messages);
    h2o_multithread_unregister_receiver(ctx->queue, &w->publish_receiver);
    if (gp_ws_count(w->ctx.ws) > 0)
        gp_warn("worker", "worker %d: dropping %d websocket sessions still open after --shutdown-timeout", w->cf.id,
                gp_ws_count(w->ctx.ws));
    gp_metrics_attach(w->ctx.counts, NULL, NULL); /* before what it reads goes */
    gp_ws_abort(w->ctx.ws); /* their runs hold pool queries */
    gp_live_free(w->ctx.live); /* so do refreshes */
    gp_pool_destroy(w->ctx.pools.writer);
    for (int i = 0; i < w->ctx.pools.nreaders; i++)
        gp_pool_destroy(w->ctx.pools.readers[i]);
    free(w->ctx.pools.readers);
    if (has_connections(&w->ctx)) {
        /* Disposing would free what live connections still point at; the process
         * is exiting anyway. */
        gp_warn("worker", "worker %d: connections still open after --shutdown-timeout; not disposing its loop",
                w->cf.id);
        return;
    }
    /* request_shutdown links this entry even without HTTP/2 connections, and
     * h2o_context_dispose asserts that its timeouts are empty. */
    if (h2o_timeout_is_linked(&ctx->http2._graceful_shutdown_timeout))
        h2o_timeout_unlink(&ctx->http2._graceful_shutdown_timeout);
    h2o_evloop_run(loop, 0); /* let closed sockets be freed */
    h2o_timeout_dispose(loop, &w->accept_pause);
    h2o_timeout_dispose(loop, &w->shutdown);
    gp_ws_ctx_free(w->ctx.ws);
    gp_plan_cache_free(w->ctx.plans);
    gp_snapshot_unref(w->current);
    h2o_context_dispose(ctx);
    h2o_evloop_destroy(loop);
}

/* The writer's pool and one per read replica; a half-made set is left to the exiting
 * process, as a half-built loop is. */
static bool create_pools(gp_worker_t *w, h2o_loop_t *loop)
{
    gp_pools_t *ps = &w->ctx.pools;
    ps->writer = gp_pool_create(loop, &w->cf.pool);
    ps->readers = calloc((size_t)w->cf.nreplicas + 1, sizeof *ps->readers);
    if (ps->writer == NULL || ps->readers == NULL) {
        gp_error("worker", "worker %d: cannot create its database pool", w->cf.id);
        return false;
    }
    for (ps->nreaders = 0; ps->nreaders < w->cf.nreplicas; ps->nreaders++)
        if ((ps->readers[ps->nreaders] = gp_pool_create(loop, &w->cf.replicas[ps->nreaders])) == NULL) {
            gp_error("worker", "worker %d: cannot create the pool of read replica %d", w->cf.id, ps->nreaders);
            return false;
        }
    w->pools_running = 1 + ps->nreaders;
    return true;
}

static bool setup(gp_worker_t *w)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    h2o_context_init(&w->ctx.h2o, loop, w->cf.h2o);
    h2o_multithread_register_receiver(w->ctx.h2o.queue, &w->stop_receiver, on_stop);
    h2o_multithread_register_receiver(w->ctx.h2o.queue, &w->publish_receiver, on_publish);
    w->ctx.snapshot = &w->current;
    w->ctx.plan_cache = w->cf.plan_cache;
    w->ctx.compile = w->cf.compile;
    w->ctx.dev = w->cf.dev;
    w->accept_ctx.ctx = &w->ctx.h2o;
    w->accept_ctx.hosts = w->cf.h2o->hosts;

    int fd = fcntl(w->cf.listen_fd, F_DUPFD_CLOEXEC, 0);
    if (fd == -1) {
        gp_error("worker", "worker %d: cannot dup the listening socket: %s", w->cf.id, strerror(errno));
        return false;
    }
    if (!create_pools(w, loop)) {
        close(fd);
        return false;
    }
    h2o_timeout_init(loop, &w->accept_pause, GP_ACCEPT_PAUSE_MS);
    h2o_timeout_init(loop, &w->shutdown, w->cf.shutdown_timeout_ms);
    w->shutdown_entry.cb = on_shutdown_timeout;
    w->ctx.ws = gp_ws_ctx_new(&w->ctx.h2o, &w->cf.ws);
    w->ctx.live = gp_live_new(&w->ctx.h2o, &w->ctx.pools, &w->cf.live, w->cf.live_hub, w->cf.id);
    w->ctx.metrics = w->cf.metrics;
    w->ctx.counts = gp_metrics_worker(w->cf.metrics, w->cf.id);
    gp_metrics_attach(w->ctx.counts, &w->ctx.pools, w->ctx.live);
    w->accept_pause_entry.cb = on_accept_pause_over;
    w->listener = h2o_evloop_socket_create(loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    w->listener->data = w;
    h2o_socket_read_start(w->listener, on_accept);
    return true;
}

static void *run(void *arg)
{
    gp_worker_t *w = arg;
    if (!setup(w)) {
        signal_started(w, /* failed= */ true);
        return NULL;
    }
    signal_started(w, /* failed= */ false);
    gp_debug("worker", "worker %d serving", w->cf.id);
    gp_log_buffer(true);
    /* EINTR is no failure: a stopped and continued process, or a debugger attaching,
     * interrupts epoll_wait even where no handler runs (signal(7)). */
    while (w->pools_running > 0) {
        int failed = h2o_evloop_run(w->ctx.h2o.loop, INT32_MAX) != 0 && errno != EINTR ? errno : 0;
        gp_log_flush(); /* before the next turn may sleep */
        if (failed != 0) {
            gp_error("worker", "worker %d: event loop failed: %s", w->cf.id, strerror(failed));
            abort(); /* an epoll failure leaves nothing to serve with */
        }
    }
    teardown(w);
    gp_log_buffer(false);
    gp_debug("worker", "worker %d stopped", w->cf.id);
    return NULL;
}

gp_worker_t *gp_worker_start(const gp_worker_config_t *wc)
{
    gp_worker_t *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->cf = *wc;
    w->slot = atomic_fetch_add(&nworkers, 1);
    if (w->slot >= GP_WORKERS_MAX) { /* beyond the table: not balanced, never counted */
        atomic_fetch_sub(&nworkers, 1);
        w->slot = GP_WORKERS_MAX - 1;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        gp_error("worker", "worker %d: cannot create its thread", wc->id);
        goto Error;
    }
    pthread_mutex_lock(&w->lock);
    while (!w->started)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
    if (!w->setup_failed)
        return w;
    pthread_join(w->thread, NULL); /* a half-built loop is left to the exiting process */
Error:
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
    return NULL;
}

void gp_worker_changed(gp_worker_t *w, const char *payload)
{
    gp_live_post(w->ctx.live, payload);
}

void gp_worker_publish(gp_worker_t *w, gp_snapshot_t *snap)
{
    publish_t *m = calloc(1, sizeof *m);
    if (m == NULL)
        abort();
    m->snap = gp_snapshot_ref(snap);
    h2o_multithread_send_message(&w->publish_receiver, &m->super);
}

void gp_worker_stop(gp_worker_t *w)
{
    h2o_multithread_send_message(&w->stop_receiver, &w->stop_message);
}

void gp_worker_join(gp_worker_t *w)
{
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
