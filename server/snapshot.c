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
    pthread_mutex_init(&snap->watch_lock, NULL);
    snap->watching = calloc((size_t)model->ntables + 1, sizeof *snap->watching);
    if (snap->watching == NULL)
        abort();
    return snap;
}

void gp_snapshot_watch(gp_snapshot_t *snap, int table, int delta)
{
    bool triggered = snap->triggered != NULL && (snap->triggered[table / 8] & (1u << (table % 8))) != 0;
    if (!triggered)
        return;
    pthread_mutex_lock(&snap->watch_lock);
    int before = snap->watching[table];
    snap->watching[table] += delta;
    if (snap->listener != NULL && (before == 0) != (snap->watching[table] == 0)) {
        gp_listen_watch(snap->listener, snap->model->tables[table].sql_name, before == 0);
    }
    pthread_mutex_unlock(&snap->watch_lock);
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
    free(snap->watching);
    pthread_mutex_destroy(&snap->watch_lock);
    gp_schema_free(snap->schema);
    gp_model_free(snap->model);
    free(snap);
}
