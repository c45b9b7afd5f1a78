/* server/live.h — live queries, a part on each worker. A subscription is a query whose
 * subscriber gets its result at once and then again whenever it changed. Subscribers
 * whose plans have the same SQL (the same document, whatever their variables) form a
 * cohort, whichever worker their sockets are on, and a refresh is ONE statement for
 * the whole cohort: every subscriber's parameters go in as arrays, unnest gives a row
 * per subscriber, and the plan runs LATERAL to it (its parameters are that row's
 * columns, GP_SQL_LIVE_REF). A refresh runs only when a table the plan reads changed
 * (gp_live_changed: a NOTIFY from the triggers main installs), coalesced over a short
 * window; views and tables without the trigger are polled. Each subscriber keeps a
 * hash of its last result, and only a change is sent. Everything here runs on the
 * worker's loop, except the hub's functions and gp_live_post. */
#ifndef GP_LIVE_H
#define GP_LIVE_H

#include <h2o.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "db/pool.h"
#include "resolvers/plan_cache.h"
#include "server/operation.h"
#include "server/snapshot.h"

typedef struct gp_live_config {
    int coalesce_ms;            /* --live-coalesce-ms: changes within this window make one refresh */
    int poll_ms;                /* --live-poll-ms: how often queries over untriggered relations refresh */
    size_t max_response;        /* --max-response-bytes, per result */
    size_t max_memory;          /* --max-request-memory, for planning */
} gp_live_config_t;

typedef struct gp_live gp_live_t;
typedef struct gp_live_sub gp_live_sub_t;

/* The workers' live queries together: a cohort lives on one worker, its subscribers on
 * any (see live.c). Made before the workers start, freed after they stopped. */
typedef struct gp_live_hub gp_live_hub_t;

gp_live_hub_t *gp_live_hub_new(int workers);
void gp_live_hub_free(gp_live_hub_t *hub);

/* A result for the subscriber, as a run answers (server/operation.h): GP_RUN_NOT_RUN
 * (errors before it ran: the subscription is over, gp_live_subscribe returns NULL), or
 * GP_RUN_OK / GP_RUN_FAILED (a response body, `{"data":…}` or errors, that differs from
 * the last one sent). May come from inside gp_live_subscribe: GP_RUN_NOT_RUN, or the
 * one answer of a query of introspection alone. */
typedef void (*gp_live_cb)(void *data, const gp_run_result_t *result);

/* Worker `id`'s (below the hub's `workers`). */
gp_live_t *gp_live_new(h2o_context_t *ctx, const gp_pools_t *pools, const gp_live_config_t *cf, gp_live_hub_t *hub, int id);

/* Everything is dropped, after the worker's websockets (their subscriptions end
 * first); call it before the pool is destroyed. */
void gp_live_free(gp_live_t *live);

/* Starts a subscription (`in` as for gp_run_start; copied). The first result comes
 * after a coalescing window, so that subscribers arriving together share it. NULL when
 * it ended at once (cb had GP_RUN_NOT_RUN). */
gp_live_sub_t *gp_live_subscribe(gp_live_t *live, gp_plan_cache_t *plans, gp_snapshot_t *snap,
                                 const gp_operation_input_t *in, gp_live_cb cb, void *data);

/* A T_stream: each result carries rows sent once, so none may be dropped for a newer one. */
bool gp_live_is_stream(const gp_live_sub_t *sub);

/* Ends it: nothing more is sent. NULL is ignored. */
void gp_live_unsubscribe(gp_live_sub_t *sub);

/* Table `table` (its index in the snapshot's model) changed; -1: any may have (the
 * LISTEN connection was lost and is back). */
void gp_live_changed(gp_live_t *live, int table);

/* From any thread: the NOTIFY payload "schema.table", or NULL for "anything may have
 * changed". The worker's loop looks it up and calls gp_live_changed. */
void gp_live_post(gp_live_t *live, const char *payload);

/* The worker's subscribers, and the cohorts it is home to; from any thread (/metrics). */
int gp_live_count(const gp_live_t *live, int *cohorts);

#endif
