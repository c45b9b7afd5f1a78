/* server/live.c — cohorts of live queries, refreshed by one statement each:
 *
 *   SELECT string_agg(_live.i::text || ':' || octet_length(_r.d)::text || ':' || _r.d, '' ORDER BY _live.i)
 *   FROM unnest($1::int4[], $2::text[], $3::text[]) AS _live(i, p1, p2)
 *   CROSS JOIN LATERAL (SELECT <the plan's `data`, or '!' and its size when too large> AS d) AS _r
 *
 * The plan reads its parameters as _live.p1, _live.p2 (GP_SQL_LIVE_REF), so the same
 * text runs for every subscriber at once, and the answer is one cell of length-prefixed
 * frames "i:len:data", split here without parsing any JSON. A stream (T_stream) also
 * passes each subscriber's cursor (_live.c) and gets its next value back
 * ("i:len:data:len:cursor", len -1 when the batch was empty); a batch that moved the
 * cursor makes its subscriber stale again, until a batch comes back empty.
 *
 * A cohort lives on one worker of the process, its home (chosen by its SQL's hash),
 * whichever workers its subscribers' sockets are on: so a change runs one statement per
 * cohort however many threads serve. A subscriber's worker sends its home JOIN and
 * LEAVE, the home sends back RESULTs, all through the loops' multithread queues (the
 * hub routes them; a worker that stopped takes no more). A subscriber is shared by the
 * two: its worker owns the callback and `gone`, its home the cohort's fields, and a
 * reference count frees it once neither (nor a message on its way) holds it.
 *
 * With read replicas, refreshes run on one (the least busy that is up), but a replica
 * lags: a refresh right after a NOTIFY could read the table as it was before the change,
 * and its subscribers would then miss the change until the next one. So the cohorts due
 * in a loop turn are refreshed behind a fence: first the writer's
 * pg_current_wal_insert_lsn() (taken after every NOTIFY and JOIN they are due for was
 * heard, so it is past the commit of every change they must see), then the replica's
 * pg_last_wal_replay_lsn() asked until it is there (after 5 ms, then 10, 20, 40, for at most
 * FENCE_WAIT_MS; then the writer refreshes them). A refresh sent after that check takes
 * its snapshot after it, so it sees those commits: replay only moves forward. The check
 * is its own statement, never a condition inside the refresh: a statement's snapshot is
 * taken before its expressions run, and replay may pass the LSN in between. A cohort
 * that a change (or a subscriber) reaches while it waits behind a fence is refreshed
 * with that fence and then once more behind the next one, so none starves and none
 * ends on a stale result. */
#include "server/live.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/error.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "db/pgerror.h"
#include "graphql/introspection.h"
#include "resolvers/plan.h"
#include "resolvers/sql.h"

#define PLAN_ARENA_CHUNK 8192
#define FENCE_WAIT_MS 1000      /* a replica this far behind: the writer refreshes instead */
/* Between two looks at its replay position: 5 ms, doubling to 40. Most of a replica's
 * lag is WAL not yet flushed (wal_writer_delay, 200 ms, with asynchronous commit): a
 * fixed 5 ms asked some forty times for it. */
#define FENCE_RETRY_FIRST_MS 5
#define FENCE_RETRY_STEPS 4
#define ERROR_BODY_MAX (1 << 20)
#define DATA_WRAP_LEN 9 /* {"data":…} */

typedef struct cohort cohort_t;

struct gp_live_sub {
    int refs;                   /* its worker's, its home's, and one per message about it */
    /* Its worker's: */
    gp_live_t *owner;
    int worker;                 /* owner's id: what its home sends to (owner may be gone by then) */
    int home;                   /* the worker its cohort lives on; -1: answered once, no cohort */
    bool stream;                /* its plan is a T_stream */
    bool gone;                  /* unsubscribed: nothing more reaches the callback */
    gp_live_cb cb;
    void *data;
    /* Its home's (set by its worker before JOIN, read-only after): */
    int nparams;
    char **params;              /* its values of the plan's parameters (NULL: SQL NULL) */
    /* Its home's: */
    cohort_t *cohort;
    gp_live_sub_t *next;        /* in its cohort */
    char *cursor;               /* a stream's: the last row sent's cursor value; NULL: the initial */
    uint64_t last;              /* hash of the last body sent */
    bool sent;                  /* it has had a result */
    bool stale;                 /* its result may have changed since it was last refreshed */
    bool alone;                 /* its statement failed when it ran alone: it runs alone, so that
                                 * its values do not fail the others' refreshes */
    int slot;                   /* its index in the refresh in flight, or -1 */
};

struct cohort {
    gp_live_t *live;            /* its home; NULL while on its way there in a JOIN */
    cohort_t *next;             /* in live->cohorts */
    gp_snapshot_t *snap;        /* the schema its plan was made on (a reference) */
    char *plan_sql;             /* what its subscribers share */
    char *sql;                  /* the refresh statement */
    uint64_t statement;         /* hash of sql: a prepared statement per connection */
    int nparams;                /* the plan's */
    bool stream;                /* a T_stream: subscribers carry cursors */
    uint8_t *reads;             /* the plan's tables, a bit per index in snap->model->tables */
    bool reads_any;             /* it calls functions */
    bool polled;                /* it reads a relation no trigger reports (a view, say) */
    gp_live_sub_t *subs;
    int nsubs;
    bool dirty;                 /* a table it reads changed: every subscriber is stale */
    bool retry;                 /* the last refresh found no database: try again at the next poll */
    bool isolate;               /* a refresh of several failed: one subscriber's values may be to
                                 * blame, so each stale one runs alone until none is left */
    bool queued;                /* on live->due */
    bool fenced;                /* on live->fenced: a change now cannot be behind its fence */
    bool redo;                  /* it was reached while fenced: refresh again behind the next fence */
    bool to_writer;             /* its replica went down: the next refresh runs on the writer */
    gp_pool_t *pool;            /* the one its refresh in flight runs on */
    cohort_t *due_next;         /* in live->due or live->fenced */
    gp_query_t *query;          /* the refresh in flight */
    gp_live_sub_t **batch;      /* the subscribers it refreshes, by slot (NULL: left since) */
    int nbatch;
    uint64_t started;           /* the loop's clock when the refresh went out, for the log */
};

struct gp_live {
    h2o_loop_t *loop;
    const gp_pools_t *pools;
    cohort_t *fenced;           /* due cohorts waiting for the fence in flight */
    bool fencing;
    gp_pool_t *fence_reader;    /* the replica the fence waits for */
    char fence_lsn[32];         /* the writer's WAL position it waits for */
    uint64_t fence_started;     /* the loop's clock when it began */
    gp_query_t *fence_query;    /* the LSN or replay check in flight */
    int fence_looks;            /* replay checks it made */
    h2o_timeout_t fence_retry[FENCE_RETRY_STEPS]; /* FENCE_RETRY_FIRST_MS doubled i times */
    h2o_timeout_entry_t fence_retry_entry;
    gp_live_config_t cf;
    gp_live_hub_t *hub;
    int id;                     /* its index in the hub */
    cohort_t *cohorts;          /* those whose home it is */
    cohort_t *due;              /* to refresh when the coalescing window closes */
    h2o_timeout_t coalesce, poll;
    h2o_timeout_entry_t coalesce_entry, poll_entry;
    h2o_multithread_receiver_t receiver;
    int nsubs, ncohorts;        /* its sockets' subscribers; the cohorts it is home to (read by other
                                 * threads: relaxed atomics) */
};

struct gp_live_hub {
    pthread_mutex_t lock;       /* guards lives[]: no message goes to a worker that stopped */
    int n;
    gp_live_t *lives[];         /* by worker id; NULL: not started, or stopped */
};

/* What the loops tell each other. */
typedef enum {
    M_CHANGE,                   /* from the listener: payload "schema.table"; `all`: anything may have changed */
    M_JOIN,                     /* to a home: `sub` joins `spec`'s cohort (`spec` is it, unless the home has one) */
    M_LEAVE,                    /* to a home: `sub` unsubscribed */
    M_RESULT,                   /* to a subscriber's worker: a body for `sub` */
} message_kind_t;

typedef struct {
    h2o_multithread_message_t super;
    message_kind_t kind;
    gp_live_sub_t *sub;         /* a reference */
    cohort_t *spec;
    bool all;
    gp_run_outcome_t outcome;
    size_t len;
    char text[];                /* the payload, or the body */
} message_t;

/* ---- subscribers and messages ---- */

static gp_live_sub_t *sub_ref(gp_live_sub_t *sub)
{
    __atomic_add_fetch(&sub->refs, 1, __ATOMIC_RELAXED);
    return sub;
}

static void sub_unref(gp_live_sub_t *sub)
{
    if (__atomic_sub_fetch(&sub->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    for (int i = 0; i < sub->nparams; i++)
        free(sub->params[i]);
    free(sub->params);
    free(sub->cursor);
    free(sub);
}

static message_t *message_new(message_kind_t kind, gp_live_sub_t *sub, const char *text, size_t len)
{
    message_t *m = calloc(1, sizeof *m + len + 1);
    if (m == NULL)
        abort();
    m->kind = kind;
    m->sub = sub;
    m->len = len;
    if (len > 0)
        memcpy(m->text, text, len);
    return m;
}

static void cohort_discard(cohort_t *c);

/* A message that will not be handled: what it holds is let go. */
static void message_drop(message_t *m)
{
    if (m->spec != NULL)
        cohort_discard(m->spec);
    if (m->sub != NULL)
        sub_unref(m->sub);
    free(m);
}

/* Sends `m` to worker `to`'s loop, or drops it when that worker stopped. */
static void post(gp_live_hub_t *hub, int to, message_t *m)
{
    pthread_mutex_lock(&hub->lock);
    gp_live_t *live = hub->lives[to];
    if (live != NULL)
        h2o_multithread_send_message(&live->receiver, &m->super);
    pthread_mutex_unlock(&hub->lock);
    if (live == NULL)
        message_drop(m);
}

/* The home of a cohort whose SQL hashes to `h`: one of the workers running. */
static int home_for(gp_live_hub_t *hub, uint64_t h)
{
    pthread_mutex_lock(&hub->lock);
    int running = 0, home = -1;
    for (int i = 0; i < hub->n; i++)
        running += hub->lives[i] != NULL;
    for (int i = 0, k = running > 0 ? (int)(h % (uint64_t)running) : 0; i < hub->n && home < 0; i++)
        if (hub->lives[i] != NULL && k-- == 0)
            home = i;
    pthread_mutex_unlock(&hub->lock);
    return home;
}

gp_live_hub_t *gp_live_hub_new(int workers)
{
    gp_live_hub_t *hub = calloc(1, sizeof *hub + sizeof hub->lives[0] * (size_t)workers);
    if (hub == NULL)
        abort();
    pthread_mutex_init(&hub->lock, NULL);
    hub->n = workers;
    return hub;
}

void gp_live_hub_free(gp_live_hub_t *hub)
{
    if (hub == NULL)
        return;
    pthread_mutex_destroy(&hub->lock);
    free(hub);
}

/* ---- sending ---- */

/* Sends `body` to the subscriber's worker unless it is what the subscriber last got. */
static void deliver(gp_live_sub_t *sub, gp_run_outcome_t outcome, const char *body, size_t len)
{
    uint64_t h = gp_hash64(body, len, 0);
    if (sub->sent && h == sub->last)
        return;
    sub->sent = true;
    sub->last = h;
    message_t *m = message_new(M_RESULT, sub_ref(sub), body, len);
    m->outcome = outcome;
    post(sub->cohort->live->hub, sub->worker, m);
}

/* On the subscriber's worker. */
static void on_result(message_t *m)
{
    gp_live_sub_t *sub = m->sub;
    if (!sub->gone) {
        gp_run_piece_t piece = {m->text, m->len};
        gp_run_result_t r = {m->outcome, GP_OP_KIND_SUBSCRIPTION, 200, &piece, 1, m->len};
        sub->cb(sub->data, &r);
    }
}

/* {"errors":[…]} (and "data":null when it ran) for `errs`, into `a`. */
static gp_strbuf_t errors_body(gp_arena_t *a, const gp_errors_t *errs, bool ran)
{
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, ERROR_BODY_MAX);
    gp_strbuf_lit(&sb, "{\"errors\":");
    gp_errors_render(errs, &sb);
    if (ran)
        gp_strbuf_lit(&sb, ",\"data\":null");
    gp_strbuf_putc(&sb, '}');
    return sb;
}

/* ---- cohorts ---- */

static void on_coalesce(h2o_timeout_entry_t *e);

static void queue(cohort_t *c)
{
    gp_live_t *live = c->live;
    if (c->fenced) {
        c->redo = true;
        return;
    }
    if (c->queued)
        return;
    c->queued = true;
    c->due_next = live->due;
    live->due = c;
    if (!h2o_timeout_is_linked(&live->coalesce_entry))
        h2o_timeout_link(live->loop, &live->coalesce, &live->coalesce_entry);
}

static bool reads_table(const cohort_t *c, int table)
{
    return c->reads != NULL && (c->reads[table / 8] & (1u << (table % 8))) != 0;
}

/* The tables the cohort reads get NOTIFYs while it lives (+1) and not after (-1); one
 * that calls functions may read any. */
static void watch(const cohort_t *c, int delta)
{
    for (int i = 0; i < c->snap->model->ntables; i++)
        if (c->reads_any || reads_table(c, i))
            gp_snapshot_watch(c->snap, i, delta);
}

/* Does the plan read a relation no trigger reports? */
static bool needs_polling(const gp_plan_t *plan, const gp_snapshot_t *snap)
{
    if (plan->reads_any)
        return true;
    for (int i = 0; plan->reads != NULL && i < snap->model->ntables; i++) {
        bool read = (plan->reads[i / 8] & (1u << (i % 8))) != 0;
        bool triggered = snap->triggered != NULL && (snap->triggered[i / 8] & (1u << (i % 8))) != 0;
        if (read && !triggered)
            return true;
    }
    return false;
}

/* The refresh statement around the plan's SQL (see the top of this file). */
static char *cohort_sql(const gp_plan_t *plan, size_t limit)
{
    gp_arena_t *a = gp_arena_new(1024);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, SIZE_MAX / 2);
    bool stream = plan->cursor_sql != NULL;
    int n = plan->params.count;
    gp_strbuf_lit(&sb, "SELECT string_agg(_live.i::text || ':' || octet_length(_r.d)::text || ':' || _r.d");
    if (stream)
        gp_strbuf_lit(&sb, " || ':' || coalesce(octet_length(_r.c)::text, '-1') || ':' || coalesce(_r.c, '')");
    gp_strbuf_lit(&sb, ", '' ORDER BY _live.i) FROM unnest($1::\"pg_catalog\".\"int4\"[]");
    for (int i = 0; i < n + stream; i++)
        gp_strbuf_printf(&sb, ", $%d::\"pg_catalog\".\"text\"[]", i + 2);
    gp_strbuf_lit(&sb, ") AS _live(i");
    for (int i = 0; i < n; i++)
        gp_strbuf_printf(&sb, ", p%d", i + 1);
    gp_strbuf_puts(&sb, stream ? ", c" : "");
    /* OFFSET 0 keeps the planner from inlining the data three times (operation.c). */
    gp_strbuf_printf(&sb,
                     ") CROSS JOIN LATERAL (SELECT CASE WHEN octet_length(_q.d) <= %zu THEN _q.d "
                     "ELSE '!' || octet_length(_q.d)::text END AS d",
                     limit);
    if (stream)
        gp_strbuf_printf(&sb, ", (%s) AS c", plan->cursor_sql);
    gp_strbuf_printf(&sb, " FROM (SELECT coalesce((%s)::text, 'null') AS d OFFSET 0) AS _q) AS _r", plan->sql);
    char *sql = strdup(sb.data);
    gp_arena_free(a);
    if (sql == NULL)
        abort();
    return sql;
}

/* A cohort for `plan`, not yet at its home. */
static cohort_t *cohort_spec(const gp_live_config_t *cf, gp_snapshot_t *snap, const gp_plan_t *plan)
{
    cohort_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        abort();
    c->snap = gp_snapshot_ref(snap);
    c->plan_sql = strdup(plan->sql);
    c->sql = cohort_sql(plan, cf->max_response - DATA_WRAP_LEN);
    c->statement = gp_hash64(c->sql, strlen(c->sql), 0x11e) | 1;
    c->nparams = plan->params.count;
    c->stream = plan->cursor_sql != NULL;
    if (plan->reads != NULL && (c->reads = malloc(plan->reads_size)) != NULL)
        memcpy(c->reads, plan->reads, plan->reads_size);
    c->reads_any = plan->reads_any;
    c->polled = needs_polling(plan, snap);
    if (c->plan_sql == NULL || (plan->reads != NULL && c->reads == NULL))
        abort();
    return c;
}

/* At the home: the cohort `spec` stands for, which is `spec` itself when the home has
 * none yet (else `spec` is discarded). */
static cohort_t *cohort_adopt(gp_live_t *live, cohort_t *spec)
{
    for (cohort_t *c = live->cohorts; c != NULL; c = c->next)
        if (c->snap == spec->snap && strcmp(c->plan_sql, spec->plan_sql) == 0) {
            cohort_discard(spec);
            return c;
        }
    cohort_t *c = spec;
    c->live = live;
    watch(c, +1);
    c->next = live->cohorts;
    live->cohorts = c;
    __atomic_add_fetch(&live->ncohorts, 1, __ATOMIC_RELAXED);
    if (!h2o_timeout_is_linked(&live->poll_entry))
        h2o_timeout_link(live->loop, &live->poll, &live->poll_entry);
    return c;
}

static void cohort_discard(cohort_t *c)
{
    gp_snapshot_unref(c->snap);
    free(c->batch);
    free(c->reads);
    free(c->sql);
    free(c->plan_sql);
    free(c);
}

/* Its subscribers have left it (or are let go by a home that stops). */
static void cohort_free(cohort_t *c)
{
    gp_live_t *live = c->live;
    for (cohort_t **at = &live->cohorts; *at != NULL; at = &(*at)->next)
        if (*at == c) {
            *at = c->next;
            break;
        }
    for (cohort_t **at = c->fenced ? &live->fenced : &live->due; *at != NULL; at = &(*at)->due_next)
        if (*at == c) {
            *at = c->due_next;
            break;
        }
    if (c->query != NULL)
        gp_pool_query_forget(c->query);
    watch(c, -1);
    __atomic_sub_fetch(&live->ncohorts, 1, __ATOMIC_RELAXED);
    cohort_discard(c);
}

/* ---- refreshing ---- */

static void on_refresh(void *data, const gp_query_result_t *r);

/* Runs the cohort's statement for its stale subscribers (all of them after a change):
 * together, or one alone (while isolating, or one that failed alone before: the others
 * go first, it follows in a refresh of its own). */
static void refresh(cohort_t *c, gp_pool_t *pool)
{
    int together = 0, alone = 0;
    for (gp_live_sub_t *s = c->subs; s != NULL; s = s->next) {
        s->stale = s->stale || c->dirty;
        alone += s->stale && s->alone;
        together += s->stale && !s->alone;
    }
    c->dirty = false;
    if (together + alone == 0)
        return;
    bool single = c->isolate || together == 0;
    int n = single ? 1 : together;
    c->batch = calloc((size_t)n, sizeof *c->batch);
    if (c->batch == NULL)
        abort();
    c->nbatch = 0;
    for (gp_live_sub_t *s = c->subs; s != NULL && c->nbatch < n; s = s->next)
        if (s->stale && (single || !s->alone)) {
            s->stale = false;
            s->slot = c->nbatch;
            c->batch[c->nbatch++] = s;
        }
    gp_arena_t *a = gp_arena_new(4096);
    const char **values = gp_arena_alloc(a, sizeof *values * (size_t)(c->nparams + 2));
    const char **column = gp_arena_alloc(a, sizeof *column * (size_t)c->nbatch);
    gp_strbuf_t slots;
    gp_strbuf_init(&slots, a, SIZE_MAX / 2);
    for (int i = 0; i < c->nbatch; i++)
        gp_strbuf_printf(&slots, "%s%d", i == 0 ? "{" : ",", i + 1);
    gp_strbuf_putc(&slots, '}');
    values[0] = slots.data;
    for (int k = 0; k < c->nparams; k++) {
        for (int i = 0; i < c->nbatch; i++)
            column[i] = c->batch[i]->params[k];
        values[k + 1] = gp_sql_array_literal(a, column, c->nbatch);
    }
    if (c->stream) {
        for (int i = 0; i < c->nbatch; i++)
            column[i] = c->batch[i]->cursor;
        values[c->nparams + 1] = gp_sql_array_literal(a, column, c->nbatch);
    }
    c->started = h2o_now(c->live->loop);
    c->pool = pool;
    c->query = gp_pool_query_prepared(pool, c->statement, c->sql, c->nparams + 1 + c->stream, values,
                                      /* read_only= */ true, on_refresh, c);
    gp_arena_free(a);
}

/* The cell: frames "i:len:data" in slot order. */
static void deliver_frames(cohort_t *c, const char *cell, size_t len)
{
    const char *p = cell, *end = cell + len;
    gp_arena_t *a = gp_arena_new(4096);
    while (p < end) {
        char *next;
        long slot = strtol(p, &next, 10);
        if (*next != ':')
            break;
        size_t n = strtoul(next + 1, &next, 10);
        if (*next != ':' || n > (size_t)(end - next - 1))
            break;
        const char *d = next + 1;
        p = d + n;
        const char *cursor = NULL;
        long cursor_len = -1;
        if (c->stream) { /* ":len:cursor" */
            cursor_len = *p == ':' ? strtol(p + 1, &next, 10) : -2;
            if (cursor_len < -1 || *next != ':' || cursor_len > end - next - 1)
                break;
            cursor = next + 1;
            p = cursor + (cursor_len > 0 ? cursor_len : 0);
        }
        gp_live_sub_t *sub = slot >= 1 && slot <= c->nbatch ? c->batch[slot - 1] : NULL;
        if (sub == NULL)
            continue;
        if (c->stream && cursor_len >= 0) { /* rows came: there may be more past them */
            free(sub->cursor);
            if ((sub->cursor = strndup(cursor, (size_t)cursor_len)) == NULL)
                abort();
            sub->stale = true;
        } else if (c->stream && sub->sent) {
            continue; /* nothing new: a stream sends only rows */
        }
        gp_strbuf_t sb;
        gp_strbuf_init(&sb, a, SIZE_MAX / 2);
        if (n > 0 && d[0] == '!') {
            char msg[256];
            snprintf(msg, sizeof msg,
                     "the response would be %llu bytes, more than the server sends (--max-response-bytes %zu)",
                     strtoull(d + 1, NULL, 10) + DATA_WRAP_LEN, c->live->cf.max_response);
            gp_strbuf_lit(&sb, "{\"errors\":[{\"message\":");
            gp_json_cstring(&sb, msg);
            gp_strbuf_lit(&sb, ",\"extensions\":{\"code\":\"RESPONSE_TOO_LARGE\"}}],\"data\":null}");
        } else {
            gp_strbuf_lit(&sb, "{\"data\":");
            gp_strbuf_append(&sb, d, n);
            gp_strbuf_putc(&sb, '}');
        }
        if (!sb.error)
            deliver(sub, GP_RUN_OK, sb.data, sb.len);
        gp_arena_free(a);
        a = gp_arena_new(4096);
    }
    if (p != end)
        gp_error("live", "a refresh answered a cell that does not parse at byte %zu", (size_t)(p - cell));
    gp_arena_free(a);
}

/* A database error, as operation.c words it: PostgreSQL's message where it speaks of
 * the caller's values, else a generic one. */
static void deliver_error(cohort_t *c, const gp_query_result_t *r)
{
    gp_arena_t *a = gp_arena_new(1024);
    gp_errors_t errs;
    gp_errors_init(&errs, a, NULL);
    gp_error_t *e = gp_errors_add(&errs, gp_pgerror_kind(r->sqlstate), -1, "%s",
                                  gp_pgerror_shown(r->sqlstate) ? r->error : "the database could not run the operation");
    e->sqlstate = r->sqlstate;
    gp_strbuf_t sb = errors_body(a, &errs, /* ran= */ true);
    for (int i = 0; i < c->nbatch; i++)
        if (c->batch[i] != NULL && !sb.error)
            deliver(c->batch[i], GP_RUN_FAILED, sb.data, sb.len);
    gp_arena_free(a);
}

static void on_refresh(void *data, const gp_query_result_t *r)
{
    cohort_t *c = data;
    c->query = NULL;
    gp_debug("live", "refresh of %d of %d subscribers: %llu ms, %s", c->nbatch, c->nsubs,
             (unsigned long long)(h2o_now(c->live->loop) - c->started),
             r->unavailable ? "no database" : r->error != NULL ? r->error : "ok");
    if (r->unavailable) {
        /* A replica that went down: the writer, at once. The writer: the next poll tries
         * again; meanwhile each keeps what it has. */
        c->to_writer = c->pool != c->live->pools->writer;
        c->retry = !c->to_writer;
        for (int i = 0; i < c->nbatch; i++)
            if (c->batch[i] != NULL)
                c->batch[i]->stale = true;
    } else if (r->error != NULL && c->nbatch > 1) {
        c->isolate = true; /* the errors go to the subscribers whose statements fail alone */
        for (int i = 0; i < c->nbatch; i++)
            if (c->batch[i] != NULL)
                c->batch[i]->stale = true;
    } else if (r->error != NULL) {
        gp_debug("live", "a refresh failed: %s", r->error);
        deliver_error(c, r);
        if (c->batch[0] != NULL)
            c->batch[0]->alone = true;
    } else if (r->cell != NULL) {
        deliver_frames(c, r->cell, r->cell_len);
        if (c->nbatch == 1 && c->batch[0] != NULL)
            c->batch[0]->alone = false; /* its values work now: back with the others */
    }
    for (int i = 0; i < c->nbatch; i++)
        if (c->batch[i] != NULL)
            c->batch[i]->slot = -1;
    free(c->batch);
    c->batch = NULL;
    c->nbatch = 0;
    bool stale = false;
    for (gp_live_sub_t *s = c->subs; s != NULL; s = s->next)
        stale = stale || s->stale;
    c->isolate = c->isolate && stale; /* each has run alone: together again */
    if (!c->retry && (c->dirty || stale))
        queue(c);
}

/* ---- fences: refreshes on a replica see every change heard before ---- */

static void fence_check(gp_live_t *live);

/* The fenced cohorts go to `pool` (the replica, caught up, or the writer). */
static void fence_end(gp_live_t *live, gp_pool_t *pool)
{
    cohort_t *fenced = live->fenced;
    live->fenced = NULL;
    live->fencing = false;
    live->fence_query = NULL;
    if (pool != live->pools->writer)
        gp_debug("live", "fence %s passed after %llu ms", live->fence_lsn,
                 (unsigned long long)(h2o_now(live->loop) - live->fence_started));
    while (fenced != NULL) {
        cohort_t *c = fenced;
        fenced = c->due_next;
        c->fenced = false;
        refresh(c, pool);
        if (c->redo) { /* reached after the fence began: once more behind the next */
            c->redo = false;
            c->dirty = true;
            if (c->query == NULL)
                queue(c);
        }
    }
    if (live->due != NULL && !h2o_timeout_is_linked(&live->coalesce_entry))
        h2o_timeout_link(live->loop, &live->coalesce, &live->coalesce_entry);
}

static void on_fence_check(void *data, const gp_query_result_t *r)
{
    gp_live_t *live = data;
    live->fence_query = NULL;
    if (r->cell == NULL) { /* the replica failed it: the writer refreshes */
        gp_debug("live", "a read replica could not say how far it replayed (%s): refreshing on the writer",
                 r->error != NULL ? r->error : "no answer");
        fence_end(live, live->pools->writer);
    } else if (strcmp(r->cell, "true") == 0) {
        fence_end(live, live->fence_reader);
    } else if (h2o_now(live->loop) - live->fence_started >= FENCE_WAIT_MS) {
        gp_warn("live", "a read replica is more than %d ms behind the writer (WAL %s): refreshing on the writer",
                FENCE_WAIT_MS, live->fence_lsn);
        fence_end(live, live->pools->writer);
    } else {
        int step = live->fence_looks < FENCE_RETRY_STEPS ? live->fence_looks : FENCE_RETRY_STEPS;
        h2o_timeout_link(live->loop, &live->fence_retry[step - 1], &live->fence_retry_entry);
    }
}

/* NULL from pg_last_wal_replay_lsn(): a server not in recovery, current by itself. */
static void fence_check(gp_live_t *live)
{
    if (gp_pool_load(live->fence_reader) < 0) {
        fence_end(live, live->pools->writer);
        return;
    }
    const char *lsn = live->fence_lsn;
    live->fence_looks++;
    live->fence_query = gp_pool_query(live->fence_reader,
                                      "SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, true)::text", 1, &lsn,
                                      /* read_only= */ true, on_fence_check, live);
}

static void on_fence_retry(h2o_timeout_entry_t *e)
{
    fence_check(H2O_STRUCT_FROM_MEMBER(gp_live_t, fence_retry_entry, e));
}

static void on_fence_lsn(void *data, const gp_query_result_t *r)
{
    gp_live_t *live = data;
    live->fence_query = NULL;
    if (r->cell == NULL || r->cell_len >= sizeof live->fence_lsn) {
        fence_end(live, live->pools->writer); /* which will answer what it can */
        return;
    }
    memcpy(live->fence_lsn, r->cell, r->cell_len + 1);
    fence_check(live);
}

/* The due cohorts: on the writer without replicas (or none up); else behind a fence. */
static void run_due(gp_live_t *live)
{
    gp_pool_t *writer = live->pools->writer, *reader = gp_pools_read(live->pools);
    cohort_t *due = live->due;
    live->due = NULL;
    while (due != NULL) {
        cohort_t *c = due;
        due = c->due_next;
        c->queued = false;
        if (c->query != NULL) /* on_refresh queues it again */
            continue;
        if (reader == writer || c->to_writer) {
            c->to_writer = false;
            refresh(c, writer);
            continue;
        }
        c->fenced = true;
        c->due_next = live->fenced;
        live->fenced = c;
    }
    if (live->fenced == NULL)
        return;
    live->fencing = true;
    live->fence_reader = reader;
    live->fence_started = h2o_now(live->loop);
    live->fence_looks = 0;
    live->fence_query = gp_pool_query(writer, "SELECT pg_current_wal_insert_lsn()::text", 0, NULL,
                                      /* read_only= */ true, on_fence_lsn, live);
}

/* While a fence is up, what comes due waits for it to end. */
static void on_coalesce(h2o_timeout_entry_t *e)
{
    gp_live_t *live = H2O_STRUCT_FROM_MEMBER(gp_live_t, coalesce_entry, e);
    if (!live->fencing)
        run_due(live);
}

static void on_poll(h2o_timeout_entry_t *e)
{
    gp_live_t *live = H2O_STRUCT_FROM_MEMBER(gp_live_t, poll_entry, e);
    for (cohort_t *c = live->cohorts; c != NULL; c = c->next) {
        if (c->polled || c->retry) {
            c->dirty = c->dirty || c->polled;
            c->retry = false;
            queue(c);
        }
    }
    if (live->cohorts != NULL)
        h2o_timeout_link(live->loop, &live->poll, &live->poll_entry);
}

/* ---- changes ---- */

void gp_live_changed(gp_live_t *live, int table)
{
    for (cohort_t *c = live->cohorts; c != NULL; c = c->next) {
        if (table < 0 || c->reads_any || reads_table(c, table)) {
            c->dirty = true;
            queue(c);
        }
    }
}

/* The index of the table "schema.name" in `model`, or -1. */
static int table_index(const gp_model_t *model, const char *payload)
{
    for (int i = 0; i < model->ntables; i++) {
        const gp_table_t *t = &model->tables[i];
        size_t n = strlen(t->schema);
        if (strncmp(payload, t->schema, n) == 0 && payload[n] == '.' && strcmp(payload + n + 1, t->name) == 0)
            return i;
    }
    return -1;
}

/* Marks the cohorts that read the table "schema.table" (`payload`) dirty. */
static void on_change(gp_live_t *live, const char *payload)
{
    /* Each cohort's own model: a table's index is per snapshot (looked up once each). */
    const gp_snapshot_t *seen = NULL;
    int t = -1;
    for (cohort_t *c = live->cohorts; c != NULL; c = c->next) {
        if (c->snap != seen) {
            seen = c->snap;
            t = table_index(seen->model, payload);
        }
        if (c->reads_any || (t >= 0 && reads_table(c, t))) {
            c->dirty = true;
            queue(c);
        }
    }
}

/* At the home: the subscriber (the message's reference now its cohort's) joins. */
static void on_join(gp_live_t *live, message_t *m)
{
    cohort_t *c = cohort_adopt(live, m->spec);
    gp_live_sub_t *sub = m->sub;
    m->spec = NULL;
    m->sub = NULL;
    sub->cohort = c;
    sub->next = c->subs;
    c->subs = sub;
    c->nsubs++;
    queue(c);
}

/* Takes the subscriber out of its cohort, and drops the cohort's reference. */
static void unlink_sub(gp_live_sub_t *sub)
{
    cohort_t *c = sub->cohort;
    for (gp_live_sub_t **at = &c->subs; *at != NULL; at = &(*at)->next)
        if (*at == sub) {
            *at = sub->next;
            break;
        }
    if (sub->slot >= 0 && sub->slot < c->nbatch)
        c->batch[sub->slot] = NULL;
    sub->cohort = NULL;
    if (--c->nsubs == 0)
        cohort_free(c);
    sub_unref(sub);
}

static void on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    gp_live_t *live = H2O_STRUCT_FROM_MEMBER(gp_live_t, receiver, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        message_t *m = H2O_STRUCT_FROM_MEMBER(message_t, super.link, messages->next);
        h2o_linklist_unlink(&m->super.link);
        switch (m->kind) {
        case M_CHANGE:
            if (m->all)
                gp_live_changed(live, -1);
            else
                on_change(live, m->text);
            break;
        case M_JOIN:
            on_join(live, m);
            break;
        case M_LEAVE:
            unlink_sub(m->sub);
            break;
        case M_RESULT:
            on_result(m);
            break;
        }
        message_drop(m);
    }
}

void gp_live_post(gp_live_t *live, const char *payload)
{
    message_t *m = message_new(M_CHANGE, NULL, payload, payload != NULL ? strlen(payload) : 0);
    m->all = payload == NULL;
    h2o_multithread_send_message(&live->receiver, &m->super);
}

/* ---- subscribers ---- */

gp_live_sub_t *gp_live_subscribe(gp_live_t *live, gp_plan_cache_t *plans, gp_snapshot_t *snap,
                                 const gp_operation_input_t *in, gp_live_cb cb, void *data)
{
    gp_arena_t *a = gp_arena_new(PLAN_ARENA_CHUNK);
    gp_arena_set_limit(a, live->cf.max_memory);
    const char *query = gp_arena_strndup(a, in->query, in->query_len);
    const char *name = in->operation_name != NULL ? gp_arena_strdup(a, in->operation_name) : NULL;
    gp_errors_t errs;
    gp_errors_init(&errs, a, query);
    gp_plan_target_t on = {snap->schema, snap->version, snap->answers};
    gp_plan_t *plan = gp_plan_cache_resolve(plans, &on, a, query, in->query_len, name, in->variables, &errs);
    if (gp_arena_over_limit(a) || plan == NULL || !plan->is_subscription) {
        gp_errors_t why;
        gp_errors_init(&why, a, NULL);
        if (gp_arena_over_limit(a))
            gp_errors_add(&why, GP_E_TOO_COMPLEX, -1,
                          "the operation needs more memory than the server gives one request (--max-request-memory)");
        else if (plan != NULL)
            gp_errors_add(&why, GP_E_REQUEST, -1, "the operation is not a subscription");
        else if (errs.count == 0)
            gp_errors_add(&why, GP_E_INTERNAL, -1, "the operation could not be planned");
        gp_strbuf_t sb = errors_body(a, why.count > 0 ? &why : &errs, /* ran= */ false);
        gp_run_piece_t piece = {sb.data, sb.len};
        gp_run_result_t r = {GP_RUN_NOT_RUN, plan != NULL ? GP_OP_KIND_QUERY : GP_OP_KIND_UNKNOWN,
                             gp_errors_status(why.count > 0 ? &why : &errs), &piece, 1, sb.len};
        if (!sb.error)
            cb(data, &r);
        gp_arena_free(a);
        return NULL;
    }
    if (plan->answer != NULL) { /* introspection alone: it never changes */
        size_t len = gp_introspection_answer_len(plan->answer);
        char *body = gp_arena_alloc(a, len + DATA_WRAP_LEN), *p = body;
        memcpy(p, "{\"data\":", 8);
        p += 8;
        for (size_t i = 0; plan->answer[i] != NULL; i++) {
            size_t n = strlen(plan->answer[i]);
            memcpy(p, plan->answer[i], n);
            p += n;
        }
        *p++ = '}';
        gp_run_piece_t piece = {body, (size_t)(p - body)};
        gp_run_result_t r = {GP_RUN_OK, GP_OP_KIND_SUBSCRIPTION, 200, &piece, 1, piece.len};
        cb(data, &r);
    }
    gp_live_sub_t *sub = calloc(1, sizeof *sub);
    if (sub == NULL)
        abort();
    *sub = (gp_live_sub_t){.refs = 1, .owner = live, .worker = live->id, .home = -1, .cb = cb, .data = data, .slot = -1, .stale = true};
    __atomic_add_fetch(&live->nsubs, 1, __ATOMIC_RELAXED);
    if (plan->answer == NULL) {
        cohort_t *spec = cohort_spec(&live->cf, snap, plan);
        sub->stream = spec->stream;
        sub->nparams = plan->params.count;
        sub->params = calloc((size_t)(sub->nparams > 0 ? sub->nparams : 1), sizeof *sub->params);
        if (sub->params == NULL)
            abort();
        for (int i = 0; i < sub->nparams; i++)
            if (plan->params.values[i] != NULL && (sub->params[i] = strdup(plan->params.values[i])) == NULL)
                abort();
        sub->home = home_for(live->hub, gp_hash64(spec->plan_sql, strlen(spec->plan_sql), 0));
        message_t *m = message_new(M_JOIN, sub_ref(sub), NULL, 0);
        m->spec = spec;
        post(live->hub, sub->home, m);
    }
    gp_arena_free(a);
    return sub;
}

bool gp_live_is_stream(const gp_live_sub_t *sub)
{
    return sub->stream;
}

void gp_live_unsubscribe(gp_live_sub_t *sub)
{
    if (sub == NULL)
        return;
    sub->gone = true;
    __atomic_sub_fetch(&sub->owner->nsubs, 1, __ATOMIC_RELAXED);
    if (sub->home >= 0)
        post(sub->owner->hub, sub->home, message_new(M_LEAVE, sub, NULL, 0)); /* with this worker's reference */
    else
        sub_unref(sub);
}

int gp_live_count(const gp_live_t *live, int *cohorts)
{
    if (cohorts != NULL)
        *cohorts = __atomic_load_n(&live->ncohorts, __ATOMIC_RELAXED);
    return __atomic_load_n(&live->nsubs, __ATOMIC_RELAXED);
}

gp_live_t *gp_live_new(h2o_context_t *ctx, const gp_pools_t *pools, const gp_live_config_t *cf, gp_live_hub_t *hub, int id)
{
    gp_live_t *live = calloc(1, sizeof *live);
    if (live == NULL)
        abort();
    live->loop = ctx->loop;
    live->pools = pools;
    live->cf = *cf;
    live->hub = hub;
    live->id = id;
    h2o_timeout_init(live->loop, &live->coalesce, (uint64_t)cf->coalesce_ms);
    h2o_timeout_init(live->loop, &live->poll, (uint64_t)cf->poll_ms);
    for (int i = 0; i < FENCE_RETRY_STEPS; i++)
        h2o_timeout_init(live->loop, &live->fence_retry[i], (uint64_t)FENCE_RETRY_FIRST_MS << i);
    live->fence_retry_entry.cb = on_fence_retry;
    live->coalesce_entry.cb = on_coalesce;
    live->poll_entry.cb = on_poll;
    h2o_multithread_register_receiver(ctx->queue, &live->receiver, on_messages);
    pthread_mutex_lock(&hub->lock);
    hub->lives[id] = live;
    pthread_mutex_unlock(&hub->lock);
    return live;
}

void gp_live_free(gp_live_t *live)
{
    pthread_mutex_lock(&live->hub->lock);
    live->hub->lives[live->id] = NULL; /* no message comes after this */
    pthread_mutex_unlock(&live->hub->lock);
    /* Those that came are handled, except that no cohort is made any more; the
     * subscribers' own websockets were aborted first, so no result reaches one. */
    while (!h2o_linklist_is_empty(&live->receiver._messages)) {
        message_t *m = H2O_STRUCT_FROM_MEMBER(message_t, super.link, live->receiver._messages.next);
        h2o_linklist_unlink(&m->super.link);
        if (m->kind == M_LEAVE)
            unlink_sub(m->sub);
        else if (m->kind == M_RESULT)
            on_result(m);
        message_drop(m);
    }
    while (live->cohorts != NULL) /* a cohort has a subscriber while it lives; it goes with its last */
        unlink_sub(live->cohorts->subs);
    if (live->fence_query != NULL)
        gp_pool_query_forget(live->fence_query);
    if (h2o_timeout_is_linked(&live->fence_retry_entry))
        h2o_timeout_unlink(&live->fence_retry_entry);
    for (int i = 0; i < FENCE_RETRY_STEPS; i++)
        h2o_timeout_dispose(live->loop, &live->fence_retry[i]);
    h2o_multithread_unregister_receiver(live->receiver.queue, &live->receiver);
    if (h2o_timeout_is_linked(&live->coalesce_entry))
        h2o_timeout_unlink(&live->coalesce_entry);
    if (h2o_timeout_is_linked(&live->poll_entry))
        h2o_timeout_unlink(&live->poll_entry);
    h2o_timeout_dispose(live->loop, &live->coalesce);
    h2o_timeout_dispose(live->loop, &live->poll);
    free(live);
}
