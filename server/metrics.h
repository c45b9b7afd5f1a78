/* server/metrics.h — the process's numbers, for /health, /health/database and
 * /metrics. Each worker counts its requests in a slot of its own (relaxed atomics:
 * nothing on the request path waits for a lock) and attaches its pools and live
 * queries, whose numbers they publish themselves (gp_pool_stats); whoever renders sums
 * the slots under the registry's lock, so a worker that stops detaches first and its
 * pool is never read after it is freed. */
#ifndef GP_METRICS_H
#define GP_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/strbuf.h"
#include "db/pool.h"

struct gp_live;

typedef enum {
    GP_OP_KIND_QUERY,
    GP_OP_KIND_MUTATION,
    GP_OP_KIND_SUBSCRIPTION,
    GP_OP_KIND_BATCH,           /* an HTTP batch, counted once */
    GP_OP_KIND_UNKNOWN,         /* it never got as far as a plan: malformed, invalid */
    GP_OP_KINDS,
} gp_op_kind_t;

typedef enum {
    GP_OP_OK,                   /* data, no errors */
    GP_OP_REJECTED,             /* a request error before it ran (4xx, or 200 with errors and no data) */
    GP_OP_FAILED,               /* the database or the server failed it (data null, or 5xx) */
    GP_OP_OUTCOMES,
} gp_op_outcome_t;

/* Their names, as /metrics labels and the request log say them. */
const char *gp_op_kind_name(gp_op_kind_t kind);
const char *gp_op_outcome_name(gp_op_outcome_t outcome);

typedef struct gp_metrics gp_metrics_t;
typedef struct gp_worker_metrics gp_worker_metrics_t;

/* `replicas`: each read replica's "host:port" (copied), in the order of each worker's
 * pools' readers. */
gp_metrics_t *gp_metrics_new(int workers, const char *const *replicas, int nreplicas);
void gp_metrics_free(gp_metrics_t *m);

/* Worker `id`'s slot (id below `workers`). */
gp_worker_metrics_t *gp_metrics_worker(gp_metrics_t *m, int id);

/* What the worker's numbers are read from, until it detaches (pools and live NULL). */
void gp_metrics_attach(gp_worker_metrics_t *w, const gp_pools_t *pools, const struct gp_live *live);

/* One operation answered, over HTTP or a websocket, `us` after it came (a
 * subscription: when its first result went out). */
void gp_metrics_count(gp_worker_metrics_t *w, gp_op_kind_t kind, gp_op_outcome_t outcome, uint64_t us);

/* A NOTIFY the listener heard (any thread). */
void gp_metrics_notified(gp_metrics_t *m);

/* The attached writer pools' numbers added up; `healthy` when any pool is (the database
 * is reachable). False when no worker is attached. */
bool gp_metrics_pools(gp_metrics_t *m, gp_pool_stats_t *sum);

/* The read replicas: how many, and replica i's "host:port". */
int gp_metrics_replicas(const gp_metrics_t *m);
const char *gp_metrics_replica_address(const gp_metrics_t *m, int i);

/* Replica i's pools, as gp_metrics_pools sums the writer's: healthy when any worker
 * has a connection to it up. */
bool gp_metrics_replica_pools(gp_metrics_t *m, int i, gp_pool_stats_t *sum);

/* Seconds since gp_metrics_new. */
double gp_metrics_uptime(const gp_metrics_t *m);

/* Everything, in Prometheus's text format (version 0.0.4). */
void gp_metrics_render(gp_metrics_t *m, bool schema_loaded, gp_strbuf_t *out);

#endif
