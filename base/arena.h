/* base/arena.h — bump allocator whose memory is freed all at once.
 * One arena per request, per cached plan and per model snapshot: nothing inside
 * is freed on its own, so code that allocates from an arena never frees. */
#ifndef GP_ARENA_H
#define GP_ARENA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct gp_arena gp_arena_t;

/* Returns a new arena whose chunks are at least `chunk` bytes; aborts on OOM
 * (a server that cannot allocate a few KiB cannot answer anything). */
gp_arena_t *gp_arena_new(size_t chunk);
void gp_arena_free(gp_arena_t *a);

/* Memory aligned for any type, uninitialised / zeroed. */
void *gp_arena_alloc(gp_arena_t *a, size_t n);
void *gp_arena_calloc(gp_arena_t *a, size_t n);
#define gp_arena_new_obj(a, type) ((type *)gp_arena_calloc((a), sizeof(type)))

char *gp_arena_strndup(gp_arena_t *a, const char *s, size_t n);
char *gp_arena_strdup(gp_arena_t *a, const char *s);
char *gp_arena_printf(gp_arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *gp_arena_vprintf(gp_arena_t *a, const char *fmt, va_list ap);

/* Bytes handed out so far (for limits and statistics). */
size_t gp_arena_used(const gp_arena_t *a);

/* A request's memory cap. Past `limit` bytes (0: none) gp_arena_try_alloc refuses,
 * so text built with a strbuf stops growing with its sticky error; gp_arena_alloc
 * still succeeds (its callers cannot fail) but marks the arena over its limit,
 * which the owner checks once the work is done and answers with a clean error. */
void gp_arena_set_limit(gp_arena_t *a, size_t limit);
void *gp_arena_try_alloc(gp_arena_t *a, size_t n); /* NULL past the limit */
bool gp_arena_over_limit(const gp_arena_t *a);

#endif
