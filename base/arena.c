/* base/arena.c — a linked list of chunks; big requests get a chunk of their own. */
#include "arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN 16

typedef struct chunk {
    struct chunk *next;
    size_t size, used;
    _Alignas(ALIGN) unsigned char data[];
} chunk_t;

struct gp_arena {
    chunk_t *head;
    size_t chunk_size;
    size_t total;
    size_t limit;       /* 0: none */
    bool over;          /* an allocation went past `limit` */
};

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (p == NULL) {
        fputs("graphpost: out of memory\n", stderr);
        abort();
    }
    return p;
}

static chunk_t *chunk_new(size_t size)
{
    chunk_t *c = xmalloc(sizeof *c + size);
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

gp_arena_t *gp_arena_new(size_t chunk)
{
    gp_arena_t *a = xmalloc(sizeof *a);
    a->chunk_size = chunk < 256 ? 256 : chunk;
    a->head = chunk_new(a->chunk_size);
    a->total = 0;
    a->limit = 0;
    a->over = false;
    return a;
}

void gp_arena_free(gp_arena_t *a)
{
    if (a == NULL)
        return;
    chunk_t *c = a->head;
    while (c != NULL) {
        chunk_t *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

void *gp_arena_alloc(gp_arena_t *a, size_t n)
{
    size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (need == 0)
        need = ALIGN;
    chunk_t *c = a->head;
    if (a->limit != 0 && a->total + need > a->limit)
        a->over = true;
    if (c->size - c->used < need) {
        if (need > a->chunk_size / 4) {
            /* A big block gets its own chunk behind the current one, so the
             * current chunk's free space is not wasted. */
            chunk_t *big = chunk_new(need);
            big->used = need;
            big->next = c->next;
            c->next = big;
            a->total += need;
            return big->data;
        }
        c = chunk_new(a->chunk_size);
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->total += need;
    return p;
}

void *gp_arena_calloc(gp_arena_t *a, size_t n)
{
    void *p = gp_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *gp_arena_strndup(gp_arena_t *a, const char *s, size_t n)
{
    char *p = gp_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *gp_arena_strdup(gp_arena_t *a, const char *s)
{
    return gp_arena_strndup(a, s, strlen(s));
}

char *gp_arena_vprintf(gp_arena_t *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        n = 0;
    char *p = gp_arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *gp_arena_printf(gp_arena_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = gp_arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

size_t gp_arena_used(const gp_arena_t *a)
{
    return a->total;
}

void gp_arena_set_limit(gp_arena_t *a, size_t limit)
{
    a->limit = limit;
}

void *gp_arena_try_alloc(gp_arena_t *a, size_t n)
{
    if (a->limit != 0 && (n > a->limit || a->total > a->limit - n)) {
        a->over = true;
        return NULL;
    }
    return gp_arena_alloc(a, n);
}

bool gp_arena_over_limit(const gp_arena_t *a)
{
    return a->over;
}
