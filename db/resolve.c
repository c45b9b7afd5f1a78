/* db/resolve.c — the database's host names looked up off the event loop.
 *
 * The pure half works out, from the connection parameters, which hosts libpq would
 * look up, and builds the parameters that spare it the lookup. The other half runs the
 * lookups: one detached thread per lookup (lookups happen only on connects, and the
 * connections of one loop share the lookup under way), reporting back through a pipe
 * that the loop watches.
 *
 * A lookup can outlive its resolver (the pool shut down while DNS hangs), so the job
 * is shared by the thread and the resolver and freed by whichever lets go last. The
 * thread writes to the pipe only under the job's mutex and only while the resolver
 * still wants the answer, so it never writes to a descriptor that was closed (and
 * perhaps reused). */
#define _GNU_SOURCE /* pipe2 */
#include "db/resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/log.h"
#include "base/strbuf.h"

#define LIST_MAX 8192 /* bytes of one built host, hostaddr or port list */

/* ---- which hosts libpq would look up ------------------------------------------- */

bool gp_resolve_is_name(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    if (host == NULL || host[0] == '\0' || host[0] == '/' || host[0] == '@')
        return false;
    return inet_pton(AF_INET, host, buf) != 1 && inet_pton(AF_INET6, host, buf) != 1;
}

/* The settings that decide where libpq connects. */
typedef struct where {
    const char *host, *hostaddr, *port, *service;
} where_t;

static void where_set(where_t *w, const char *keyword, const char *value, gp_arena_t *a)
{
    if (value == NULL || value[0] == '\0')
        return; /* libpq ignores empty values too */
    const char **slot = strcmp(keyword, "host") == 0       ? &w->host
                        : strcmp(keyword, "hostaddr") == 0 ? &w->hostaddr
                        : strcmp(keyword, "port") == 0     ? &w->port
                        : strcmp(keyword, "service") == 0  ? &w->service
                                                           : NULL;
    if (slot != NULL)
        *slot = gp_arena_strdup(a, value);
}

/* libpq's test for a dbname that is itself a connection string. */
static bool is_conninfo(const char *s)
{
    return strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0 || strchr(s, '=') != NULL;
}

/* PQconnectStartParams's rules with expand_dbname = 1: the first dbname, if it is a
 * connection string, sets what it names at its position; later keywords override;
 * the environment fills what is still unset. */
static void where_from_params(const char *const *keywords, const char *const *values, gp_arena_t *a, where_t *w)
{
    bool expanded = false;
    for (int i = 0; keywords[i] != NULL; i++) {
        if (!expanded && strcmp(keywords[i], "dbname") == 0 && values[i] != NULL) {
            expanded = true;
            if (values[i][0] != '\0' && is_conninfo(values[i])) {
                PQconninfoOption *opts = PQconninfoParse(values[i], NULL);
                for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++)
                    where_set(w, o->keyword, o->val, a);
                PQconninfoFree(opts);
                continue;
            }
        }
        where_set(w, keywords[i], values[i], a);
    }
    if (w->host == NULL)
        where_set(w, "host", getenv("PGHOST"), a);
    if (w->hostaddr == NULL)
        where_set(w, "hostaddr", getenv("PGHOSTADDR"), a);
    if (w->port == NULL)
        where_set(w, "port", getenv("PGPORT"), a);
    if (w->service == NULL)
        where_set(w, "service", getenv("PGSERVICE"), a);
}

/* Splits a comma-separated list in place, as libpq does (no escapes); -1 if longer than max. */
static int split_list(char *s, const char **out, int max)
{
    int n = 0;
    for (;;) {
        if (n == max)
            return -1;
        out[n++] = s;
        char *comma = strchr(s, ',');
        if (comma == NULL)
            return n;
        *comma = '\0';
        s = comma + 1;
    }
}

void gp_resolve_target(const char *const *keywords, const char *const *values, gp_arena_t *a,
                       gp_resolve_target_t *t)
{
    where_t w = {0};
    memset(t, 0, sizeof *t);
    where_from_params(keywords, values, a, &w);
    /* A hostaddr is the user's own choice; a service file may name any host. */
    if (w.host == NULL || w.hostaddr != NULL || w.service != NULL)
        return;
    int nhosts = split_list(gp_arena_strdup(a, w.host), t->hosts, GP_RESOLVE_MAX_HOSTS);
    if (nhosts < 0)
        return;
    if (w.port != NULL && strchr(w.port, ',') != NULL &&
        split_list(gp_arena_strdup(a, w.port), t->ports, GP_RESOLVE_MAX_HOSTS) != nhosts) {
        memset(t->ports, 0, sizeof t->ports); /* libpq reports the mismatch itself */
        return;
    }
    t->nhosts = nhosts;
    for (int i = 0; i < nhosts; i++) {
        t->is_name[i] = gp_resolve_is_name(t->hosts[i]);
        t->nnames += t->is_name[i];
    }
}

/* ---- the parameters that spare libpq the lookup ------------------------------- */

static void list_add(gp_strbuf_t *sb, int *n, const char *item)
{
    if ((*n)++ > 0)
        gp_strbuf_putc(sb, ',');
    gp_strbuf_puts(sb, item);
}

bool gp_resolve_params(const char *const *keywords, const char *const *values, const gp_resolve_target_t *t,
                       const gp_resolve_addrs_t *addrs, gp_arena_t *a, const char *const **out_keywords,
                       const char *const **out_values)
{
    gp_strbuf_t host, hostaddr, port;
    int nh = 0, na = 0, np = 0;
    gp_strbuf_init(&host, a, LIST_MAX);
    gp_strbuf_init(&hostaddr, a, LIST_MAX);
    gp_strbuf_init(&port, a, LIST_MAX);
    for (int i = 0; i < t->nhosts; i++) {
        int naddrs = t->is_name[i] ? addrs[i].n : 1;
        for (int k = 0; k < naddrs; k++) {
            list_add(&host, &nh, t->hosts[i]);
            list_add(&hostaddr, &na, t->is_name[i] ? addrs[i].addr[k] : "");
            if (t->ports[0] != NULL)
                list_add(&port, &np, t->ports[i]);
        }
    }
    if (nh == 0 || host.error || hostaddr.error || port.error)
        return false;
    int n = 0;
    while (keywords[n] != NULL)
        n++;
    const char **kw = gp_arena_alloc(a, (size_t)(n + 4) * sizeof *kw);
    const char **val = gp_arena_alloc(a, (size_t)(n + 4) * sizeof *val);
    memcpy(kw, keywords, (size_t)n * sizeof *kw);
    memcpy(val, values, (size_t)n * sizeof *val);
    /* Appended, so they override whatever the URL or an earlier keyword said. */
    kw[n] = "host", val[n++] = host.data;
    kw[n] = "hostaddr", val[n++] = hostaddr.data;
    if (np > 0)
        kw[n] = "port", val[n++] = port.data;
    kw[n] = val[n] = NULL;
    *out_keywords = kw;
    *out_values = val;
    return true;
}

/* ---- one lookup, on its own thread ---------------------------------------------- */

int (*gp_resolve_getaddrinfo)(const char *node, const char *service, const struct addrinfo *hints,
                              struct addrinfo **res) = getaddrinfo;

typedef struct job {
    pthread_mutex_t mu;
    int refs;       /* the thread's and the resolver's */
    bool done;      /* the thread has filled addrs */
    bool orphaned;  /* the resolver is gone: write nothing */
    int wake_fd;    /* the resolver's pipe */
    char *names[GP_RESOLVE_MAX_HOSTS]; /* NULL for hosts that are not names */
    gp_resolve_addrs_t addrs[GP_RESOLVE_MAX_HOSTS];
    const char *errors[GP_RESOLVE_MAX_HOSTS]; /* gai_strerror's static text */
} job_t;

static void job_release(job_t *j)
{
    pthread_mutex_lock(&j->mu);
    bool last = --j->refs == 0;
    pthread_mutex_unlock(&j->mu);
    if (!last)
        return;
    pthread_mutex_destroy(&j->mu);
    for (int i = 0; i < GP_RESOLVE_MAX_HOSTS; i++)
        free(j->names[i]);
    free(j);
}

/* The addresses of `name` in getaddrinfo's order (libpq tries them in that order),
 * without repeats. As libpq asks: any family, stream sockets, no flags. */
static const char *lookup(const char *name, gp_resolve_addrs_t *out)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
    int rc = gp_resolve_getaddrinfo(name, NULL, &hints, &res);
    if (rc != 0)
        return gai_strerror(rc);
    for (struct addrinfo *ai = res; ai != NULL && out->n < GP_RESOLVE_MAX_ADDRS; ai = ai->ai_next) {
        const void *addr = ai->ai_family == AF_INET    ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                           : ai->ai_family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
                                                       : NULL;
        char *text = out->addr[out->n];
        if (addr == NULL || inet_ntop(ai->ai_family, addr, text, sizeof out->addr[0]) == NULL)
            continue;
        bool seen = false;
        for (int k = 0; k < out->n && !seen; k++)
            seen = strcmp(out->addr[k], text) == 0;
        out->n += !seen;
    }
    freeaddrinfo(res);
    return out->n > 0 ? NULL : "no usable address";
}

static void job_finish(job_t *j)
{
    pthread_mutex_lock(&j->mu);
    j->done = true;
    if (!j->orphaned && write(j->wake_fd, "", 1) != 1)
        gp_warn("resolve", "cannot wake the event loop: %s", strerror(errno)); /* a full pipe already wakes it */
    pthread_mutex_unlock(&j->mu);
    job_release(j);
}

static void *job_main(void *arg)
{
    job_t *j = arg;
    for (int i = 0; i < GP_RESOLVE_MAX_HOSTS; i++)
        if (j->names[i] != NULL)
            j->errors[i] = lookup(j->names[i], &j->addrs[i]);
    job_finish(j);
    return NULL;
}

static job_t *job_start(const gp_resolve_target_t *t, int wake_fd)
{
    job_t *j = calloc(1, sizeof *j);
    if (j == NULL)
        abort();
    pthread_mutex_init(&j->mu, NULL);
    j->refs = 2;
    j->wake_fd = wake_fd;
    for (int i = 0; i < t->nhosts; i++)
        if (t->is_name[i] && (j->names[i] = strdup(t->hosts[i])) == NULL)
            abort();
    pthread_attr_t attr;
    pthread_t tid;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&tid, &attr, job_main, j);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        for (int i = 0; i < GP_RESOLVE_MAX_HOSTS; i++)
            j->errors[i] = "cannot start a thread to resolve it";
        job_finish(j); /* answered through the pipe all the same: never before returning */
    }
    return j;
}

/* ---- the resolver of one loop -------------------------------------------------- */

struct gp_resolver {
    h2o_loop_t *loop;
    const char *const *keywords, *const *values;
    gp_arena_t *arena; /* the target's strings */
    gp_resolve_target_t target;
    h2o_linklist_t waiters;
    job_t *job;      /* the lookup under way */
    int wake_fd;     /* the pipe's write end */
    h2o_socket_t *wake; /* watches its read end */
};

/* Builds what the waiters connect with; NULL (and `error`) if no host has an address. */
static bool job_params(gp_resolver_t *r, job_t *j, gp_arena_t *a, const char *const **kw, const char *const **val,
                       const char **error)
{
    *error = NULL;
    for (int i = 0; i < r->target.nhosts; i++) {
        if (j->names[i] == NULL)
            continue;
        gp_strbuf_t sb;
        gp_strbuf_init(&sb, a, LIST_MAX);
        for (int k = 0; k < j->addrs[i].n; k++)
            gp_strbuf_printf(&sb, "%s%s", k > 0 ? " " : "", j->addrs[i].addr[k]);
        if (j->errors[i] != NULL) {
            *error = gp_arena_printf(a, "could not translate host name \"%s\" to address: %s", j->names[i],
                                     j->errors[i]);
            gp_warn("resolve", "%s", *error);
        } else {
            gp_info("resolve", "%s: %s", j->names[i], sb.error ? "(many)" : sb.data);
        }
    }
    if (gp_resolve_params(r->keywords, r->values, &r->target, j->addrs, a, kw, val))
        return true;
    if (*error == NULL)
        *error = "no database host has an address";
    return false;
}

static void deliver(gp_resolver_t *r, job_t *j)
{
    gp_arena_t *a = gp_arena_new(1024);
    const char *const *kw = NULL, *const *val = NULL;
    const char *error;
    bool ok = job_params(r, j, a, &kw, &val, &error);
    h2o_linklist_t waiters;
    h2o_linklist_init_anchor(&waiters);
    h2o_linklist_insert_list(&waiters, &r->waiters); /* a callback may start the next lookup */
    while (!h2o_linklist_is_empty(&waiters)) {
        gp_resolve_wait_t *w = H2O_STRUCT_FROM_MEMBER(gp_resolve_wait_t, link, waiters.next);
        h2o_linklist_unlink(&w->link);
        w->cb(w, ok ? kw : NULL, ok ? val : NULL, ok ? NULL : error);
    }
    gp_arena_free(a);
}

static void on_wake(h2o_socket_t *sock, const char *err)
{
    gp_resolver_t *r = sock->data;
    char buf[16];
    (void)err; /* a pipe has no errors to report; reading tells */
    while (read(h2o_socket_get_fd(sock), buf, sizeof buf) > 0)
        ;
    job_t *j = r->job;
    if (j == NULL)
        return;
    pthread_mutex_lock(&j->mu);
    bool done = j->done;
    pthread_mutex_unlock(&j->mu);
    if (!done)
        return;
    r->job = NULL;
    deliver(r, j);
    job_release(j);
}

static bool open_wake(gp_resolver_t *r)
{
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
        gp_warn("resolve", "no pipe (%s): libpq will resolve host names itself, blocking its loop", strerror(errno));
        return false;
    }
    r->wake_fd = fds[1];
    r->wake = h2o_evloop_socket_create(r->loop, fds[0], H2O_SOCKET_FLAG_DONT_READ);
    r->wake->data = r;
    h2o_socket_read_start(r->wake, on_wake);
    return true;
}

gp_resolver_t *gp_resolver_create(h2o_loop_t *loop, const char *const *keywords, const char *const *values)
{
    gp_resolver_t *r = calloc(1, sizeof *r);
    if (r == NULL)
        abort();
    r->loop = loop;
    r->keywords = keywords;
    r->values = values;
    r->arena = gp_arena_new(512);
    r->wake_fd = -1;
    h2o_linklist_init_anchor(&r->waiters);
    gp_resolve_target(keywords, values, r->arena, &r->target);
    if (r->target.nnames > 0 && !open_wake(r))
        r->target.nnames = 0;
    return r;
}

bool gp_resolver_start(gp_resolver_t *r, gp_resolve_wait_t *w, gp_resolve_cb cb)
{
    if (r == NULL || r->target.nnames == 0)
        return false;
    w->cb = cb;
    if (h2o_linklist_is_linked(&w->link))
        h2o_linklist_unlink(&w->link);
    h2o_linklist_insert(&r->waiters, &w->link);
    if (r->job == NULL)
        r->job = job_start(&r->target, r->wake_fd);
    return true;
}

void gp_resolve_cancel(gp_resolve_wait_t *w)
{
    if (h2o_linklist_is_linked(&w->link))
        h2o_linklist_unlink(&w->link);
}

void gp_resolver_destroy(gp_resolver_t *r)
{
    if (r == NULL)
        return;
    while (!h2o_linklist_is_empty(&r->waiters))
        h2o_linklist_unlink(r->waiters.next); /* their later cancels are no-ops */
    if (r->job != NULL) {
        pthread_mutex_lock(&r->job->mu);
        r->job->orphaned = true;
        pthread_mutex_unlock(&r->job->mu);
        job_release(r->job);
    }
    if (r->wake != NULL) {
        h2o_socket_close(r->wake);
        close(r->wake_fd);
    }
    gp_arena_free(r->arena);
    free(r);
}
