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
 * cursor makes its subscriber stale again, until a batch comes back empty. */
#include "server/live.h"

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
#define ERROR_BODY_MAX (1 << 20)
#define DATA_WRAP_LEN 9 /* {"data":…} */

typedef struct cohort cohort_t;

struct gp_live_sub {
    gp_live_t *live;
    cohort_t *cohort;           /* NULL: an introspection-only query, answered once */
    gp_live_sub_t *next;        /* in its cohort */
    char **params;              /* its values of the plan's parameters (NULL: SQL NULL) */
    char *cursor;               /* a stream's: the last row sent's cursor value; NULL: the initial */
    uint64_t last;              /* hash of the last body sent */
    bool sent;                  /* it has had a result */
    bool stale;                 /* its result may have changed since it was last refreshed */
    bool alone;                 /* its statement failed when it ran alone: it runs alone, so that
                                 * its values do not fail the others' refreshes */
    int slot;                   /* its index in the refresh in flight, or -1 */
    gp_live_cb cb;
    void *data;
};

struct cohort {
    gp_live_t *live;
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
    cohort_t *due_next;
    gp_query_t *query;          /* the refresh in flight */
    gp_live_sub_t **batch;      /* the subscribers it refreshes, by slot (NULL: left since) */
    int nbatch;
    uint64_t started;           /* the loop's clock when the refresh went out, for the log */
};

struct gp_live {
    h2o_loop_t *loop;
    gp_pool_t *pool;
    gp_live_config_t cf;
    cohort_t *cohorts;
    cohort_t *due;              /* to refresh when the coalescing window closes */
    h2o_timeout_t coalesce, poll;
    h2o_timeout_entry_t coalesce_entry, poll_entry;
    h2o_multithread_receiver_t receiver;
    int nsubs, ncohorts;
};

/* A NOTIFY payload on its way from the listener's thread to the worker's. */
typedef struct {
    h2o_multithread_message_t super;
    bool all;                   /* the listener reconnected: anything may have changed */
    char payload[];
} change_t;

/* ---- sending ---- */

/* Sends `body` unless it is what the subscriber last got. */
static void deliver(gp_live_sub_t *sub, gp_run_outcome_t outcome, const char *body, size_t len)
{
    uint64_t h = gp_hash64(body, len, 0);
    if (sub->sent && h == sub->last)
        return;
    sub->sent = true;
    sub->last = h;
    gp_run_piece_t piece = {body, len};
    gp_run_result_t r = {outcome, 200, &piece, 1, len};
    sub->cb(sub->data, &r);
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

static cohort_t *cohort_for(gp_live_t *live, gp_snapshot_t *snap, const gp_plan_t *plan)
{
    for (cohort_t *c = live->cohorts; c != NULL; c = c->next)
        if (c->snap == snap && strcmp(c->plan_sql, plan->sql) == 0)
            return c;
    cohort_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        abort();
    c->live = live;
    c->snap = gp_snapshot_ref(snap);
    c->plan_sql = strdup(plan->sql);
    c->sql = cohort_sql(plan, live->cf.max_response - DATA_WRAP_LEN);
    c->statement = gp_hash64(c->sql, strlen(c->sql), 0x11e) | 1;
    c->nparams = plan->params.count;
    c->stream = plan->cursor_sql != NULL;
    if (plan->reads != NULL && (c->reads = malloc(plan->reads_size)) != NULL)
        memcpy(c->reads, plan->reads, plan->reads_size);
    c->reads_any = plan->reads_any;
    c->polled = needs_polling(plan, snap);
    watch(c, +1);
    if (c->plan_sql == NULL || (plan->reads != NULL && c->reads == NULL))
        abort();
    c->next = live->cohorts;
    live->cohorts = c;
    live->ncohorts++;
    if (!h2o_timeout_is_linked(&live->poll_entry))
        h2o_timeout_link(live->loop, &live->poll, &live->poll_entry);
    return c;
}

static void cohort_free(cohort_t *c)
{
    gp_live_t *live = c->live;
    for (cohort_t **at = &live->cohorts; *at != NULL; at = &(*at)->next)
        if (*at == c) {
            *at = c->next;
            break;
        }
    for (cohort_t **at = &live->due; *at != NULL; at = &(*at)->due_next)
        if (*at == c) {
            *at = c->due_next;
            break;
        }
    if (c->query != NULL)
        gp_pool_query_forget(c->query);
    watch(c, -1);
    live->ncohorts--;
    gp_snapshot_unref(c->snap);
    free(c->batch);
    free(c->reads);
    free(c->sql);
    free(c->plan_sql);
    free(c);
}

/* ---- refreshing ---- */

static void on_refresh(void *data, const gp_query_result_t *r);

/* Runs the cohort's statement for its stale subscribers (all of them after a change):
 * together, or one alone (while isolating, or one that failed alone before: the others
 * go first, it follows in a refresh of its own). */
static void refresh(cohort_t *c)
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
    c->query = gp_pool_query_prepared(c->live->pool, c->statement, c->sql, c->nparams + 1 + c->stream, values,
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
        c->retry = true; /* the next poll tries again; meanwhile each keeps what it has */
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

static void on_coalesce(h2o_timeout_entry_t *e)
{
    gp_live_t *live = H2O_STRUCT_FROM_MEMBER(gp_live_t, coalesce_entry, e);
    cohort_t *due = live->due;
    live->due = NULL;
    while (due != NULL) {
        cohort_t *c = due;
        due = c->due_next;
        c->queued = false;
        if (c->query == NULL) /* else on_refresh queues it again */
            refresh(c);
    }
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

static void on_changes(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    gp_live_t *live = H2O_STRUCT_FROM_MEMBER(gp_live_t, receiver, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        change_t *m = H2O_STRUCT_FROM_MEMBER(change_t, super.link, messages->next);
        h2o_linklist_unlink(&m->super.link);
        if (m->all) {
            gp_live_changed(live, -1);
        } else {
            /* Each cohort's own model: a table's index is per snapshot (looked up once each). */
            const gp_snapshot_t *seen = NULL;
            int t = -1;
            for (cohort_t *c = live->cohorts; c != NULL; c = c->next) {
                if (c->snap != seen) {
                    seen = c->snap;
                    t = table_index(seen->model, m->payload);
                }
                if (c->reads_any || (t >= 0 && reads_table(c, t))) {
                    c->dirty = true;
                    queue(c);
                }
            }
        }
        free(m);
    }
}

void gp_live_post(gp_live_t *live, const char *payload)
{
    size_t n = payload != NULL ? strlen(payload) : 0;
    change_t *m = calloc(1, sizeof *m + n + 1);
    if (m == NULL)
        abort();
    m->all = payload == NULL;
    if (payload != NULL)
        memcpy(m->payload, payload, n + 1);
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
        gp_run_result_t r = {GP_RUN_NOT_RUN, gp_errors_status(why.count > 0 ? &why : &errs), &piece, 1, sb.len};
        if (!sb.error)
            cb(data, &r);
        gp_arena_free(a);
        return NULL;
    }
    gp_live_sub_t *sub = calloc(1, sizeof *sub);
    if (sub == NULL)
        abort();
    *sub = (gp_live_sub_t){.live = live, .slot = -1, .stale = true, .cb = cb, .data = data};
    live->nsubs++;
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
        deliver(sub, GP_RUN_OK, body, (size_t)(p - body));
        gp_arena_free(a);
        return sub;
    }
    cohort_t *c = cohort_for(live, snap, plan);
    sub->cohort = c;
    sub->params = calloc((size_t)(plan->params.count > 0 ? plan->params.count : 1), sizeof *sub->params);
    if (sub->params == NULL)
        abort();
    for (int i = 0; i < plan->params.count; i++)
        if (plan->params.values[i] != NULL && (sub->params[i] = strdup(plan->params.values[i])) == NULL)
            abort();
    sub->next = c->subs;
    c->subs = sub;
    c->nsubs++;
    queue(c);
    gp_arena_free(a);
    return sub;
}

bool gp_live_is_stream(const gp_live_sub_t *sub)
{
    return sub->cohort != NULL && sub->cohort->stream;
}

void gp_live_unsubscribe(gp_live_sub_t *sub)
{
    if (sub == NULL)
        return;
    cohort_t *c = sub->cohort;
    sub->live->nsubs--;
    if (c != NULL) {
        for (int i = 0; i < c->nparams; i++)
            free(sub->params[i]);
        for (gp_live_sub_t **at = &c->subs; *at != NULL; at = &(*at)->next)
            if (*at == sub) {
                *at = sub->next;
                break;
            }
        if (sub->slot >= 0 && sub->slot < c->nbatch)
            c->batch[sub->slot] = NULL;
        if (--c->nsubs == 0)
            cohort_free(c);
    }
    free(sub->params);
    free(sub->cursor);
    free(sub);
}

int gp_live_count(const gp_live_t *live, int *cohorts)
{
    if (cohorts != NULL)
        *cohorts = live->ncohorts;
    return live->nsubs;
}

gp_live_t *gp_live_new(h2o_context_t *ctx, gp_pool_t *pool, const gp_live_config_t *cf)
{
    gp_live_t *live = calloc(1, sizeof *live);
    if (live == NULL)
        abort();
    live->loop = ctx->loop;
    live->pool = pool;
    live->cf = *cf;
    h2o_timeout_init(live->loop, &live->coalesce, (uint64_t)cf->coalesce_ms);
    h2o_timeout_init(live->loop, &live->poll, (uint64_t)cf->poll_ms);
    live->coalesce_entry.cb = on_coalesce;
    live->poll_entry.cb = on_poll;
    h2o_multithread_register_receiver(ctx->queue, &live->receiver, on_changes);
    return live;
}

void gp_live_free(gp_live_t *live)
{
    while (live->cohorts != NULL) {
        cohort_t *c = live->cohorts;
        while (c->subs != NULL) { /* their owners are gone: websockets are freed first */
            gp_live_sub_t *s = c->subs;
            c->subs = s->next;
            for (int i = 0; i < c->nparams; i++)
                free(s->params[i]);
            free(s->params);
            free(s->cursor);
            free(s);
        }
        cohort_free(c);
    }
    /* The listener stops before the workers: nothing is sent any more. */
    while (!h2o_linklist_is_empty(&live->receiver._messages)) {
        change_t *m = H2O_STRUCT_FROM_MEMBER(change_t, super.link, live->receiver._messages.next);
        h2o_linklist_unlink(&m->super.link);
        free(m);
    }
    h2o_multithread_unregister_receiver(live->receiver.queue, &live->receiver);
    if (h2o_timeout_is_linked(&live->coalesce_entry))
        h2o_timeout_unlink(&live->coalesce_entry);
    if (h2o_timeout_is_linked(&live->poll_entry))
        h2o_timeout_unlink(&live->poll_entry);
    h2o_timeout_dispose(live->loop, &live->coalesce);
    h2o_timeout_dispose(live->loop, &live->poll);
    free(live);
}
