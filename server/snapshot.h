/* server/snapshot.h — the schema a request runs on, as one refcounted, versioned
 * snapshot: the model and the GraphQL type system built on it (which answers
 * introspection). A request holds a reference from its start to its end, so the
 * snapshot it started with outlives it whatever is published meanwhile; the plan
 * cache is keyed by the version, so a plan made on one snapshot never runs on
 * another. main makes version 1 at startup; there is no reload yet. */
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
    gp_listen_t *listener;      /* NULL: none (no table triggered) */
    pthread_mutex_t watch_lock; /* guards `watching` and keeps the listener's updates in order */
    int *watching;              /* per model table: the cohorts of every worker that read it; the
                                 * trigger notifies for it while that is not 0 (gp_snapshot_watch) */
    unsigned refs;              /* __atomic_*: workers share a snapshot */
} gp_snapshot_t;

/* The published snapshot, NULL until the schema is loaded. The slot owns a
 * reference; a reader takes its own with gp_snapshot_ref before using it. Today the
 * slot is written once and its reference dropped only after the workers are joined;
 * a reload that swaps it while they run must keep the old one alive until no reader
 * can be between its load and its ref. */
typedef _Atomic(gp_snapshot_t *) gp_snapshot_slot_t;

/* Takes `model`, builds the type system on it; one reference, the caller's. */
gp_snapshot_t *gp_snapshot_new(gp_model_t *model, uint64_t version);

gp_snapshot_t *gp_snapshot_ref(gp_snapshot_t *snap);

/* A live query's cohort that reads `table` (its index in the model) starts (+1) or
 * ends (-1): the first one asks the listener for the table's NOTIFYs, the last one
 * gives them up. Any thread. */
void gp_snapshot_watch(gp_snapshot_t *snap, int table, int delta);

/* The last reference frees the type system and the model. NULL is ignored. */
void gp_snapshot_unref(gp_snapshot_t *snap);

#endif
