/* server/snapshot.c — a refcount over the model and its type system. */
#include "server/snapshot.h"

#include <stdlib.h>

gp_snapshot_t *gp_snapshot_new(gp_model_t *model, uint64_t version)
{
    gp_snapshot_t *snap = calloc(1, sizeof *snap);
    if (snap == NULL)
        abort();
    snap->version = version;
    snap->model = model;
    snap->schema = gp_schema_build(model);
    snap->answers = gp_introspection_answers_new();
    snap->refs = 1;
    return snap;
}

void gp_snapshot_watch(gp_snapshot_t *snap, int table, int delta)
{
    bool triggered = snap->triggered != NULL && (snap->triggered[table / 8] & (1u << (table % 8))) != 0;
    if (!triggered || snap->listener == NULL)
        return;
    pthread_mutex_lock(&snap->listener->lock);
    if (snap->listener->listen != NULL)
        gp_listen_watch(snap->listener->listen, snap->model->tables[table].sql_name, delta > 0);
    pthread_mutex_unlock(&snap->listener->lock);
}

gp_snapshot_t *gp_snapshot_ref(gp_snapshot_t *snap)
{
    __atomic_add_fetch(&snap->refs, 1, __ATOMIC_RELAXED);
    return snap;
}

void gp_snapshot_unref(gp_snapshot_t *snap)
{
    if (snap == NULL || __atomic_sub_fetch(&snap->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    gp_introspection_answers_free(snap->answers);
    free(snap->triggered);
    gp_schema_free(snap->schema);
    gp_model_free(snap->model);
    free(snap);
}
