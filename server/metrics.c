/* server/metrics.c — counting per worker, summing and rendering under one lock. */
#include "server/metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/live.h"

/* Upper bounds of the latency histogram's buckets, in seconds (+Inf follows). */
static const double bucket_le[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKETS (sizeof bucket_le / sizeof *bucket_le)

static const char *const kind_names[GP_OP_KINDS] = {"query", "mutation", "subscription", "batch", "unknown"};
static const char *const outcome_names[GP_OP_OUTCOMES] = {"ok", "rejected", "failed"};

const char *gp_op_kind_name(gp_op_kind_t kind)
{
    return kind_names[kind];
}

const char *gp_op_outcome_name(gp_op_outcome_t outcome)
{
    return outcome_names[outcome];
}

struct gp_worker_metrics {
    unsigned long long requests[GP_OP_KINDS][GP_OP_OUTCOMES];
    unsigned long long buckets[GP_OP_KINDS][NBUCKETS + 1]; /* not cumulative; the last is +Inf */
    unsigned long long sum_us[GP_OP_KINDS];
    const gp_pools_t *pools;     /* under the registry's lock */
    const gp_live_t *live;
    gp_metrics_t *registry;
};

struct gp_metrics {
    pthread_mutex_t lock;
    struct timespec started;
    unsigned long long notifications;
    char **replicas;             /* their addresses */
    int nreplicas;
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

gp_metrics_t *gp_metrics_new(int workers, const char *const *replicas, int nreplicas)
{
    gp_metrics_t *m = calloc(1, sizeof *m + sizeof m->workers[0] * (size_t)workers);
    if (m == NULL || (m->replicas = calloc((size_t)nreplicas + 1, sizeof *m->replicas)) == NULL)
        abort();
    for (m->nreplicas = 0; m->nreplicas < nreplicas; m->nreplicas++)
        if ((m->replicas[m->nreplicas] = strdup(replicas[m->nreplicas])) == NULL)
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
    for (int i = 0; i < m->nreplicas; i++)
        free(m->replicas[i]);
    free(m->replicas);
    free(m);
}

gp_worker_metrics_t *gp_metrics_worker(gp_metrics_t *m, int id)
{
    return &m->workers[id];
}

void gp_metrics_attach(gp_worker_metrics_t *w, const gp_pools_t *pools, const gp_live_t *live)
{
    pthread_mutex_lock(&w->registry->lock);
    w->pools = pools;
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

/* A label value as the exposition format quotes it: backslash, double quote and line
 * feed escaped (a host name from a connection string may hold any of them). */
static void put_label_value(gp_strbuf_t *out, const char *v)
{
    for (; *v != '\0'; v++) {
        if (*v == '\\' || *v == '"')
            gp_strbuf_putc(out, '\\');
        if (*v == '\n')
            gp_strbuf_lit(out, "\\n");
        else
            gp_strbuf_putc(out, *v);
    }
}

/* With the lock held: every worker's writer pool (`replica` -1) or replica's. */
static bool sum_pools(const gp_metrics_t *m, int replica, gp_pool_stats_t *sum)
{
    *sum = (gp_pool_stats_t){0};
    bool healthy = false;
    for (int i = 0; i < m->n; i++) {
        const gp_pools_t *ps = m->workers[i].pools;
        if (ps == NULL || replica >= ps->nreaders)
            continue;
        const gp_pool_t *p = replica < 0 ? ps->writer : ps->readers[replica];
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
    return gp_metrics_replica_pools(m, -1, sum);
}

bool gp_metrics_replica_pools(gp_metrics_t *m, int i, gp_pool_stats_t *sum)
{
    pthread_mutex_lock(&m->lock);
    bool healthy = sum_pools(m, i, sum);
    pthread_mutex_unlock(&m->lock);
    return healthy;
}

int gp_metrics_replicas(const gp_metrics_t *m)
{
    return m->nreplicas;
}

const char *gp_metrics_replica_address(const gp_metrics_t *m, int i)
{
    return m->replicas[i];
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

/* The pool families of `n` pools under `prefix` (graphpost_pool: the writer's, no
 * labels; graphpost_replica_pool: one series per replica, labelled replica="i"). */
static void render_pools(gp_strbuf_t *out, const char *prefix, const char *what, const gp_pool_stats_t *s, int n)
{
    static const char *const states[] = {"idle", "in_use", "connecting"};
    bool labelled = strcmp(prefix, "graphpost_pool") != 0;
    char name[96], help[128];
    snprintf(name, sizeof name, "%s_connections", prefix);
    snprintf(help, sizeof help, "%s connections by state, all threads", what);
    metric_head(out, name, "gauge", help);
    for (int k = 0; k < n; k++) {
        int value[] = {s[k].idle, s[k].busy, s[k].connecting};
        for (size_t j = 0; j < 3; j++)
            if (labelled)
                gp_strbuf_printf(out, "%s{replica=\"%d\",state=\"%s\"} %d\n", name, k, states[j], value[j]);
            else
                gp_strbuf_printf(out, "%s{state=\"%s\"} %d\n", name, states[j], value[j]);
    }
    static const struct {
        const char *name, *type, *help;
        size_t offset;          /* of the field in gp_pool_stats_t */
        bool is_int, is_us;     /* an int gauge; microseconds shown as seconds */
    } rows[] = {
#define ROW(n, t, h, f, i, us) {n, t, h, offsetof(gp_pool_stats_t, f), i, us}
        ROW("max_connections", "gauge", "--pool-max", max, true, false),
        ROW("waiting", "gauge", "queries waiting for a connection now", waiting, true, false),
        ROW("queries_total", "counter", "statements and transactions sent", queries, false, false),
        ROW("waits_total", "counter", "queries that had to wait for a connection", waits, false, false),
        ROW("wait_seconds_total", "counter", "time queries waited for a connection", wait_us, false, true),
        ROW("exhausted_total", "counter", "waits that began with every connection open and taken", exhausted, false,
            false),
        ROW("acquire_timeouts_total", "counter", "queries that found no connection in time (503)", acquire_timeouts,
            false, false),
        ROW("errors_total", "counter", "queries answered with an error", errors, false, false),
        ROW("retries_total", "counter", "reads sent again after a connection broke", retries, false, false),
        ROW("reconnects_total", "counter", "connections re-established after a break", reconnects, false, false),
        ROW("cancels_total", "counter", "statements cancelled (client gone)", cancels, false, false),
        ROW("recycled_total", "counter", "connections closed for age or idleness", recycled, false, false),
        ROW("health_checks_total", "counter", "idle connections pinged", health_checks, false, false),
        ROW("health_check_failures_total", "counter", "pings that found a connection broken", health_failures,
            false, false),
#undef ROW
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        snprintf(name, sizeof name, "%s_%s", prefix, rows[i].name);
        metric_head(out, name, rows[i].type, rows[i].help);
        for (int k = 0; k < n; k++) {
            const char *field = (const char *)&s[k] + rows[i].offset;
            double v = rows[i].is_int ? *(const int *)field : (double)*(const unsigned long long *)field;
            if (rows[i].is_us)
                v /= 1e6;
            if (labelled)
                gp_strbuf_printf(out, "%s{replica=\"%d\"} %.15g\n", name, k, v);
            else
                gp_strbuf_printf(out, "%s %.15g\n", name, v);
        }
    }
}

void gp_metrics_render(gp_metrics_t *m, bool schema_loaded, gp_strbuf_t *out)
{
    pthread_mutex_lock(&m->lock);
    gp_pool_stats_t pools, replicas[m->nreplicas + 1];
    bool healthy = sum_pools(m, -1, &pools), replica_up[m->nreplicas + 1];
    for (int i = 0; i < m->nreplicas; i++)
        replica_up[i] = sum_pools(m, i, &replicas[i]);
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
    render_pools(out, "graphpost_pool", "database (writer)", &pools, 1);
    if (m->nreplicas > 0) {
        metric_head(out, "graphpost_replica_up", "gauge",
                    "1 while a connection to the read replica is up (reads go to the writer while none is)");
        for (int i = 0; i < m->nreplicas; i++) {
            gp_strbuf_printf(out, "graphpost_replica_up{replica=\"%d\",address=\"", i);
            put_label_value(out, m->replicas[i]);
            gp_strbuf_printf(out, "\"} %d\n", replica_up[i]);
        }
        render_pools(out, "graphpost_replica_pool", "read replica", replicas, m->nreplicas);
    }
    metric_head(out, "graphpost_subscribers", "gauge", "live subscriptions open");
    gp_strbuf_printf(out, "graphpost_subscribers %d\n", subscribers);
    metric_head(out, "graphpost_live_cohorts", "gauge", "cohorts of live subscriptions, each refreshed by one statement");
    gp_strbuf_printf(out, "graphpost_live_cohorts %d\n", cohorts);
    metric_head(out, "graphpost_notifications_total", "counter", "table changes heard over LISTEN");
    gp_strbuf_printf(out, "graphpost_notifications_total %llu\n", load(&m->notifications));
}
