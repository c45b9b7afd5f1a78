/* server/snapshot.h — the schema a request runs on, as one refcounted, versioned
 * snapshot: the model and the GraphQL type system built on it (which answers
 * introspection). A request holds a reference from its start to its end, so the
 * snapshot it started with outlives it whatever is published meanwhile; the plan
 * cache is keyed by the version, so a plan made on one snapshot never runs on
 * another. main makes version 1 at startup and a new one at each reload (SIGHUP, or
 * a DDL notification), and hands each worker its own reference (gp_worker_publish):
 * a worker swaps it on its own loop, so no request ever reads a pointer another
 * thread may be freeing. */
#ifndef GP_SNAPSHOT_H
#define GP_SNAPSHOT_H

#include <pthread.h>
#include <stdint.h>

#include "db/listen.h"

#include "schema/model.h"
#include "graphql/introspection.h"
#include "schema/types.h"

typedef struct gp_snapshot {
    uint64_t version;           /* distinct per snapshot, increasing */
    gp_model_t *model;
    gp_schema_t *schema;        /* built on model */
    gp_introspection_answers_t *answers; /* __schema/__type answers, built once for all requests */
    uint8_t *triggered;         /* a bit per model table whose changes graphpost's trigger NOTIFYs
                                 * (malloc'd; NULL: none): live queries over the others are polled */
    struct gp_snapshot_listener *listener; /* shared by every snapshot; NULL: none */
    unsigned refs;              /* __atomic_*: workers share a snapshot */
} gp_snapshot_t;

/* The process's LISTEN connection as snapshots reach it: main starts it, and clears it
 * under the lock before stopping it, so that no cohort's watch reaches it after. */
typedef struct gp_snapshot_listener {
    pthread_mutex_t lock;
    gp_listen_t *listen;
} gp_snapshot_listener_t;

/* A worker's current snapshot, NULL until the schema is loaded: written and read on
 * the worker's loop only; it owns a reference, and a request takes its own. */
typedef gp_snapshot_t *gp_snapshot_slot_t;

/* Takes `model`, builds the type system on it; one reference, the caller's. */
gp_snapshot_t *gp_snapshot_new(gp_model_t *model, uint64_t version);

gp_snapshot_t *gp_snapshot_ref(gp_snapshot_t *snap);

/* A live query's cohort that reads `table` (its index in the model) starts (+1) or
 * ends (-1): the listener counts them (by name, across snapshots) and asks for the
 * table's NOTIFYs while any is left. Any thread. */
void gp_snapshot_watch(gp_snapshot_t *snap, int table, int delta);

/* The last reference frees the type system and the model. NULL is ignored. */
void gp_snapshot_unref(gp_snapshot_t *snap);

#endif
