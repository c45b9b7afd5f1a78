/* resolvers/plan_cache.h — remembers what each distinct request document costs to
 * prepare. Keyed by (schema version, document text, operation name): a hit skips parsing and
 * validation, and when the plan only binds variables as parameters, compiling too,
 * so a repeated query with new variables goes straight to execution (after its
 * variables are coerced), as a named prepared statement (plan->statement).
 * One cache per worker thread: no locks. */
#ifndef GP_PLAN_CACHE_H
#define GP_PLAN_CACHE_H

#include <jansson.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/error.h"
#include "resolvers/plan.h"

typedef struct gp_plan_cache gp_plan_cache_t;

typedef struct gp_plan_cache_stats {
    unsigned long long hits;      /* the plan was reused: no parse, no compile */
    unsigned long long doc_hits;  /* the document was reused, the plan compiled anew */
    unsigned long long misses;
    unsigned long long evictions;
    int size;
} gp_plan_cache_stats_t;

/* capacity 0 disables caching. Every plan is compiled under `config` (copied; NULL: no
 * caps): a server's settings are the same for all its requests, so they are no part of
 * the key. */
gp_plan_cache_t *gp_plan_cache_new(int capacity, const gp_compile_config_t *config);
void gp_plan_cache_free(gp_plan_cache_t *pc);

/* What gp_plan_request does on `on`, through the cache. on->version names
 * on->schema: the caller gives one schema one version, and a different schema a
 * different version (entries of a version are only used with it; the schema must
 * outlive them unless its version is never asked again). `query` must be NUL-terminated at `len`. The plan
 * and its parameters live in `a`; the cache keeps its own copies. */
gp_plan_t *gp_plan_cache_resolve(gp_plan_cache_t *pc, const gp_plan_target_t *on, gp_arena_t *a,
                                 const char *query, size_t len, const char *operation_name, const json_t *variables,
                                 gp_errors_t *errs);

void gp_plan_cache_stats(const gp_plan_cache_t *pc, gp_plan_cache_stats_t *out);

#endif
