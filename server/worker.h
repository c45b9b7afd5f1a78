/* server/worker.h — one thread = one h2o event loop + h2o context + its own database
 * pool + its own dup() of the listening socket. Workers share nothing mutable but
 * the snapshot slot, written once: the h2o configuration is read-only once they run. */
#ifndef GP_WORKER_H
#define GP_WORKER_H

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include "db/pool.h"
#include "server/http.h"
#include "server/live.h"
#include "server/ws.h"

typedef struct gp_worker gp_worker_t;

typedef struct gp_worker_config {
    int id;                     /* for logs */
    h2o_globalconf_t *h2o;      /* shared, configured by gp_http_configure */
    int plan_cache;             /* capacity of this worker's plan cache */
    gp_compile_config_t compile; /* the settings its plans are compiled with */
    bool dev;
    int listen_fd;              /* bound and listening; the worker accepts on its own dup() */
    gp_pool_config_t pool;      /* the writer's; its strings must outlive the worker */
    const gp_pool_config_t *replicas; /* each read replica's, likewise */
    int nreplicas;
    gp_ws_config_t ws;          /* its websocket sessions' timeouts and message limit */
    gp_live_config_t live;      /* its live queries' windows */
    gp_live_hub_t *live_hub;    /* every worker's live queries; outlives the worker */
    gp_metrics_t *metrics;      /* the process's numbers; outlives the worker */
    uint64_t shutdown_timeout_ms; /* in-flight requests' statements are cancelled after this */
} gp_worker_config_t;

/* Starts the thread and returns once its loop is ready to accept, or returns NULL
 * (after logging why) if it could not be set up. */
gp_worker_t *gp_worker_start(const gp_worker_config_t *wc);

/* Asks the worker to stop, from any thread, once: it stops accepting, lets the
 * requests in flight finish (gp_pool_shutdown) and closes its connections. */
void gp_worker_stop(gp_worker_t *w);

/* From any thread: requests that start from now on (once the worker's loop has the
 * message) run on `snap`; the worker takes a reference of its own. */
void gp_worker_publish(gp_worker_t *w, gp_snapshot_t *snap);

/* A table changed (the NOTIFY payload "schema.table"; NULL: any may have): from any
 * thread, to the worker's live queries. */
void gp_worker_changed(gp_worker_t *w, const char *payload);

/* Waits for the stopped worker's thread to end and frees the worker. */
void gp_worker_join(gp_worker_t *w);

#endif
