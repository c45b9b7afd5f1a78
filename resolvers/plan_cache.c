/* resolvers/plan_cache.c — a hash table of entries on an LRU list. Each entry owns
 * an arena holding the document text, its parse tree and, when reusable, the
 * compiled plan; evicting an entry frees that arena. */
#include "resolvers/plan_cache.h"

#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "graphql/coerce.h"
#include "graphql/introspection.h"
#include "graphql/parse.h"
#include "graphql/validate.h"
#include "resolvers/compile.h"

typedef struct entry {
    uint64_t hash;
    uint64_t version;           /* of the schema the document was validated and the plan compiled on */
    const char *query;          /* NUL-terminated copy; the document points into it */
    size_t len;
    const char *operation_name; /* "" for none */
    gp_arena_t *arena;
    gp_document_t *doc;
    gp_plan_t *plan;            /* NULL unless the plan is reusable */
    struct entry *next_in_bucket;
    struct entry *prev, *next;  /* LRU: head is the most recently used */
} entry_t;

struct gp_plan_cache {
    int capacity;
    gp_compile_config_t config;
    entry_t **buckets;
    size_t nbuckets;            /* a power of two */
    entry_t *head, *tail;
    gp_plan_cache_stats_t stats;
};

gp_plan_cache_t *gp_plan_cache_new(int capacity, const gp_compile_config_t *config)
{
    gp_plan_cache_t *pc = calloc(1, sizeof *pc);
    pc->capacity = capacity;
    if (config != NULL)
        pc->config = *config;
    pc->nbuckets = 16;
    while (pc->nbuckets < (size_t)capacity * 2)
        pc->nbuckets *= 2;
    pc->buckets = calloc(pc->nbuckets, sizeof *pc->buckets);
    return pc;
}

void gp_plan_cache_free(gp_plan_cache_t *pc)
{
    if (pc == NULL)
        return;
    for (entry_t *e = pc->head, *next; e != NULL; e = next) {
        next = e->next;
        gp_arena_free(e->arena);
    }
    free(pc->buckets);
    free(pc);
}

static uint64_t key_hash(uint64_t version, const char *query, size_t len, const char *operation_name)
{
    return gp_hash64(query, len, version) ^
           gp_hash64(operation_name, strlen(operation_name), 0x9e3779b97f4a7c15ULL);
}

static void lru_unlink(gp_plan_cache_t *pc, entry_t *e)
{
    if (e->prev != NULL)
        e->prev->next = e->next;
    else
        pc->head = e->next;
    if (e->next != NULL)
        e->next->prev = e->prev;
    else
        pc->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(gp_plan_cache_t *pc, entry_t *e)
{
    e->next = pc->head;
    if (pc->head != NULL)
        pc->head->prev = e;
    pc->head = e;
    if (pc->tail == NULL)
        pc->tail = e;
}

static entry_t **bucket_of(gp_plan_cache_t *pc, uint64_t hash)
{
    return &pc->buckets[hash & (pc->nbuckets - 1)];
}

static entry_t *lookup(gp_plan_cache_t *pc, uint64_t hash, uint64_t version, const char *query, size_t len,
                       const char *name)
{
    for (entry_t *e = *bucket_of(pc, hash); e != NULL; e = e->next_in_bucket)
        if (e->hash == hash && e->version == version && e->len == len && memcmp(e->query, query, len) == 0 &&
            strcmp(e->operation_name, name) == 0)
            return e;
    return NULL;
}

static void evict_oldest(gp_plan_cache_t *pc)
{
    entry_t *e = pc->tail;
    for (entry_t **p = bucket_of(pc, e->hash); *p != NULL; p = &(*p)->next_in_bucket) {
        if (*p == e) {
            *p = e->next_in_bucket;
            break;
        }
    }
    lru_unlink(pc, e);
    gp_arena_free(e->arena);
    pc->stats.evictions++;
    pc->stats.size--;
}

static void insert(gp_plan_cache_t *pc, entry_t *e)
{
    if (pc->stats.size == pc->capacity)
        evict_oldest(pc);
    entry_t **b = bucket_of(pc, e->hash);
    e->next_in_bucket = *b;
    *b = e;
    lru_push_front(pc, e);
    pc->stats.size++;
}

/* Copies a reusable plan into the entry's arena: its fixed parameter texts live in
 * the request arena that compiled it. */
static gp_plan_t *keep_plan(gp_arena_t *a, const gp_plan_t *plan)
{
    gp_plan_t *kept = gp_arena_new_obj(a, gp_plan_t);
    *kept = *plan;
    kept->sql = gp_arena_strdup(a, plan->sql);
    int n = plan->params.count;
    const char **values = gp_arena_alloc(a, sizeof *values * (size_t)(n > 0 ? n : 1));
    gp_param_binding_t *bindings = gp_arena_alloc(a, sizeof *bindings * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++) {
        values[i] = plan->params.values[i] != NULL ? gp_arena_strdup(a, plan->params.values[i]) : NULL;
        bindings[i] = plan->bindings[i];
        if (bindings[i].variable != NULL)
            bindings[i].variable = gp_arena_strdup(a, bindings[i].variable);
    }
    kept->params.values = values;
    kept->bindings = bindings;
    if (plan->reads != NULL) {
        uint8_t *reads = gp_arena_alloc(a, plan->reads_size);
        memcpy(reads, plan->reads, plan->reads_size);
        kept->reads = reads;
    }
    if (plan->cursor_sql != NULL)
        kept->cursor_sql = gp_arena_strdup(a, plan->cursor_sql);
    if (plan->answer != NULL) /* its distinct texts once each, as the compile shared them */
        kept->answer = gp_introspection_answer_copy(a, plan->answer);
    kept->statement = gp_hash64(kept->sql, strlen(kept->sql), 0) | 2; /* never 0 (unnamed) */
    return kept;
}

/* The cached plan with this request's parameters, in the request arena. */
static gp_plan_t *rebind(gp_arena_t *a, const gp_plan_t *cached, const json_t *variables)
{
    gp_params_t params;
    if (!gp_plan_bind(cached, a, variables, &params))
        return NULL;
    gp_plan_t *plan = gp_arena_new_obj(a, gp_plan_t);
    *plan = *cached;
    plan->params = params;
    return plan;
}

static entry_t *new_entry(uint64_t hash, uint64_t version, const char *query, size_t len, const char *name)
{
    gp_arena_t *ea = gp_arena_new(len * 4 + 4096);
    entry_t *e = gp_arena_new_obj(ea, entry_t);
    e->arena = ea;
    e->hash = hash;
    e->version = version;
    e->len = len;
    e->query = gp_arena_strndup(ea, query, len);
    e->operation_name = gp_arena_strdup(ea, name);
    return e;
}

/* Coerces the variables, then re-binds the cached plan or compiles anew. */
static gp_plan_t *plan_for(gp_plan_cache_t *pc, const gp_plan_target_t *on, gp_arena_t *a, entry_t *e,
                           const char *operation_name, const json_t *variables, gp_errors_t *errs)
{
    const gp_operation_t *op = gp_plan_operation(e->doc, operation_name, errs);
    if (op == NULL)
        return NULL;
    json_t *coerced = gp_coerce_variables(a, on->schema, op, variables, errs);
    if (coerced == NULL)
        return NULL;
    gp_plan_t *plan = e->plan != NULL ? rebind(a, e->plan, coerced) : NULL;
    if (plan != NULL) {
        pc->stats.hits++;
    } else {
        plan = gp_compile(a, on, &pc->config, e->doc, op, coerced, errs);
        if (plan != NULL && plan->reusable && e->plan == NULL)
            e->plan = keep_plan(e->arena, plan);
    }
    json_decref(coerced);
    return plan;
}

gp_plan_t *gp_plan_cache_resolve(gp_plan_cache_t *pc, const gp_plan_target_t *on, gp_arena_t *a,
                                 const char *query, size_t len, const char *operation_name, const json_t *variables,
                                 gp_errors_t *errs)
{
    if (pc->capacity == 0)
        return gp_plan_request(a, on, &pc->config, query, len, operation_name, variables, errs);
    const char *name = operation_name != NULL ? operation_name : "";
    uint64_t hash = key_hash(on->version, query, len, name);
    entry_t *e = lookup(pc, hash, on->version, query, len, name);
    if (e != NULL) {
        lru_unlink(pc, e);
        lru_push_front(pc, e);
        unsigned long long hits = pc->stats.hits;
        gp_plan_t *plan = plan_for(pc, on, a, e, operation_name, variables, errs);
        if (pc->stats.hits == hits)
            pc->stats.doc_hits++;
        return plan;
    }
    /* Only documents that parse and validate are kept: whatever a request's
     * variables or operation name do wrong afterwards is that request's problem. */
    pc->stats.misses++;
    e = new_entry(hash, on->version, query, len, name);
    e->doc = gp_parse(e->arena, e->query, len, errs);
    if (e->doc == NULL || gp_validate(a, on->schema, e->doc, errs) != 0) {
        gp_arena_free(e->arena);
        return NULL;
    }
    insert(pc, e);
    return plan_for(pc, on, a, e, operation_name, variables, errs);
}

void gp_plan_cache_stats(const gp_plan_cache_t *pc, gp_plan_cache_stats_t *out)
{
    *out = pc->stats;
}
