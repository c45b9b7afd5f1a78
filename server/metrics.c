/* server/metrics.c — counting per worker, summing and rendering under one lock. */
#include "server/metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "server/live.h"

/* Upper bounds of the latency histogram's buckets, in seconds (+Inf follows). */
static const double bucket_le[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKETS (sizeof bucket_le / sizeof *bucket_le)

static const char *const kind_names[GP_OP_KINDS] = {"query", "mutation", "subscription", "batch", "unknown"};
static const char *const outcome_names[GP_OP_OUTCOMES] = {"ok", "rejected", "failed"};

struct gp_worker_metrics {
    unsigned long long requests[GP_OP_KINDS][GP_OP_OUTCOMES];
    unsigned long long buckets[GP_OP_KINDS][NBUCKETS + 1]; /* not cumulative; the last is +Inf */
    unsigned long long sum_us[GP_OP_KINDS];
    const gp_pool_t *pool;       /* under the registry's lock */
    const gp_live_t *live;
    gp_metrics_t *registry;
};

struct gp_metrics {
    pthread_mutex_t lock;
    struct timespec started;
    unsigned long long notifications;
    int n;
    gp_worker_metrics_t workers[];
};

static unsigned long long load(const unsigned long long *counter)
{
    return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

static void add(unsigned long long *counter, unsigned long long n)
{
    __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

gp_metrics_t *gp_metrics_new(int workers)
{
    gp_metrics_t *m = calloc(1, sizeof *m + sizeof m->workers[0] * (size_t)workers);
    if (m == NULL)
        abort();
    pthread_mutex_init(&m->lock, NULL);
    clock_gettime(CLOCK_MONOTONIC, &m->started);
    m->n = workers;
    for (int i = 0; i < workers; i++)
        m->workers[i].registry = m;
    return m;
}

void gp_metrics_free(gp_metrics_t *m)
{
    if (m == NULL)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

gp_worker_metrics_t *gp_metrics_worker(gp_metrics_t *m, int id)
{
    return &m->workers[id];
}

void gp_metrics_attach(gp_worker_metrics_t *w, const gp_pool_t *pool, const gp_live_t *live)
{
    pthread_mutex_lock(&w->registry->lock);
    w->pool = pool;
    w->live = live;
    pthread_mutex_unlock(&w->registry->lock);
}

void gp_metrics_count(gp_worker_metrics_t *w, gp_op_kind_t kind, gp_op_outcome_t outcome, uint64_t us)
{
    size_t b = 0;
    while (b < NBUCKETS && (double)us > bucket_le[b] * 1e6)
        b++;
    add(&w->requests[kind][outcome], 1);
    add(&w->buckets[kind][b], 1);
    add(&w->sum_us[kind], us);
}

void gp_metrics_notified(gp_metrics_t *m)
{
    add(&m->notifications, 1);
}

/* With the lock held. */
static bool sum_pools(const gp_metrics_t *m, gp_pool_stats_t *sum)
{
    *sum = (gp_pool_stats_t){0};
    bool healthy = false;
    for (int i = 0; i < m->n; i++) {
        const gp_pool_t *p = m->workers[i].pool;
        if (p == NULL)
            continue;
        gp_pool_stats_t s;
        gp_pool_stats(p, &s);
        healthy = healthy || gp_pool_is_healthy(p);
        sum->total += s.total, sum->idle += s.idle, sum->busy += s.busy, sum->connecting += s.connecting;
        sum->waiting += s.waiting, sum->max += s.max;
        sum->queries += s.queries, sum->errors += s.errors, sum->acquire_timeouts += s.acquire_timeouts;
        sum->reconnects += s.reconnects, sum->retries += s.retries, sum->cancels += s.cancels;
        sum->waits += s.waits, sum->wait_us += s.wait_us, sum->exhausted += s.exhausted;
        sum->recycled += s.recycled, sum->health_checks += s.health_checks;
        sum->health_failures += s.health_failures;
    }
    return healthy;
}

bool gp_metrics_pools(gp_metrics_t *m, gp_pool_stats_t *sum)
{
    pthread_mutex_lock(&m->lock);
    bool healthy = sum_pools(m, sum);
    pthread_mutex_unlock(&m->lock);
    return healthy;
}

double gp_metrics_uptime(const gp_metrics_t *m)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - m->started.tv_sec) + (double)(now.tv_nsec - m->started.tv_nsec) / 1e9;
}

static void metric_head(gp_strbuf_t *out, const char *name, const char *type, const char *help)
{
    gp_strbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_requests(const gp_metrics_t *m, gp_strbuf_t *out)
{
    metric_head(out, "graphpost_operations_total", "counter",
                "GraphQL operations answered, by type and outcome (HTTP and websocket; an HTTP batch counts once)");
    for (int k = 0; k < GP_OP_KINDS; k++)
        for (int o = 0; o < GP_OP_OUTCOMES; o++) {
            unsigned long long n = 0;
            for (int i = 0; i < m->n; i++)
                n += load(&m->workers[i].requests[k][o]);
            gp_strbuf_printf(out, "graphpost_operations_total{type=\"%s\",outcome=\"%s\"} %llu\n", kind_names[k],
                             outcome_names[o], n);
        }
    metric_head(out, "graphpost_operation_duration_seconds", "histogram",
                "time from an operation's arrival to its answer, by type");
    for (int k = 0; k < GP_OP_KINDS; k++) {
        unsigned long long cumulative = 0, sum_us = 0;
        for (size_t b = 0; b <= NBUCKETS; b++) {
            for (int i = 0; i < m->n; i++)
                cumulative += load(&m->workers[i].buckets[k][b]);
            if (b < NBUCKETS)
                gp_strbuf_printf(out, "graphpost_operation_duration_seconds_bucket{type=\"%s\",le=\"%g\"} %llu\n",
                                 kind_names[k], bucket_le[b], cumulative);
            else
                gp_strbuf_printf(out, "graphpost_operation_duration_seconds_bucket{type=\"%s\",le=\"+Inf\"} %llu\n",
                                 kind_names[k], cumulative);
        }
        for (int i = 0; i < m->n; i++)
            sum_us += load(&m->workers[i].sum_us[k]);
        gp_strbuf_printf(out, "graphpost_operation_duration_seconds_sum{type=\"%s\"} %.6f\n", kind_names[k],
                         (double)sum_us / 1e6);
        gp_strbuf_printf(out, "graphpost_operation_duration_seconds_count{type=\"%s\"} %llu\n", kind_names[k],
                         cumulative);
    }
}

static void render_pool(const gp_pool_stats_t *s, gp_strbuf_t *out)
{
    metric_head(out, "graphpost_pool_connections", "gauge", "database connections by state, all threads");
    gp_strbuf_printf(out, "graphpost_pool_connections{state=\"idle\"} %d\n", s->idle);
    gp_strbuf_printf(out, "graphpost_pool_connections{state=\"in_use\"} %d\n", s->busy);
    gp_strbuf_printf(out, "graphpost_pool_connections{state=\"connecting\"} %d\n", s->connecting);
    struct {
        const char *name, *type, *help;
        double value;
    } rows[] = {
        {"graphpost_pool_max_connections", "gauge", "--pool-max", s->max},
        {"graphpost_pool_waiting", "gauge", "queries waiting for a connection now", s->waiting},
        {"graphpost_pool_queries_total", "counter", "statements and transactions sent", (double)s->queries},
        {"graphpost_pool_waits_total", "counter", "queries that had to wait for a connection", (double)s->waits},
        {"graphpost_pool_wait_seconds_total", "counter", "time queries waited for a connection",
         (double)s->wait_us / 1e6},
        {"graphpost_pool_exhausted_total", "counter", "waits that began with every connection open and taken",
         (double)s->exhausted},
        {"graphpost_pool_acquire_timeouts_total", "counter", "queries that found no connection in time (503)",
         (double)s->acquire_timeouts},
        {"graphpost_pool_errors_total", "counter", "queries answered with an error", (double)s->errors},
        {"graphpost_pool_retries_total", "counter", "reads sent again after a connection broke",
         (double)s->retries},
        {"graphpost_pool_reconnects_total", "counter", "connections re-established after a break",
         (double)s->reconnects},
        {"graphpost_pool_cancels_total", "counter", "statements cancelled (client gone)", (double)s->cancels},
        {"graphpost_pool_recycled_total", "counter", "connections closed for age or idleness",
         (double)s->recycled},
        {"graphpost_pool_health_checks_total", "counter", "idle connections pinged", (double)s->health_checks},
        {"graphpost_pool_health_check_failures_total", "counter", "pings that found a connection broken",
         (double)s->health_failures},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        metric_head(out, rows[i].name, rows[i].type, rows[i].help);
        gp_strbuf_printf(out, "%s %.15g\n", rows[i].name, rows[i].value);
    }
}

void gp_metrics_render(gp_metrics_t *m, bool schema_loaded, gp_strbuf_t *out)
{
    pthread_mutex_lock(&m->lock);
    gp_pool_stats_t pools;
    bool healthy = sum_pools(m, &pools);
    int subscribers = 0, cohorts = 0;
    for (int i = 0; i < m->n; i++) {
        if (m->workers[i].live == NULL)
            continue;
        int c;
        subscribers += gp_live_count(m->workers[i].live, &c);
        cohorts += c;
    }
    pthread_mutex_unlock(&m->lock);

    metric_head(out, "graphpost_up", "gauge", "1 while the schema is loaded and the database reachable");
    gp_strbuf_printf(out, "graphpost_up %d\n", schema_loaded && healthy);
    metric_head(out, "graphpost_uptime_seconds", "gauge", "seconds since the process started");
    gp_strbuf_printf(out, "graphpost_uptime_seconds %.3f\n", gp_metrics_uptime(m));
    render_requests(m, out);
    render_pool(&pools, out);
    metric_head(out, "graphpost_subscribers", "gauge", "live subscriptions open");
    gp_strbuf_printf(out, "graphpost_subscribers %d\n", subscribers);
    metric_head(out, "graphpost_live_cohorts", "gauge", "cohorts of live subscriptions, each refreshed by one statement");
    gp_strbuf_printf(out, "graphpost_live_cohorts %d\n", cohorts);
    metric_head(out, "graphpost_notifications_total", "counter", "table changes heard over LISTEN");
    gp_strbuf_printf(out, "graphpost_notifications_total %llu\n", load(&m->notifications));
}
