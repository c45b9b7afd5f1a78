/* db/listen.c — one LISTEN connection on a thread of its own.
 *
 * The thread owns everything in the struct but cb/data and the eventfd, which the
 * caller writes once to stop it. It only ever waits in poll() on its socket and that
 * eventfd, so a stop ends a connect, a LISTEN, an idle wait or a backoff sleep at once.
 * (A host name is still looked up by libpq's blocking getaddrinfo inside
 * PQconnectStartParams; a stop during a slow lookup waits for it.) The connection is
 * blocking, but the thread only reads after poll() said there is something, and only
 * ever writes two tiny queries. PQconnectPoll ignores connect_timeout, so each connect
 * attempt has a deadline of its own. */
#define _GNU_SOURCE /* asprintf */
#include "db/listen.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/log.h"
#include "db/triggers.h"

#ifndef GP_LISTEN_IDLE_MS
#define GP_LISTEN_IDLE_MS 30000 /* silence after which a SELECT 1 checks the connection */
#endif
#define GP_LISTEN_CONNECT_TIMEOUT_MS 5000
#define GP_LISTEN_BACKOFF_MIN_MS 100
#define GP_LISTEN_BACKOFF_MAX_MS 5000
#define GP_LISTEN_RETRY_MS 1000 /* after a failed watch statement */

/* A set of table names ("schema.table"). */
typedef struct {
    char **items;
    int n, cap;
} names_t;

struct gp_listen {
    pthread_t thread;
    int wake_fd;       /* eventfd: readable once the caller wants the thread to stop */
    int work_fd;       /* eventfd: readable when `want` changed */
    pthread_mutex_t lock; /* guards `want` */
    names_t want;      /* the tables the caller watches (gp_listen_watch), once per watcher */
    int nparams;
    char **keywords;   /* copies of nparams strings and a NULL; a value may be NULL */
    char **values;
    char *channel;     /* for the log */
    char *listen_sql;  /* LISTEN "<channel>" */
    gp_listen_cb cb;
    void *data;
    /* The thread's own: */
    bool stopped;          /* the wake fd fired */
    bool down;             /* an outage was logged and has not ended */
    long long down_since;  /* ms, when `down` */
    char reason[256];      /* why the last connection failed or was lost, one line */
    names_t recorded;      /* in graphpost.watched for this connection's backend */
    names_t recording;     /* what `recorded` becomes once the statement in flight is done */
    names_t announce;      /* the tables it adds: cb hears of each then */
    bool syncing;          /* that statement is in flight */
    bool sync_failed;      /* and failed: `recorded` stays as it was */
    long long failed_at;   /* ms, when it failed */
};

static bool names_has(const names_t *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->items[i], name) == 0)
            return true;
    return false;
}

static void names_add(names_t *s, const char *name)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        if ((s->items = realloc(s->items, sizeof *s->items * (size_t)s->cap)) == NULL)
            abort();
    }
    if ((s->items[s->n++] = strdup(name)) == NULL)
        abort();
}

static void names_remove(names_t *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->items[i], name) == 0) {
            free(s->items[i]);
            s->items[i] = s->items[--s->n];
            return;
        }
}

static void names_clear(names_t *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->items[i]);
    s->n = 0;
}

static void names_free(names_t *s)
{
    names_clear(s);
    free(s->items);
    *s = (names_t){0};
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void set_reason(gp_listen_t *l, const char *why)
{
    gp_log_one_line(l->reason, sizeof l->reason, why);
}

/* Waits until fd (may be -1: just sleep) has `events`, the stop comes, or ms pass;
 * with `work`, also until the watched tables changed. Returns 1, 2 (work), -1 (stop:
 * l->stopped is set) or 0 (time is up). */
static int wait_fd(gp_listen_t *l, int fd, short events, long long ms, bool work)
{
    long long deadline = now_ms() + (ms > 0 ? ms : 0);
    for (;;) {
        struct pollfd p[3] = {{.fd = l->wake_fd, .events = POLLIN}, {.fd = fd, .events = events},
                              {.fd = work ? l->work_fd : -1, .events = POLLIN}};
        long long left = deadline - now_ms();
        int n = poll(p, 3, left > 0 ? (int)left : 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || p[0].revents != 0) {
            l->stopped = true; /* poll() itself failing leaves nothing to wait with */
            return -1;
        }
        if (p[2].revents != 0) {
            uint64_t count;
            ssize_t ignored = read(l->work_fd, &count, sizeof count);
            (void)ignored;
            return 2;
        }
        if (n > 0)
            return 1; /* POLLERR/POLLHUP too: libpq then reports the error */
        return 0;
    }
}

/* Info, not debug: on this quiet connection a notice is rare, and the one that matters
 * (FATAL: terminating connection due to administrator command) says why it was lost,
 * which PQerrorMessage then does not. */
static void on_notice(void *arg, const char *msg)
{
    char line[256];
    gp_info("listen", "notice: %s", gp_log_one_line(line, sizeof line, msg));
}

/* A connection ready for queries; NULL when it failed (l->reason says why) or the stop came. */
static PGconn *open_conn(gp_listen_t *l)
{
    PGconn *pg = PQconnectStartParams((const char *const *)l->keywords, (const char *const *)l->values, 1);
    if (pg == NULL) {
        set_reason(l, "out of memory");
        return NULL;
    }
    PQsetNoticeProcessor(pg, on_notice, NULL); /* else libpq prints them to stderr itself */
    long long deadline = now_ms() + GP_LISTEN_CONNECT_TIMEOUT_MS;
    PostgresPollingStatusType st = PGRES_POLLING_WRITING; /* libpq: the first wait is for write */
    while (PQstatus(pg) != CONNECTION_BAD && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
        /* PQsocket may change between steps: libpq tries hosts and addresses in turn. */
        int r = wait_fd(l, PQsocket(pg), st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline - now_ms(), false);
        if (r <= 0) {
            if (r == 0)
                set_reason(l, "connect timed out");
            PQfinish(pg);
            return NULL;
        }
        st = PQconnectPoll(pg);
    }
    if (st != PGRES_POLLING_OK) {
        set_reason(l, PQerrorMessage(pg));
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

static void on_listening(gp_listen_t *l, PGconn *pg)
{
    if (l->down)
        gp_info("listen", "listening on channel %s again after %lld ms (backend pid %d)", l->channel,
                now_ms() - l->down_since, PQbackendPID(pg));
    else
        gp_info("listen", "listening on channel %s (backend pid %d)", l->channel, PQbackendPID(pg));
    l->down = false;
    l->cb(l->data, NULL); /* whatever was sent while nobody listened is lost */
}

/* Records in graphpost.watched what the caller watches now and did not before (and
 * drops what it no longer does), unless it is so already; on a new connection, first
 * drops the rows of backends that are gone. True when a statement went out. */
static bool send_watch(gp_listen_t *l, PGconn *pg, bool first)
{
    names_clear(&l->recording);
    names_clear(&l->announce);
    pthread_mutex_lock(&l->lock);
    for (int i = 0; i < l->want.n; i++)
        if (!names_has(&l->recording, l->want.items[i]))
            names_add(&l->recording, l->want.items[i]);
    pthread_mutex_unlock(&l->lock);
    const char **on = calloc((size_t)l->recording.n + 1, sizeof *on);
    const char **off = calloc((size_t)l->recorded.n + 1, sizeof *off);
    int non = 0, noff = 0;
    for (int i = 0; on != NULL && i < l->recording.n; i++)
        if (!names_has(&l->recorded, l->recording.items[i])) {
            on[non++] = l->recording.items[i];
            names_add(&l->announce, l->recording.items[i]);
        }
    for (int i = 0; off != NULL && i < l->recorded.n; i++)
        if (!names_has(&l->recording, l->recorded.items[i]))
            off[noff++] = l->recorded.items[i];
    char *watch = on != NULL && off != NULL ? gp_triggers_watch_sql(pg, on, non, off, noff) : NULL;
    char *sql = NULL; /* the first time anything is watched, the rows of gone backends go too */
    if (watch != NULL && non + noff > 0 && asprintf(&sql, "%s%s", first ? GP_TRIGGERS_FORGET_GONE ";" : "", watch) < 0)
        sql = NULL;
    bool sent = sql != NULL && PQsendQuery(pg, sql);
    free(on);
    free(off);
    free(watch);
    free(sql);
    l->syncing = sent;
    l->sync_failed = false;
    return sent;
}

/* The watch statement is done: the tables it added may have changed unheard before. */
static void watch_done(gp_listen_t *l)
{
    l->syncing = false;
    if (l->sync_failed)
        return;
    names_t done = l->recorded;
    l->recorded = l->recording;
    l->recording = done;
    if (l->announce.n > 0)
        l->cb(l->data, NULL);
    names_clear(&l->announce);
}

/* Reads what the server sent. False when the connection is lost (l->reason says why). */
static bool drain(gp_listen_t *l, PGconn *pg, bool *listening, bool *waiting)
{
    if (!PQconsumeInput(pg)) {
        set_reason(l, PQerrorMessage(pg));
        return false;
    }
    while (!PQisBusy(pg)) {
        PGresult *r = PQgetResult(pg);
        if (r == NULL) { /* the statement in flight is done */
            if (l->syncing)
                watch_done(l);
            *waiting = false;
            break;
        }
        ExecStatusType st = PQresultStatus(r);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && l->syncing) {
            /* graphpost.watched is gone (dropped by hand?): the connection is fine, the
             * tables are not heard; the next change of the set tries again. */
            char line[256];
            gp_warn("listen", "cannot record the watched tables (trying again in %d ms): %s", GP_LISTEN_RETRY_MS,
                    gp_log_one_line(line, sizeof line, PQresultErrorMessage(r)));
            l->sync_failed = true;
            l->failed_at = now_ms();
            PQclear(r);
            continue;
        }
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            set_reason(l, PQresultErrorMessage(r));
            PQclear(r);
            return false;
        }
        PQclear(r);
        if (!*listening && st == PGRES_COMMAND_OK) { /* LISTEN's; the probe returns tuples */
            *listening = true;
            on_listening(l, pg);
        }
    }
    PGnotify *n;
    while ((n = PQnotifies(pg)) != NULL) {
        l->cb(l->data, n->extra);
        PQfreemem(n);
    }
    if (PQstatus(pg) == CONNECTION_BAD) {
        set_reason(l, PQerrorMessage(pg));
        return false;
    }
    return true;
}

/* Runs LISTEN and hands notifications up until the connection is lost (l->reason says
 * why) or the stop comes (l->stopped). True when LISTEN took effect. */
static bool serve(gp_listen_t *l, PGconn *pg)
{
    bool listening = false, waiting = true; /* waiting: a query was sent, its answer is not in */
    if (!PQsendQuery(pg, l->listen_sql)) {
        set_reason(l, PQerrorMessage(pg));
        return false;
    }
    long long heard = now_ms(); /* when the server last sent something */
    bool first = true, work = true; /* work: the watched tables may differ from those recorded */
    names_clear(&l->recorded);  /* a new backend: its pid has no rows yet */
    for (;;) {
        if (listening && !waiting && work) {
            work = false;
            waiting = send_watch(l, pg, first);
            first = first && !waiting;
        }
        long long until = heard + GP_LISTEN_IDLE_MS;
        if (l->sync_failed && !l->syncing && !work) /* try again in a while */
            until = until < l->failed_at + GP_LISTEN_RETRY_MS ? until : l->failed_at + GP_LISTEN_RETRY_MS;
        int r = wait_fd(l, PQsocket(pg), POLLIN, until - now_ms(), true);
        if (r < 0)
            return listening;
        if (r == 2 || (r == 0 && l->sync_failed && now_ms() >= l->failed_at + GP_LISTEN_RETRY_MS)) {
            work = true;
            continue;
        }
        if (r > 0) {
            heard = now_ms();
            if (!drain(l, pg, &listening, &waiting))
                return listening;
            continue;
        }
        /* A dead peer (host gone, cable cut) sends no RST: only a question notices. */
        if (waiting) {
            set_reason(l, "no answer from the server");
            return listening;
        }
        if (!PQsendQuery(pg, "SELECT 1")) {
            set_reason(l, PQerrorMessage(pg));
            return listening;
        }
        waiting = true;
        heard = now_ms();
    }
}

static void *run(void *arg)
{
    gp_listen_t *l = arg;
    int backoff = 0; /* ms; 0: the last connection was up, so the next retry waits the least */
    while (!l->stopped) {
        PGconn *pg = open_conn(l);
        if (pg != NULL) {
            if (serve(l, pg))
                backoff = 0;
            PQfinish(pg);
        }
        if (l->stopped)
            break;
        if (!l->down) {
            gp_warn("listen", "no LISTEN connection: %s; reconnecting", l->reason);
            l->down = true;
            l->down_since = now_ms();
        } else {
            gp_debug("listen", "reconnect failed: %s", l->reason);
        }
        backoff = backoff == 0 ? GP_LISTEN_BACKOFF_MIN_MS : backoff * 2;
        if (backoff > GP_LISTEN_BACKOFF_MAX_MS)
            backoff = GP_LISTEN_BACKOFF_MAX_MS;
        wait_fd(l, -1, 0, backoff, false);
    }
    return NULL;
}

/* ---- the caller's side ------------------------------------------------------------ */

static void free_strv(char **v, int n)
{
    for (int i = 0; v != NULL && i < n; i++)
        free(v[i]);
    free(v);
}

/* A copy of n strings (any may be NULL), then `last`, then a NULL; NULL when memory ran out. */
static char **copy_strv(const char *const *v, int n, const char *last)
{
    char **c = calloc((size_t)n + 2, sizeof *c);
    for (int i = 0; c != NULL && i <= n; i++) {
        const char *s = i < n ? v[i] : last;
        if (s != NULL && (c[i] = strdup(s)) == NULL) {
            free_strv(c, n + 1);
            c = NULL;
        }
    }
    return c;
}

static void listen_free(gp_listen_t *l)
{
    if (l->wake_fd >= 0)
        close(l->wake_fd);
    if (l->work_fd >= 0)
        close(l->work_fd);
    pthread_mutex_destroy(&l->lock);
    names_free(&l->want);
    names_free(&l->recorded);
    names_free(&l->recording);
    names_free(&l->announce);
    free_strv(l->keywords, l->nparams);
    free_strv(l->values, l->nparams);
    free(l->channel);
    free(l->listen_sql);
    free(l);
}

/* LISTEN takes an identifier: in double quotes, each one inside doubled. */
static char *listen_sql(const char *channel)
{
    char *sql = malloc(strlen(channel) * 2 + sizeof "LISTEN \"\"");
    if (sql == NULL)
        return NULL;
    char *o = stpcpy(sql, "LISTEN \"");
    for (const char *c = channel; *c != '\0'; c++) {
        if (*c == '"')
            *o++ = '"';
        *o++ = *c;
    }
    strcpy(o, "\"");
    return sql;
}

gp_listen_t *gp_listen_start(const char *const *keywords, const char *const *values, const char *channel,
                             gp_listen_cb cb, void *data)
{
    gp_listen_t *l = calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    while (keywords[l->nparams] != NULL)
        l->nparams++;
    l->cb = cb;
    l->data = data;
    pthread_mutex_init(&l->lock, NULL);
    l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    l->work_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int err = l->wake_fd < 0 || l->work_fd < 0 ? errno : 0;
    l->keywords = copy_strv(keywords, l->nparams, "application_name");
    l->values = copy_strv(values, l->nparams, GP_LISTEN_APPLICATION_NAME);
    l->nparams++;
    l->channel = strdup(channel);
    l->listen_sql = listen_sql(channel);
    if (err == 0 && (l->keywords == NULL || l->values == NULL || l->channel == NULL || l->listen_sql == NULL))
        err = ENOMEM;
    if (err == 0)
        err = pthread_create(&l->thread, NULL, run, l);
    if (err != 0) {
        gp_error("listen", "cannot start the listener: %s", strerror(err));
        listen_free(l);
        return NULL;
    }
    return l;
}

void gp_listen_watch(gp_listen_t *l, const char *table, bool on)
{
    pthread_mutex_lock(&l->lock);
    if (on)
        names_add(&l->want, table);
    else
        names_remove(&l->want, table);
    pthread_mutex_unlock(&l->lock);
    uint64_t one = 1;
    ssize_t ignored = write(l->work_fd, &one, sizeof one);
    (void)ignored;
}

void gp_listen_stop(gp_listen_t *l)
{
    if (l == NULL)
        return;
    uint64_t one = 1;
    ssize_t ignored = write(l->wake_fd, &one, sizeof one); /* fails only when the count is full: awake anyway */
    (void)ignored;
    pthread_join(l->thread, NULL);
    listen_free(l);
}
