/* Unit tests for db/pool against a real PostgreSQL (tests/unit/pg.h: a throwaway
 * cluster, or the one named by GP_TEST_PGURL). Each test drives its own h2o
 * event loop and ends with a graceful shutdown, so ASan/LSan see every free. */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "db/pool.h"
#include "tests/unit/pg.h"
#include "tests/unit/test.h"

#define APP_NAME "gp_pool_test"

/* ---- driving a pool --------------------------------------------------------------- */

typedef struct {
    int calls;
    char cell[128];
    char error[256];
    char sqlstate[8];
    char constraint[64];
    int statement;
    bool unavailable;
    bool null_cell; /* neither a cell nor an error: the cell was SQL NULL */
} slot_t;

static int answered;

static void on_result(void *data, const gp_query_result_t *r)
{
    slot_t *s = data;
    s->calls++;
    answered++;
    if (r->cell != NULL)
        snprintf(s->cell, sizeof s->cell, "%s", r->cell);
    if (r->error != NULL)
        snprintf(s->error, sizeof s->error, "%s", r->error);
    if (r->sqlstate != NULL)
        snprintf(s->sqlstate, sizeof s->sqlstate, "%s", r->sqlstate);
    if (r->constraint != NULL)
        snprintf(s->constraint, sizeof s->constraint, "%s", r->constraint);
    s->statement = r->statement;
    s->unavailable = r->unavailable;
    s->null_cell = r->cell == NULL && r->error == NULL;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Runs the loop until *count reaches target or ms pass; returns whether it did. */
static bool run_until(h2o_evloop_t *loop, const int *count, int target, int ms)
{
    long long end = now_ms() + ms;
    while (*count < target && now_ms() < end)
        h2o_evloop_run(loop, 10);
    return *count >= target;
}

static void run_for(h2o_evloop_t *loop, int ms)
{
    int never = 0;
    run_until(loop, &never, 1, ms);
}

static const char *keywords[] = {"dbname", "application_name", NULL};
static const char *values[] = {NULL, APP_NAME, NULL};

static int statement_timeout_ms; /* for the pools pool_new makes */
/* For the pools pool_new makes: prepared_statements off. GP_POOL_TEST_UNNAMED=1 (a ctest
 * of its own) runs every test so; those that count prepared statements then want none. */
static bool unnamed_only;

static bool all_unnamed(void)
{
    const char *e = getenv("GP_POOL_TEST_UNNAMED");
    return e != NULL && strcmp(e, "1") == 0;
}

static gp_pool_t *pool_new(h2o_evloop_t *loop, const char *url, int min, int max, int in_flight, int acquire_ms)
{
    values[0] = url;
    gp_pool_config_t cf = {.conn_keywords = keywords, .conn_values = values, .min_size = min, .max_size = max,
                           .acquire_timeout_ms = acquire_ms, .max_in_flight = in_flight,
                           .statement_timeout_ms = statement_timeout_ms,
                           .prepared_statements = !unnamed_only && !all_unnamed()};
    return gp_pool_create(loop, &cf);
}

static void on_done(void *data)
{
    ++*(int *)data;
}

/* Graceful shutdown, then everything freed: LSan reports whatever is left. */
static void pool_finish(h2o_evloop_t *loop, gp_pool_t *p)
{
    int done = 0;
    gp_pool_shutdown(p, on_done, &done);
    CHECK(run_until(loop, &done, 1, 5000));
    run_for(loop, 20); /* h2o frees closed sockets on the next turns */
    CHECK_INT(done, 1);
    gp_pool_stats_t st;
    gp_pool_stats(p, &st);
    CHECK_INT(st.total, 0);
    gp_pool_destroy(p);
    h2o_evloop_destroy(loop);
}

/* pool_finish for several pools on one loop. */
static void pool_finish_all(h2o_evloop_t *loop, gp_pool_t *const *ps, int n)
{
    int done = 0;
    for (int i = 0; i < n; i++)
        gp_pool_shutdown(ps[i], on_done, &done);
    CHECK(run_until(loop, &done, n, 5000));
    run_for(loop, 20);
    for (int i = 0; i < n; i++)
        gp_pool_destroy(ps[i]);
    h2o_evloop_destroy(loop);
}

static gp_query_t *query_int(gp_pool_t *p, const char *sql, int i, slot_t *s)
{
    char v[16];
    snprintf(v, sizeof v, "%d", i);
    const char *vals[] = {v};
    return gp_pool_query(p, sql, 1, vals, /* read_only= */ true, on_result, s);
}

#define JSON_X "select json_build_object('x', $1::int)::text"

/* ---- tests ------------------------------------------------------------------------ */

static void test_200_concurrent_queries_on_two_connections(void)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 2, 64, 5000);
    static slot_t s[200];
    answered = 0;
    for (int i = 0; i < 200; i++)
        query_int(p, JSON_X, i, &s[i]);
    CHECK(run_until(loop, &answered, 200, 10000));
    int good = 0;
    for (int i = 0; i < 200; i++) {
        char want[32];
        snprintf(want, sizeof want, "{\"x\" : %d}", i);
        good += s[i].calls == 1 && strcmp(s[i].cell, want) == 0 && s[i].error[0] == '\0';
    }
    CHECK_INT(good, 200);
    gp_pool_stats_t st;
    gp_pool_stats(p, &st);
    CHECK(st.total >= 1 && st.total <= 2);
    CHECK_INT(st.queries, 200);
    CHECK_INT(st.errors, 0);
    CHECK_INT(st.waiting, 0);
    CHECK(gp_pool_is_healthy(p));
    pool_finish(loop, p);
}

/* How many backends `n` concurrent runs of `sql` (which answers its backend's pid) used,
 * on a pool of four open connections with a pipelining budget of 15 ms, once the
 * statement's cost is known. */
static int backends_used(const char *sql, int n)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    values[0] = pg_url;
    gp_pool_config_t cf = {.conn_keywords = keywords, .conn_values = values, .min_size = 4, .max_size = 4,
                           .acquire_timeout_ms = 5000, .max_in_flight = 64, .pipeline_us = 15000,
                           .prepared_statements = !all_unnamed()};
    gp_pool_t *p = gp_pool_create(loop, &cf);
    run_for(loop, 300); /* all four connect */
    static slot_t s[16];
    memset(s, 0, sizeof s);
    for (int i = 0; i < 2; i++) { /* its last two runs: now known */
        answered = 0;
        query_int(p, sql, i, &s[0]);
        CHECK(run_until(loop, &answered, 1, 5000));
    }
    answered = 0;
    for (int i = 0; i < n; i++)
        query_int(p, sql, i, &s[i]);
    CHECK(run_until(loop, &answered, n, 10000));
    int distinct = 0;
    for (int i = 0; i < n; i++) {
        bool seen = false;
        for (int j = 0; j < i; j++)
            seen |= strcmp(s[j].cell, s[i].cell) == 0;
        distinct += !seen;
        CHECK(s[i].error[0] == '\0');
    }
    pool_finish(loop, p);
    return distinct;
}

/* Reads expected to finish within the budget together pipeline up to eight deep on one
 * backend; reads that take longer only two deep, spreading over backends that run them
 * at once (a 15 ms budget here, so that a busy machine's slower runs change little). */
static void test_quick_reads_pipeline_deeper(void)
{
    CHECK_INT(backends_used("select pg_backend_pid()::text where $1::int >= 0", 8), 1);
    CHECK_INT(backends_used("select pg_backend_pid()::text from pg_sleep(0.008) where $1::int >= 0", 8), 4);
}

static void test_bad_statement_fails_alone(void)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 1, 100, 5000);
    static slot_t s[20], shape[2], null_param, null_cell;
    answered = 0;
    for (int i = 0; i < 20; i++)
        query_int(p, i == 10 ? "select (1/0)::text where $1::int > 0" : JSON_X, i, &s[i]);
    gp_pool_query(p, "select 1, 2", 0, NULL, true, on_result, &shape[0]);
    gp_pool_query(p, "select 1 where false", 0, NULL, true, on_result, &shape[1]);
    const char *null_vals[] = {NULL};
    gp_pool_query(p, "select coalesce($1::text, 'was null')", 1, null_vals, true, on_result, &null_param);
    gp_pool_query(p, "select null::text", 0, NULL, true, on_result, &null_cell);
    CHECK(run_until(loop, &answered, 24, 10000));
    for (int i = 0; i < 20; i++) {
        CHECK_INT(s[i].calls, 1);
        if (i == 10)
            continue;
        char want[32];
        snprintf(want, sizeof want, "{\"x\" : %d}", i);
        CHECK_STR(s[i].cell, want);
    }
    CHECK_STR(s[10].error, "division by zero");
    CHECK_STR(s[10].sqlstate, "22012");
    CHECK_INT(s[10].statement, 0);
    CHECK_STR(s[10].constraint, "");
    CHECK_INT(s[9].statement, -1);
    CHECK(!s[10].unavailable);
    CHECK_STR(shape[0].error, "expected one row with one column");
    CHECK_INT(shape[0].statement, 0);
    CHECK_INT(null_cell.statement, -1);
    CHECK_STR(shape[1].error, "expected one row with one column");
    CHECK_STR(null_param.cell, "was null");
    CHECK_INT(null_cell.calls, 1);
    CHECK(null_cell.null_cell); /* not "": PQgetvalue's answer for NULL */
    CHECK(!null_param.null_cell);
    gp_pool_stats_t st;
    gp_pool_stats(p, &st);
    CHECK_INT(st.retries, 0); /* every statement has a segment of its own: none was aborted */
    CHECK_INT(st.errors, 3);
    pool_finish(loop, p);
}

static gp_query_t *prepared_int(gp_pool_t *p, uint64_t id, const char *sql, int i, slot_t *s)
{
    char v[16];
    snprintf(v, sizeof v, "%d", i);
    const char *vals[] = {v};
    return gp_pool_query_prepared(p, id, sql, 1, vals, /* read_only= */ true, on_result, s);
}

static void test_prepared_statements(void)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 1, 100, 5000);
    static slot_t s[40], bad[3], count;
    answered = 0;
    /* The same statement many times in one batch and across batches: prepared once. */
    for (int i = 0; i < 20; i++)
        prepared_int(p, 0x1234, JSON_X, i, &s[i]);
    CHECK(run_until(loop, &answered, 20, 10000));
    for (int i = 20; i < 40; i++)
        prepared_int(p, 0x1234, JSON_X, i, &s[i]);
    /* A statement that cannot be prepared fails with its own error every time, and
     * does not disturb the others. */
    for (int i = 0; i < 3; i++)
        prepared_int(p, 0x5678, "select nope($1::int)", i, &bad[i]);
    CHECK(run_until(loop, &answered, 43, 10000));
    for (int i = 0; i < 40; i++) {
        char want[32];
        snprintf(want, sizeof want, "{\"x\" : %d}", i);
        CHECK_STR(s[i].cell, want);
    }
    for (int i = 0; i < 3; i++) {
        CHECK_STR(bad[i].sqlstate, "42883");
        CHECK_INT(bad[i].calls, 1);
    }
    gp_pool_query(p, "select count(*)::text from pg_prepared_statements where name like 'gp\\_%'", 0, NULL, true,
                  on_result, &count);
    CHECK(run_until(loop, &answered, 44, 10000));
    CHECK_STR(count.cell, all_unnamed() ? "0" : "1");
    pool_finish(loop, p);
}

/* Two SQL texts under one caller-given hash (as a crafted collision would give):
 * each runs as itself, in one batch and across batches, on one backend. */
static void test_prepared_names_are_keyed_by_full_sql(void)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 1, 100, 5000);
    static slot_t a[10], b[10];
    answered = 0;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 5; i++) {
            int k = round * 5 + i;
            prepared_int(p, 0xabcd, "select json_build_object('a', $1::int)::text", k, &a[k]);
            prepared_int(p, 0xabcd, "select json_build_object('b', $1::int)::text", k, &b[k]);
        }
        CHECK(run_until(loop, &answered, (round + 1) * 10, 10000));
    }
    for (int k = 0; k < 10; k++) {
        char want[32];
        snprintf(want, sizeof want, "{\"a\" : %d}", k);
        CHECK_STR(a[k].cell, want);
        snprintf(want, sizeof want, "{\"b\" : %d}", k);
        CHECK_STR(b[k].cell, want);
    }
    pool_finish(loop, p);
}

/* A sync after every statement: reads and writes alike are each their own
 * transaction, even when they share a connection and a loop turn. */
static void test_every_statement_is_its_own_transaction(void)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 1, 100, 5000);
    static slot_t s[8];
    const char *sql = "select txid_current()::text";
    answered = 0;
    for (int i = 0; i < 8; i++)
        gp_pool_query(p, sql, 0, NULL, /* read_only= */ i % 3 != 2, on_result, &s[i]);
    CHECK(run_until(loop, &answered, 8, 10000));
    for (int i = 0; i < 8; i++) {
        CHECK(s[i].cell[0] != '\0');
        for (int j = 0; j < i; j++)
            CHECK(strcmp(s[i].cell, s[j].cell) != 0);
    }
    pool_finish(loop, p);
}

static void test_statement_timeout_ends_a_runaway_statement(void)
{
    statement_timeout_ms = 200;
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 1, 100, 5000);
    statement_timeout_ms = 0;
    static slot_t slow, after;
    answered = 0;
    long long start = now_ms();
    gp_pool_query(p, "select 'slow' from pg_sleep(5)", 0, NULL, true, on_result, &slow);
    CHECK(run_until(loop, &answered, 1, 5000));
    CHECK(now_ms() - start < 2000);
    CHECK_STR(slow.sqlstate, "57014");
    CHECK_STR(slow.error, "canceling statement due to statement timeout");
    gp_pool_query(p, "select current_setting('statement_timeout')", 0, NULL, true, on_result, &after);
    CHECK(run_until(loop, &answered, 2, 5000));
    CHECK_STR(after.cell, "200ms");
    static slot_t jit;
    gp_pool_query(p, "select current_setting('jit')", 0, NULL, true, on_result, &jit);
    CHECK(run_until(loop, &answered, 3, 5000));
    CHECK_STR(jit.cell, "off"); /* the pool's own setting, beside the timeout */
    pool_finish(loop, p);
}

/* A statement not known to be fast runs with nothing pipelined behind it: fast ones
 * go to other connections (opened at once) while it runs. */
static void test_slow_statements_delay_nobody(void)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 8, 32, 5000);
    static slot_t warm, slow[2], fast[40];
    answered = 0;
    query_int(p, JSON_X, 0, &warm); /* its cost is now known */
    CHECK(run_until(loop, &answered, 1, 5000));
    for (int i = 0; i < 2; i++)
        gp_pool_query(p, "select 'slow' from pg_sleep(1.5)", 0, NULL, true, on_result, &slow[i]);
    run_for(loop, 50);
    long long start = now_ms(), worst = 0;
    for (int i = 0; i < 40; i++) {
        int before = answered;
        long long t = now_ms();
        query_int(p, JSON_X, i, &fast[i]);
        CHECK(run_until(loop, &answered, before + 1, 5000));
        if (now_ms() - t > worst)
            worst = now_ms() - t;
    }
    CHECK(now_ms() - start < 1000); /* all forty before the slow ones end */
    CHECK_INT(slow[0].calls + slow[1].calls, 0);
    fprintf(stderr, "fast statements beside two slow ones: slowest %lld ms\n", worst);
    CHECK(worst < 200);
    CHECK(run_until(loop, &answered, 43, 5000));
    CHECK_STR(slow[0].cell, "slow");
    CHECK_STR(slow[1].cell, "slow");
    pool_finish(loop, p);
}

static PGconn *observer;

static int active_sleeps(void)
{
    PGresult *r = PQexec(observer, "select count(*) from pg_stat_activity where application_name = '" APP_NAME
                                   "' and state = 'active' and query like '%pg_sleep%'");
    int n = PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    return n;
}

/* A statement whose caller left is cancelled off the loop; the connection serves on. */
static void test_forgotten_long_statement_is_cancelled(void)
{
    observer = PQconnectdb(pg_url);
    CHECK(PQstatus(observer) == CONNECTION_OK);
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 1, 32, 5000);
    static slot_t slow, after;
    answered = 0;
    gp_query_t *q = gp_pool_query(p, "select 'slow' from pg_sleep(10)", 0, NULL, true, on_result, &slow);
    run_for(loop, 300);
    CHECK_INT(active_sleeps(), 1);
    long long start = now_ms();
    gp_pool_query_forget(q);
    gp_pool_query(p, JSON_X, 1, (const char *[]){"5"}, true, on_result, &after);
    CHECK(run_until(loop, &answered, 1, 3000));
    long long took = now_ms() - start;
    fprintf(stderr, "forgotten pg_sleep(10) cancelled; the next statement answered after %lld ms\n", took);
    CHECK(took < 1000);
    CHECK_STR(after.cell, "{\"x\" : 5}");
    CHECK_INT(slow.calls, 0);
    CHECK_INT(active_sleeps(), 0);
    gp_pool_stats_t st;
    gp_pool_stats(p, &st);
    CHECK_INT(st.cancels, 1);
    pool_finish(loop, p);
    PQfinish(observer);
}

static PGconn *killer;

static void terminate_pool_backends(h2o_timeout_entry_t *e)
{
    PGresult *r = PQexec(killer, "select count(pg_terminate_backend(pid)) from pg_stat_activity "
                                 "where application_name = '" APP_NAME "'");
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK);
    if (PQresultStatus(r) == PGRES_TUPLES_OK)
        CHECK_STR(PQgetvalue(r, 0, 0), "2");
    PQclear(r);
}

static void test_terminated_backends_retry_reads(void)
{
    killer = PQconnectdb(pg_url);
    CHECK(PQstatus(killer) == CONNECTION_OK);
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 2, 2, 200, 5000);
    gp_pool_stats_t st;
    int idle = 0;
    for (long long end = now_ms() + 5000; idle < 2 && now_ms() < end; h2o_evloop_run(loop, 10)) {
        gp_pool_stats(p, &st);
        idle = st.idle;
    }
    CHECK_INT(idle, 2);

    static slot_t write, s[200];
    answered = 0;
    gp_pool_query(p, "select 'w' from pg_sleep(2)", 0, NULL, /* read_only= */ false, on_result, &write);
    for (int i = 0; i < 200; i++)
        query_int(p, "select json_build_object('x', $1::int)::text from pg_sleep(0.005)", i, &s[i]);
    h2o_timeout_t t;
    h2o_timeout_entry_t kill = {.cb = terminate_pool_backends};
    h2o_timeout_init(loop, &t, 150);
    h2o_timeout_link(loop, &t, &kill);
    CHECK(run_until(loop, &answered, 201, 15000));
    int good = 0;
    for (int i = 0; i < 200; i++) {
        char want[32];
        snprintf(want, sizeof want, "{\"x\" : %d}", i);
        good += s[i].calls == 1 && strcmp(s[i].cell, want) == 0;
    }
    CHECK_INT(good, 200);
    /* the write may have run: it is reported, never re-sent */
    CHECK_INT(write.calls, 1);
    CHECK(write.error[0] != '\0');
    CHECK(write.cell[0] == '\0');
    gp_pool_stats(p, &st);
    fprintf(stderr, "after pg_terminate_backend: retries=%llu reconnects=%llu, the write got: %s (%s)\n",
            st.retries, st.reconnects, write.error, write.sqlstate);
    CHECK(st.retries >= 1);
    CHECK(st.reconnects >= 1);
    CHECK(gp_pool_is_healthy(p));
    if (h2o_timeout_is_linked(&kill))
        h2o_timeout_unlink(&kill);
    h2o_timeout_dispose(loop, &t);
    pool_finish(loop, p);
    PQfinish(killer);
}

static void test_unreachable_database_times_out(void)
{
    char url[128];
    snprintf(url, sizeof url, "postgresql://postgres@127.0.0.1:%d/postgres", free_port());
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, url, 1, 2, 10, 300);
    static slot_t s[5], forgotten;
    answered = 0;
    long long start = now_ms();
    for (int i = 0; i < 5; i++)
        query_int(p, JSON_X, i, &s[i]);
    gp_pool_query_forget(query_int(p, JSON_X, 99, &forgotten));
    CHECK(run_until(loop, &answered, 5, 5000));
    long long took = now_ms() - start;
    CHECK(took >= 290 && took < 2000);
    for (int i = 0; i < 5; i++) {
        CHECK_INT(s[i].calls, 1);
        CHECK(s[i].unavailable);
        CHECK_STR(s[i].error, "no database connection available within 300 ms");
    }
    run_for(loop, 50);
    CHECK_INT(forgotten.calls, 0);
    gp_pool_stats_t st;
    gp_pool_stats(p, &st);
    CHECK_INT(st.acquire_timeouts, 5);
    CHECK_INT(st.waiting, 0);
    CHECK(!gp_pool_is_healthy(p));
    pool_finish(loop, p);
}

static void test_forgotten_queries_never_call_back(void)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 1, 100, 5000);
    static slot_t s[10], slow, after;
    answered = 0;
    gp_query_t *q[10];
    for (int i = 0; i < 10; i++)
        q[i] = query_int(p, JSON_X, i, &s[i]);
    for (int i = 1; i < 10; i += 2)
        gp_pool_query_forget(q[i]); /* waiting: the pool is still connecting */
    CHECK(run_until(loop, &answered, 5, 5000));
    gp_query_t *sq = gp_pool_query(p, "select 'slow' from pg_sleep(0.3)", 0, NULL, true, on_result, &slow);
    run_for(loop, 50);
    gp_pool_query_forget(sq); /* in flight by now */
    gp_pool_query(p, JSON_X, 1, (const char *[]){"7"}, true, on_result, &after);
    CHECK(run_until(loop, &answered, 6, 5000));
    run_for(loop, 100);
    for (int i = 0; i < 10; i++)
        CHECK_INT(s[i].calls, i % 2 == 0 ? 1 : 0);
    CHECK_INT(slow.calls, 0);
    CHECK_STR(after.cell, "{\"x\" : 7}");
    CHECK_INT(answered, 6);
    pool_finish(loop, p);
}

static void test_shutdown_lets_in_flight_queries_finish(void)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 2, 100, 5000);
    static slot_t warm, slow, late;
    answered = 0;
    gp_pool_query(p, "select 'warm'", 0, NULL, true, on_result, &warm);
    CHECK(run_until(loop, &answered, 1, 5000));
    gp_pool_query(p, "select 'slow' from pg_sleep(0.2)", 0, NULL, true, on_result, &slow);
    run_for(loop, 30);
    int done = 0;
    gp_pool_shutdown(p, on_done, &done);
    gp_pool_query(p, "select 'late'", 0, NULL, true, on_result, &late);
    CHECK_INT(late.calls, 0); /* never before gp_pool_query returns */
    CHECK(run_until(loop, &done, 1, 5000));
    CHECK_STR(slow.cell, "slow");
    CHECK_INT(late.calls, 1);
    CHECK(late.unavailable);
    run_for(loop, 20);
    gp_pool_destroy(p);
    h2o_evloop_destroy(loop);
}

/* A transport that does not notice its client leaving (HTTP/1 in h2o 2.2.5) hands
 * the pool the client socket: once its peer closes, the long statement is cancelled
 * and the callback still gets its one outcome. */
static void test_statement_of_a_closed_client_is_cancelled(void)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 1, 32, 5000);
    static slot_t slow, after;
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    answered = 0;
    gp_query_t *q = gp_pool_query(p, "select 'slow' from pg_sleep(10)", 0, NULL, true, on_result, &slow);
    gp_pool_query_watch_client(q, sv[0]);
    run_for(loop, 300);
    CHECK_INT(slow.calls, 0); /* a client still there is left alone */
    long long start = now_ms();
    close(sv[1]);
    CHECK(run_until(loop, &answered, 1, 3000));
    CHECK(now_ms() - start < 1000);
    CHECK_STR(slow.sqlstate, "57014");
    gp_pool_query(p, JSON_X, 1, (const char *[]){"6"}, true, on_result, &after);
    CHECK(run_until(loop, &answered, 2, 3000));
    CHECK_STR(after.cell, "{\"x\" : 6}");
    close(sv[0]);
    pool_finish(loop, p);
}

/* A statement known fast that turns slow holds up what was pipelined behind it; the
 * acquire timeout bounds that wait as it bounds the wait for a connection. */
static void test_acquire_timeout_bounds_a_wait_in_the_pipeline(void)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 1, 32, 300);
    static slot_t warm[2], turned_slow, behind;
    const char *sleep_sql = "select 'slept'::text from pg_sleep($1::float8)";
    answered = 0;
    for (int i = 0; i < 2; i++) {
        gp_pool_query(p, sleep_sql, 1, (const char *[]){"0"}, true, on_result, &warm[i]);
        CHECK(run_until(loop, &answered, i + 1, 5000));
    }
    gp_pool_query(p, JSON_X, 1, (const char *[]){"1"}, true, on_result, &behind); /* known fast too */
    CHECK(run_until(loop, &answered, 3, 5000));
    memset(&behind, 0, sizeof behind);
    long long start = now_ms();
    gp_pool_query(p, sleep_sql, 1, (const char *[]){"1.5"}, true, on_result, &turned_slow);
    gp_pool_query(p, JSON_X, 1, (const char *[]){"2"}, true, on_result, &behind);
    CHECK(run_until(loop, &answered, 4, 5000));
    long long took = now_ms() - start;
    CHECK_INT(behind.calls, 1);
    CHECK(behind.unavailable);
    CHECK_STR(behind.error, "the database did not start the statement within 300 ms");
    CHECK(took >= 290 && took < 1000);
    CHECK_INT(turned_slow.calls, 0);
    CHECK(run_until(loop, &answered, 5, 5000));
    CHECK_STR(turned_slow.cell, "slept");
    run_for(loop, 50);
    CHECK_INT(behind.calls, 1); /* its late result is discarded */
    pool_finish(loop, p);
}

/* ---- transactions --------------------------------------------------------------- */

static PGconn *admin;

/* Runs `sql` on a blocking connection of its own (setup and checks from outside the
 * pool); returns the first cell, or "" (and a failed check if it was an error). */
static const char *admin_exec(const char *sql, char *buf, size_t size)
{
    CHECK(pg_query_cell(admin, sql, buf, size));
    return buf;
}

static void admin_start(void)
{
    char buf[8];
    admin = PQconnectdb(pg_url);
    CHECK(PQstatus(admin) == CONNECTION_OK);
    PQclear(PQexec(admin, "set client_min_messages = warning"));
    admin_exec("drop table if exists gp_tx; create table gp_tx (id int primary key, v text not null)", buf, sizeof buf);
}

static void admin_finish(void)
{
    char buf[8];
    admin_exec("drop table gp_tx", buf, sizeof buf);
    PQfinish(admin);
    admin = NULL;
}

static const char *rows_with_id(int id, char *buf, size_t size)
{
    char sql[96];
    snprintf(sql, sizeof sql, "select count(*)::text from gp_tx where id = %d", id);
    return admin_exec(sql, buf, size);
}

#define INSERT_TX "insert into gp_tx values ($1::int, $2::text)"
#define ST(sql_, ...)                                                                      \
    {                                                                                      \
        .sql = (sql_), .nparams = sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *), \
        .values = (const char *const[]){__VA_ARGS__}                                       \
    }
#define ST0(sql_) {.sql = (sql_)}

/* What the pool relies on, checked on PostgreSQL itself: the statements before one
 * Sync are one transaction. set_config(…, is_local) in one statement is seen by the
 * next and gone after the Sync; txid_current() is one value inside, another in the
 * next transaction. (That a failure rolls back the statements before it is checked
 * in test_transaction_failing_statement_applies_nothing.) */
static void test_transaction_is_one_postgresql_transaction(void)
{
    admin_start();
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 1, 32, 5000); /* one connection: the same backend throughout */
    static slot_t local, after, txid[2];
    answered = 0;
    gp_pool_statement_t set[] = {ST0("select set_config('graphpost.x', 'v', true)"),
                                 ST0("select current_setting('graphpost.x')")};
    gp_pool_transaction(p, set, 2, on_result, &local);
    gp_pool_query(p, "select coalesce(current_setting('graphpost.x', true), '<unset>')", 0, NULL, true, on_result,
                  &after);
    CHECK(run_until(loop, &answered, 2, 5000));
    CHECK_STR(local.cell, "v");
    CHECK_INT(local.statement, -1);
    /* PostgreSQL keeps the placeholder it made for the custom setting, reset to "" */
    CHECK(after.calls == 1 && after.error[0] == '\0');
    CHECK(strcmp(after.cell, "") == 0 || strcmp(after.cell, "<unset>") == 0);
    fprintf(stderr, "set_config(is_local) in a transaction, read after its Sync: \"%s\"\n", after.cell);

    for (int t = 0; t < 2; t++) {
        char a[16], b[16];
        snprintf(a, sizeof a, "%d", 100 + 2 * t);
        snprintf(b, sizeof b, "%d", 101 + 2 * t);
        gp_pool_statement_t st[] = {ST("insert into gp_tx values ($1::int, txid_current()::text)", a),
                                    ST("insert into gp_tx values ($1::int, txid_current()::text)", b),
                                    ST0("select txid_current()::text")};
        gp_pool_transaction(p, st, 3, on_result, &txid[t]);
        CHECK(run_until(loop, &answered, 3 + t, 5000));
    }
    char buf[64], sql[256];
    for (int t = 0; t < 2; t++) {
        CHECK(txid[t].cell[0] != '\0');
        snprintf(sql, sizeof sql, "select count(*)::text from gp_tx where v = '%s'", txid[t].cell);
        CHECK_STR(admin_exec(sql, buf, sizeof buf), "2");
    }
    CHECK(strcmp(txid[0].cell, txid[1].cell) != 0);
    fprintf(stderr, "txid_current() in the three statements of two transactions: %s×3, then %s×3\n",
            txid[0].cell, txid[1].cell);
    pool_finish(loop, p);
    admin_finish();
}

/* The last statement's single cell is the answer; it sees what the earlier ones wrote. */
static void test_transaction_returns_the_last_cell(void)
{
    admin_start();
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 2, 32, 5000);
    static slot_t s, null_last;
    answered = 0;
    gp_pool_statement_t st[] = {ST(INSERT_TX, "1", "one"), ST(INSERT_TX, "2", "two"),
                                ST("select json_agg(v order by id)::text from gp_tx where id = any($1::int[])",
                                   "{1,2}")};
    gp_pool_transaction(p, st, 3, on_result, &s);
    gp_pool_statement_t nul[] = {ST(INSERT_TX, "3", "three"), ST("select $1::text", NULL)};
    gp_pool_transaction(p, nul, 2, on_result, &null_last);
    CHECK(run_until(loop, &answered, 2, 5000));
    CHECK_INT(s.calls, 1);
    CHECK_STR(s.cell, "[\"one\", \"two\"]");
    CHECK_STR(s.error, "");
    CHECK_INT(s.statement, -1);
    CHECK(null_last.null_cell);
    char buf[16];
    CHECK_STR(rows_with_id(3, buf, sizeof buf), "1");
    gp_pool_stats_t stats;
    gp_pool_stats(p, &stats);
    CHECK_INT(stats.errors, 0);
    pool_finish(loop, p);
    admin_finish();
}

/* One failing statement fails the whole: the first error is reported with its
 * statement's index, SQLSTATE and constraint, and nothing before it is applied. */
static void test_transaction_failing_statement_applies_nothing(void)
{
    admin_start();
    char buf[16];
    admin_exec("insert into gp_tx values (1, 'exists')", buf, sizeof buf);
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 2, 32, 5000);
    static slot_t dup, bad_value, first, last, single;
    answered = 0;
    gp_pool_statement_t d[] = {ST(INSERT_TX, "10", "x"), ST(INSERT_TX, "1", "dup"), ST0("select 'never'")};
    gp_pool_transaction(p, d, 3, on_result, &dup);
    gp_pool_statement_t v[] = {ST(INSERT_TX, "11", "x"), ST(INSERT_TX, "not a number", "x"),
                               ST0("select 'never'")};
    gp_pool_transaction(p, v, 3, on_result, &bad_value);
    gp_pool_statement_t f[] = {ST0("select (1/0)::text"), ST(INSERT_TX, "12", "x"), ST0("select 'never'")};
    gp_pool_transaction(p, f, 3, on_result, &first);
    gp_pool_statement_t l[] = {ST(INSERT_TX, "13", "x"), ST(INSERT_TX, "14", NULL)};
    gp_pool_transaction(p, l, 2, on_result, &last);
    gp_pool_query(p, "insert into gp_tx values (1, 'again') returning 'never'", 0, NULL, false, on_result, &single);
    CHECK(run_until(loop, &answered, 5, 5000));

    CHECK_INT(dup.calls, 1);
    CHECK_INT(dup.statement, 1);
    CHECK_STR(dup.sqlstate, "23505");
    CHECK_STR(dup.constraint, "gp_tx_pkey");
    CHECK_STR(dup.error, "duplicate key value violates unique constraint \"gp_tx_pkey\"");
    CHECK_STR(dup.cell, "");
    CHECK_INT(bad_value.statement, 1);
    CHECK_STR(bad_value.sqlstate, "22P02");
    CHECK_STR(bad_value.constraint, "");
    CHECK_INT(first.statement, 0);
    CHECK_STR(first.sqlstate, "22012");
    CHECK_INT(last.statement, 1);
    CHECK_STR(last.sqlstate, "23502"); /* not null */
    CHECK_STR(last.constraint, "");    /* PostgreSQL names a column here, not a constraint */
    CHECK_INT(single.statement, 0);
    CHECK_STR(single.constraint, "gp_tx_pkey"); /* ordinary statements carry it too */
    for (int id = 10; id <= 14; id++)
        CHECK_STR(rows_with_id(id, buf, sizeof buf), "0");
    CHECK_STR(admin_exec("select v from gp_tx where id = 1", buf, sizeof buf), "exists");
    gp_pool_stats_t st;
    gp_pool_stats(p, &st);
    CHECK_INT(st.retries, 0);
    CHECK_INT(st.errors, 5);
    pool_finish(loop, p);
    admin_finish();
}

/* A transaction's statements are prepared on their connection once and then reused;
 * one whose Parse PostgreSQL skipped after an earlier error is prepared again the next
 * time (the pool must not believe it exists). */
static void test_transaction_statements_are_prepared(void)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 1, 32, 5000);
    static slot_t failed, ok[3];
    answered = 0;
    gp_pool_statement_t f[] = {ST0("select (1/0)::text"), ST0("select 'probe'::text")};
    gp_pool_transaction(p, f, 2, on_result, &failed);
    CHECK(run_until(loop, &answered, 1, 5000));
    CHECK_STR(failed.sqlstate, "22012");
    for (int i = 0; i < 3; i++) {
        gp_pool_statement_t st[] = {
            ST0("select 'probe'::text"),
            ST0("select count(*)::text from pg_prepared_statements where statement = 'select ''probe''::text'")};
        gp_pool_transaction(p, st, 2, on_result, &ok[i]);
        CHECK(run_until(loop, &answered, 2 + i, 5000));
        CHECK_STR(ok[i].error, "");
        CHECK_STR(ok[i].cell, all_unnamed() ? "0" : "1"); /* prepared by the first, reused by the others */
    }
    pool_finish(loop, p);
}

/* On a single connection busy with pipelined reads, the transaction waits until
 * nothing else is outstanding there, runs alone, and nobody's results get mixed up. */
static void test_transaction_on_a_connection_with_queued_reads(void)
{
    admin_start();
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 1, 64, 5000);
    static slot_t warm, before[10], t, behind[10], check;
    answered = 0;
    query_int(p, JSON_X, 0, &warm); /* known fast from now on: pipelined */
    CHECK(run_until(loop, &answered, 1, 5000));
    for (int i = 0; i < 10; i++)
        query_int(p, JSON_X, i, &before[i]);
    gp_pool_statement_t st[] = {ST(INSERT_TX, "1", "a"), ST0("select pg_sleep(0.05)"), ST(INSERT_TX, "2", "b"),
                                ST0("select count(*)::text from gp_tx")};
    gp_pool_transaction(p, st, 4, on_result, &t);
    for (int i = 0; i < 10; i++)
        query_int(p, JSON_X, 100 + i, &behind[i]);
    CHECK(run_until(loop, &answered, 22, 5000));
    for (int i = 0; i < 10; i++) {
        char want[32];
        snprintf(want, sizeof want, "{\"x\" : %d}", i);
        CHECK_STR(before[i].cell, want);
        snprintf(want, sizeof want, "{\"x\" : %d}", 100 + i);
        CHECK_STR(behind[i].cell, want);
    }
    CHECK_INT(t.calls, 1);
    CHECK_STR(t.cell, "2");
    gp_pool_query(p, "select string_agg(v, ',' order by id) from gp_tx", 0, NULL, true, on_result, &check);
    CHECK(run_until(loop, &answered, 23, 5000));
    CHECK_STR(check.cell, "a,b");
    gp_pool_stats_t s;
    gp_pool_stats(p, &s);
    CHECK_INT(s.errors, 0);
    CHECK_INT(s.retries, 0);
    CHECK_INT(s.total, 1);
    pool_finish(loop, p);
    admin_finish();
}

/* Forgotten before it was sent (waiting for a connection, or queued on one): it
 * never reaches PostgreSQL. */
static void test_forgotten_transaction_before_send_applies_nothing(void)
{
    admin_start();
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 1, 32, 5000);
    static slot_t waiting, pending, after;
    answered = 0;
    gp_pool_statement_t a[] = {ST(INSERT_TX, "1", "x"), ST0("select 'a'")};
    gp_pool_query_forget(gp_pool_transaction(p, a, 2, on_result, &waiting)); /* the pool is still connecting */
    gp_pool_query(p, "select 'after'", 0, NULL, true, on_result, &after);
    CHECK(run_until(loop, &answered, 1, 5000));
    run_for(loop, 50); /* the connection is idle again */
    gp_pool_statement_t b[] = {ST(INSERT_TX, "2", "x"), ST0("select 'b'")};
    gp_pool_query_forget(gp_pool_transaction(p, b, 2, on_result, &pending)); /* queued, sent at the end of the turn */
    run_for(loop, 200);
    CHECK_INT(waiting.calls + pending.calls, 0);
    CHECK_STR(after.cell, "after");
    char buf[16];
    CHECK_STR(admin_exec("select count(*)::text from gp_tx", buf, sizeof buf), "0");
    pool_finish(loop, p);
    admin_finish();
}

/* Forgotten while it runs: the cancel hits whichever statement runs and PostgreSQL
 * rolls the whole transaction back, the statements already done included. */
static void test_forgotten_running_transaction_is_cancelled_whole(void)
{
    admin_start();
    observer = PQconnectdb(pg_url);
    CHECK(PQstatus(observer) == CONNECTION_OK);
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 1, 32, 5000);
    static slot_t t, watched, after;
    answered = 0;
    gp_pool_statement_t st[] = {ST(INSERT_TX, "1", "x"), ST0("select pg_sleep(10)"), ST(INSERT_TX, "2", "x"),
                                ST0("select 'done'")};
    gp_query_t *q = gp_pool_transaction(p, st, 4, on_result, &t);
    run_for(loop, 300);
    CHECK_INT(active_sleeps(), 1);
    gp_pool_query_forget(q);
    gp_pool_query(p, "select 'after'", 0, NULL, true, on_result, &after);
    CHECK(run_until(loop, &answered, 1, 3000));
    CHECK_STR(after.cell, "after");
    CHECK_INT(t.calls, 0);
    CHECK_INT(active_sleeps(), 0);
    char buf[16];
    CHECK_STR(admin_exec("select count(*)::text from gp_tx", buf, sizeof buf), "0");

    /* the same through a watched client socket: the callback hears of the cancel */
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    q = gp_pool_transaction(p, st, 4, on_result, &watched);
    gp_pool_query_watch_client(q, sv[0]);
    run_for(loop, 300);
    CHECK_INT(watched.calls, 0);
    close(sv[1]);
    CHECK(run_until(loop, &answered, 2, 3000));
    CHECK_STR(watched.sqlstate, "57014");
    CHECK_INT(watched.statement, 1);
    CHECK_STR(admin_exec("select count(*)::text from gp_tx", buf, sizeof buf), "0");
    close(sv[0]);
    gp_pool_stats_t s;
    gp_pool_stats(p, &s);
    CHECK_INT(s.cancels, 2);
    pool_finish(loop, p);
    PQfinish(observer);
    admin_finish();
}

static void terminate_pool_backend(h2o_timeout_entry_t *e)
{
    char buf[16];
    (void)e;
    CHECK_STR(admin_exec("select count(pg_terminate_backend(pid))::text from pg_stat_activity "
                         "where application_name = '" APP_NAME "'",
                         buf, sizeof buf),
              "1");
}

/* A transaction sent on a connection that breaks is reported, never sent again (it
 * may have committed, had the break come later); here it had not, and nothing is
 * applied. */
static void test_transaction_is_not_resent_after_a_break(void)
{
    admin_start();
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 1, 32, 5000);
    static slot_t warm, t, after;
    answered = 0;
    gp_pool_query(p, "select 'warm'", 0, NULL, true, on_result, &warm);
    CHECK(run_until(loop, &answered, 1, 5000));
    gp_pool_statement_t st[] = {ST(INSERT_TX, "1", "x"), ST0("select pg_sleep(2)"), ST0("select 'done'")};
    gp_pool_transaction(p, st, 3, on_result, &t);
    h2o_timeout_t tm;
    h2o_timeout_entry_t kill = {.cb = terminate_pool_backend};
    h2o_timeout_init(loop, &tm, 200);
    h2o_timeout_link(loop, &tm, &kill);
    CHECK(run_until(loop, &answered, 2, 5000));
    CHECK_INT(t.calls, 1);
    CHECK(t.error[0] != '\0');
    CHECK_STR(t.cell, ""); /* 57P01 (a 503) or the pool's "connection was lost", by timing */
    fprintf(stderr, "a transaction whose backend was terminated: %s (%s), statement %d\n", t.error, t.sqlstate,
            t.statement);
    run_for(loop, 300);
    CHECK_INT(t.calls, 1);
    char buf[16];
    CHECK_STR(admin_exec("select count(*)::text from gp_tx", buf, sizeof buf), "0");
    gp_pool_query(p, "select 'after'", 0, NULL, true, on_result, &after);
    CHECK(run_until(loop, &answered, 3, 5000));
    CHECK_STR(after.cell, "after");
    if (h2o_timeout_is_linked(&kill))
        h2o_timeout_unlink(&kill);
    h2o_timeout_dispose(loop, &tm);
    pool_finish(loop, p);
    admin_finish();
}

/* libpq refuses a statement after an earlier one of the same transaction went to its
 * buffer (here: too many parameters; in life, a connection that breaks mid-send): the
 * connection is reset, and the transaction fails instead of being sent again. Without
 * its sync nothing of it was committed. */
static void test_transaction_failing_mid_send_is_not_resent(void)
{
    admin_start();
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 1, 32, 5000);
    static slot_t t, after;
    static const char *many[65536]; /* one more than the protocol allows; all NULL */
    answered = 0;
    gp_pool_statement_t st[] = {ST(INSERT_TX, "1", "x"), {.sql = "select 1", .nparams = 65536, .values = many}};
    gp_pool_transaction(p, st, 2, on_result, &t);
    CHECK(run_until(loop, &answered, 1, 5000));
    CHECK_STR(t.error, "the database connection failed while the transaction was being sent; it was not committed");
    CHECK_INT(t.statement, -1);
    gp_pool_query(p, "select 'after'", 0, NULL, true, on_result, &after);
    CHECK(run_until(loop, &answered, 2, 5000));
    CHECK_STR(after.cell, "after");
    CHECK_INT(t.calls, 1);
    char buf[16];
    CHECK_STR(admin_exec("select count(*)::text from gp_tx", buf, sizeof buf), "0");
    pool_finish(loop, p);
    admin_finish();
}

/* ---- recycling ------------------------------------------------------------------- */

static gp_pool_t *pool_with(h2o_evloop_t *loop, gp_pool_config_t cf)
{
    values[0] = pg_url;
    cf.conn_keywords = keywords;
    cf.conn_values = values;
    if (cf.acquire_timeout_ms == 0)
        cf.acquire_timeout_ms = 5000;
    if (cf.max_in_flight == 0)
        cf.max_in_flight = 32;
    cf.prepared_statements = !all_unnamed();
    return gp_pool_create(loop, &cf);
}

/* Runs `sql` (one cell) through the pool and waits for it; the answer in s. */
static void pool_ask(h2o_evloop_t *loop, gp_pool_t *p, const char *sql, slot_t *s)
{
    memset(s, 0, sizeof *s);
    int before = answered;
    gp_pool_query(p, sql, 0, NULL, /* read_only= */ true, on_result, s);
    CHECK(run_until(loop, &answered, before + 1, 5000));
}

/* A connection past its lifetime finishes the statement it runs (never closed under
 * one), takes nothing new, and is replaced: the backend changes, no query fails. */
static void test_max_lifetime_recycles_between_statements(void)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_with(loop, (gp_pool_config_t){.min_size = 1, .max_size = 1, .max_lifetime_ms = 300});
    static slot_t first, slow, later;
    pool_ask(loop, p, "select pg_backend_pid()::text", &first);
    CHECK(first.cell[0] != '\0');
    pool_ask(loop, p, "select pg_backend_pid()::text from pg_sleep(0.6)", &slow); /* outlives its lifetime */
    CHECK(slow.error[0] == '\0');
    CHECK_STR(slow.cell, first.cell);
    pool_ask(loop, p, "select pg_backend_pid()::text", &later);
    CHECK(later.error[0] == '\0');
    CHECK(later.cell[0] != '\0' && strcmp(later.cell, first.cell) != 0);
    gp_pool_stats_t st;
    gp_pool_stats(p, &st);
    CHECK(st.recycled >= 1);
    CHECK_INT(st.errors, 0);
    pool_finish(loop, p);
}

/* Connections opened for a burst close after max_idle, down to min_size. */
static void test_max_idle_closes_down_to_min(void)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_with(loop, (gp_pool_config_t){.min_size = 1, .max_size = 3, .max_idle_ms = 200});
    static slot_t s[3];
    answered = 0;
    for (int i = 0; i < 3; i++) /* slow, so each takes a connection of its own */
        gp_pool_query(p, "select 'x' from pg_sleep(0.2)", 0, NULL, true, on_result, &s[i]);
    CHECK(run_until(loop, &answered, 3, 5000));
    gp_pool_stats_t st;
    gp_pool_stats(p, &st);
    CHECK_INT(st.total, 3);
    for (long long end = now_ms() + 3000; st.total > 1 && now_ms() < end; h2o_evloop_run(loop, 50))
        gp_pool_stats(p, &st);
    CHECK_INT(st.total, 1);
    CHECK_INT(st.recycled, 2);
    run_for(loop, 1200); /* and min_size stays open */
    gp_pool_stats(p, &st);
    CHECK_INT(st.total, 1);
    pool_finish(loop, p);
}

/* A backend that stops answering (SIGSTOP: what a host gone or a network cut looks
 * like, no FIN reaching the pool) is found by the health check, and the connection is
 * replaced before a query needs it; the settings the pool gives its backends hold. */
static void test_health_check_finds_an_unanswering_backend(void)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_with(loop, (gp_pool_config_t){.min_size = 1, .max_size = 1, .health_check_ms = 200,
                                                      .idle_in_transaction_ms = 4000, .statement_timeout_ms = 7000});
    static slot_t pid, settings, after;
    pool_ask(loop, p, "select pg_backend_pid()::text", &pid);
    pool_ask(loop, p,
             "select current_setting('idle_in_transaction_session_timeout') || ' ' || "
             "current_setting('statement_timeout') || ' ' || current_setting('application_name')",
             &settings);
    CHECK_STR(settings.cell, "4s 7s " APP_NAME);
    pid_t backend = (pid_t)atoi(pid.cell);
    CHECK(backend > 0 && kill(backend, SIGSTOP) == 0);
    gp_pool_stats_t st = {0};
    for (long long end = now_ms() + 4000; (st.health_failures < 1 || st.idle < 1) && now_ms() < end;
         h2o_evloop_run(loop, 50))
        gp_pool_stats(p, &st);
    kill(backend, SIGCONT); /* it reads the pool's goodbye and exits */
    CHECK(st.health_checks >= 1);
    CHECK_INT(st.health_failures, 1);
    CHECK_INT(st.idle, 1);
    pool_ask(loop, p, "select pg_backend_pid()::text", &after);
    CHECK(after.error[0] == '\0');
    CHECK(after.cell[0] != '\0' && atoi(after.cell) != backend);
    pool_finish(loop, p);
}

/* A read that fails with a transient error (40001 here; 57P03 while a server starts)
 * is sent again: at once, then after a growing wait; one that keeps failing gets the
 * last error, not a generic one. */
static void test_transient_errors_retry_reads_with_backoff(void)
{
    admin_start();
    char buf[8];
    admin_exec("drop sequence if exists gp_flaky; create sequence gp_flaky; "
               "create or replace function gp_flaky(n int) returns text language plpgsql as $$ begin "
               "if nextval('gp_flaky') <= n then raise exception 'conflict' using errcode = '40001'; end if; "
               "return 'ok'; end $$",
               buf, sizeof buf);
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_with(loop, (gp_pool_config_t){.min_size = 1, .max_size = 1});
    static slot_t flaky, failing, write;
    pool_ask(loop, p, "select 'warm'", &flaky);
    long long t0 = now_ms();
    pool_ask(loop, p, "select gp_flaky(3)", &flaky); /* fails 3 times: sent at once, then after 50, 100 ms */
    long long took = now_ms() - t0;
    CHECK_STR(flaky.cell, "ok");
    CHECK(flaky.error[0] == '\0');
    CHECK(took >= 150);
    gp_pool_stats_t st;
    gp_pool_stats(p, &st);
    CHECK_INT(st.retries, 3);
    admin_exec("select setval('gp_flaky', 1, false)::text", buf, sizeof buf);
    pool_ask(loop, p, "select gp_flaky(1000)", &failing);
    CHECK_STR(failing.sqlstate, "40001");
    CHECK_STR(failing.error, "conflict");
    gp_pool_stats(p, &st);
    CHECK_INT(st.retries, 3 + 7); /* 8 attempts */
    admin_exec("select setval('gp_flaky', 1, false)::text", buf, sizeof buf);
    answered = 0;
    gp_pool_query(p, "select gp_flaky(1)", 0, NULL, /* read_only= */ false, on_result, &write);
    CHECK(run_until(loop, &answered, 1, 5000));
    CHECK_STR(write.sqlstate, "40001"); /* a write is never sent twice */
    pool_finish(loop, p);
    admin_exec("drop function gp_flaky(int); drop sequence gp_flaky", buf, sizeof buf);
    admin_finish();
}

/* With prepared statements off (PgBouncer in transaction mode) nothing is prepared, and
 * each request's own prologue sets jit and the statement timeout until its Sync: the
 * timeout still ends a runaway statement, and a transaction's statements keep their
 * indexes (the prologue's result is not one of them). */
static void test_unnamed_only_prepares_nothing(void)
{
    unnamed_only = true;
    statement_timeout_ms = 200;
    h2o_evloop_t *loop = h2o_evloop_create();
    gp_pool_t *p = pool_new(loop, pg_url, 1, 1, 100, 5000);
    statement_timeout_ms = 0;
    unnamed_only = false;
    static slot_t s[20], slow, settings, tx, failed, prepared;
    answered = 0;
    for (int i = 0; i < 20; i++)
        prepared_int(p, 0x1234, JSON_X, i, &s[i]);
    long long start = now_ms();
    gp_pool_query(p, "select 'slow' from pg_sleep(5)", 0, NULL, true, on_result, &slow);
    gp_pool_query(p, "select current_setting('jit') || ' ' || current_setting('statement_timeout')", 0, NULL, true,
                  on_result, &settings);
    gp_pool_statement_t set[] = {ST0("select set_config('graphpost.x', 'v', true)"),
                                 ST0("select current_setting('graphpost.x') || ' ' || current_setting('statement_timeout')")};
    gp_pool_transaction(p, set, 2, on_result, &tx);
    gp_pool_statement_t bad[] = {ST0("select 'a'::text"), ST0("select (1/0)::text")};
    gp_pool_transaction(p, bad, 2, on_result, &failed);
    CHECK(run_until(loop, &answered, 24, 10000));
    for (int i = 0; i < 20; i++) {
        char want[32];
        snprintf(want, sizeof want, "{\"x\" : %d}", i);
        CHECK_STR(s[i].cell, want);
    }
    CHECK_STR(slow.sqlstate, "57014");
    CHECK(now_ms() - start < 2000);
    CHECK_STR(settings.cell, "off 200ms");
    CHECK_STR(tx.cell, "v 200ms");
    CHECK_INT(tx.statement, -1);
    CHECK_STR(failed.sqlstate, "22012");
    CHECK_INT(failed.statement, 1);
    gp_pool_query(p, "select count(*)::text from pg_prepared_statements", 0, NULL, true, on_result, &prepared);
    CHECK(run_until(loop, &answered, 25, 5000));
    CHECK_STR(prepared.cell, "0");
    pool_finish(loop, p);
}

/* ---- read replicas ----------------------------------------------------------------- */

/* A replica's pool (fail_fast) with no connection up fails a query at once instead of
 * waiting out the acquire timeout, and gp_pools_read passes it over; replicas that are
 * up take reads by their load. */
static void test_fail_fast_replicas_and_routing(void)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    char down_url[128];
    snprintf(down_url, sizeof down_url, "postgresql://postgres@127.0.0.1:%d/postgres", free_port());
    static const char *down_values[] = {NULL, APP_NAME, NULL};
    down_values[0] = down_url;
    gp_pool_t *writer = pool_with(loop, (gp_pool_config_t){.min_size = 1, .max_size = 2});
    gp_pool_t *up = pool_with(loop, (gp_pool_config_t){.min_size = 1, .max_size = 2, .fail_fast = true});
    gp_pool_config_t dcf = {.conn_keywords = keywords, .conn_values = down_values, .min_size = 1, .max_size = 2,
                            .acquire_timeout_ms = 5000, .max_in_flight = 32, .fail_fast = true};
    gp_pool_t *down = gp_pool_create(loop, &dcf);
    gp_pool_t *readers[] = {down, up};
    gp_pools_t ps = {writer, readers, 2};
    CHECK(gp_pools_read(&ps) == writer); /* nothing connected yet */
    for (long long end = now_ms() + 5000; now_ms() < end && !(gp_pool_is_healthy(writer) && gp_pool_is_healthy(up));)
        h2o_evloop_run(loop, 10);
    CHECK_INT(gp_pool_load(down), -1);
    CHECK(gp_pools_read(&ps) == up);

    static slot_t s;
    answered = 0;
    long long start = now_ms();
    query_int(down, JSON_X, 1, &s);
    CHECK_INT(s.calls, 0); /* never before returning */
    CHECK(run_until(loop, &answered, 1, 5000));
    CHECK(now_ms() - start < 2000); /* far from the acquire timeout's 5000 */
    CHECK(s.unavailable);
    CHECK_STR(s.error, "no connection to the database is up");

    /* A second replica that is up: the one with less in flight takes the read. */
    gp_pool_t *up2 = pool_with(loop, (gp_pool_config_t){.min_size = 1, .max_size = 2, .fail_fast = true});
    for (long long end = now_ms() + 5000; now_ms() < end && (gp_pool_load(up2) != 0 || gp_pool_load(up) != 0);)
        h2o_evloop_run(loop, 10); /* up, and its SETs answered: nothing in flight on either */
    readers[0] = up2;
    static slot_t slow;
    gp_pool_query(up, "select pg_sleep(0.3)::text", 0, NULL, /* read_only= */ true, on_result, &slow);
    CHECK(gp_pools_read(&ps) == up2);
    CHECK(run_until(loop, &answered, 2, 5000));
    CHECK(gp_pools_read(&ps) == up2 || gp_pools_read(&ps) == up); /* equal again: the first of them */
    pool_finish_all(loop, (gp_pool_t *[]){writer, up, up2, down}, 4);
}

TEST_MAIN(test_start_postgres, test_200_concurrent_queries_on_two_connections, test_quick_reads_pipeline_deeper,
          test_bad_statement_fails_alone, test_prepared_statements,
          test_transaction_statements_are_prepared,
          test_prepared_names_are_keyed_by_full_sql, test_every_statement_is_its_own_transaction,
          test_statement_timeout_ends_a_runaway_statement, test_slow_statements_delay_nobody,
          test_forgotten_long_statement_is_cancelled, test_statement_of_a_closed_client_is_cancelled,
          test_acquire_timeout_bounds_a_wait_in_the_pipeline, test_terminated_backends_retry_reads,
          test_unreachable_database_times_out, test_forgotten_queries_never_call_back,
          test_shutdown_lets_in_flight_queries_finish, test_transaction_is_one_postgresql_transaction,
          test_transaction_returns_the_last_cell, test_transaction_failing_statement_applies_nothing,
          test_transaction_on_a_connection_with_queued_reads, test_forgotten_transaction_before_send_applies_nothing,
          test_forgotten_running_transaction_is_cancelled_whole, test_transaction_is_not_resent_after_a_break,
          test_transaction_failing_mid_send_is_not_resent, test_max_lifetime_recycles_between_statements,
          test_max_idle_closes_down_to_min, test_health_check_finds_an_unanswering_backend,
          test_transient_errors_retry_reads_with_backoff, test_unnamed_only_prepares_nothing,
          test_fail_fast_replicas_and_routing)
