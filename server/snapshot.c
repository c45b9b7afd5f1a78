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
