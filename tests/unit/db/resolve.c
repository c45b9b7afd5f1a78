/* Unit tests for db/resolve: which hosts of a connection string libpq would look
 * up, the parameters that spare it the lookup, and lookups answered in a real h2o loop
 * (localhost, from /etc/hosts: no network needed). */
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/resolve.h"
#include "tests/unit/test.h"

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})

static gp_resolve_target_t target_of(gp_arena_t *a, const char *const *kw, const char *const *val)
{
    gp_resolve_target_t t;
    gp_resolve_target(kw, val, a, &t);
    return t;
}

/* The value libpq will use for `keyword`: the last one. */
static const char *param(const char *const *kw, const char *const *val, const char *keyword)
{
    const char *v = NULL;
    for (int i = 0; kw[i] != NULL; i++)
        if (strcmp(kw[i], keyword) == 0)
            v = val[i];
    return v;
}

static void test_is_name(void)
{
    CHECK(gp_resolve_is_name("postgres"));
    CHECK(gp_resolve_is_name("localhost"));
    CHECK(gp_resolve_is_name("db.example.com"));
    CHECK(!gp_resolve_is_name(""));
    CHECK(!gp_resolve_is_name(NULL));
    CHECK(!gp_resolve_is_name("/var/run/postgresql"));
    CHECK(!gp_resolve_is_name("@abstract")); /* libpq: an abstract Unix socket */
    CHECK(!gp_resolve_is_name("127.0.0.1"));
    CHECK(!gp_resolve_is_name("::1"));
    CHECK(!gp_resolve_is_name("2001:db8::5"));
}

static void test_target_from_url(void)
{
    gp_arena_t *a = gp_arena_new(512);
    unsetenv("PGHOST");
    gp_resolve_target_t t = target_of(a, KV("dbname", "fallback_application_name"),
                                      KV("postgres://app@postgres:5432/blog", "graphpost"));
    CHECK_INT(t.nhosts, 1);
    CHECK_INT(t.nnames, 1);
    CHECK_STR(t.hosts[0], "postgres");
    CHECK(t.ports[0] == NULL); /* one port for all: left as configured */

    /* A later keyword overrides the URL; an earlier one does not; empty values count for nothing. */
    t = target_of(a, KV("dbname", "host"), KV("postgres://u@a/db", "/tmp"));
    CHECK_INT(t.nnames, 0);
    t = target_of(a, KV("host", "dbname"), KV("/tmp", "postgres://u@a/db"));
    CHECK_INT(t.nnames, 1);
    CHECK_STR(t.hosts[0], "a");
    t = target_of(a, KV("dbname", "host"), KV("postgres://u@a/db", ""));
    CHECK_STR(t.hosts[0], "a");
    /* Only the first dbname is a connection string; a second is a database name. */
    t = target_of(a, KV("dbname", "dbname"), KV("host=b", "host=c"));
    CHECK_INT(t.nnames, 1);
    CHECK_STR(t.hosts[0], "b");
    gp_arena_free(a);
}

static void test_target_lists_and_skips(void)
{
    gp_arena_t *a = gp_arena_new(512);
    unsetenv("PGHOST");
    gp_resolve_target_t t = target_of(a, KV("dbname"), KV("postgres://u@h1:5432,127.0.0.1:5433,%2Ftmp:5434/db"));
    CHECK_INT(t.nhosts, 3);
    CHECK_INT(t.nnames, 1);
    CHECK(t.is_name[0] && !t.is_name[1] && !t.is_name[2]);
    CHECK_STR(t.hosts[2], "/tmp");
    CHECK_STR(t.ports[0], "5432");
    CHECK_STR(t.ports[2], "5434");

    /* Nothing to do: a Unix socket by default, a hostaddr, a service, a port list that does not match. */
    CHECK_INT(target_of(a, KV("dbname"), KV("postgres:///blog")).nnames, 0);
    CHECK_INT(target_of(a, KV("host", "hostaddr"), KV("db", "10.0.0.1")).nnames, 0);
    CHECK_INT(target_of(a, KV("host", "service"), KV("db", "mine")).nnames, 0);
    CHECK_INT(target_of(a, KV("host", "port"), KV("h1,h2", "1,2,3")).nnames, 0);
    CHECK_INT(target_of(a, KV("host"), KV("127.0.0.1")).nnames, 0);

    /* The environment fills what the parameters leave unset, as libpq's defaults do. */
    setenv("PGHOST", "envhost", 1);
    t = target_of(a, KV("dbname"), KV("blog"));
    CHECK_INT(t.nnames, 1);
    CHECK_STR(t.hosts[0], "envhost");
    unsetenv("PGHOST");
    gp_arena_free(a);
}

static gp_resolve_addrs_t addrs_of(int n, const char *first, const char *second)
{
    gp_resolve_addrs_t r = {.n = n};
    if (first != NULL)
        strcpy(r.addr[0], first);
    if (second != NULL)
        strcpy(r.addr[1], second);
    return r;
}

static void test_params(void)
{
    gp_arena_t *a = gp_arena_new(512);
    const char *const *kw0 = KV("dbname", "user");
    const char *const *val0 = KV("postgres://u@h1:5432,127.0.0.1:5433,%2Ftmp:5434,gone:5435/db", "app");
    gp_resolve_target_t t = target_of(a, kw0, val0);
    CHECK_INT(t.nnames, 2);
    gp_resolve_addrs_t addrs[GP_RESOLVE_MAX_HOSTS] = {
        addrs_of(2, "10.0.0.1", "fd00::1"), {0}, {0}, addrs_of(0, NULL, NULL), /* "gone" did not resolve */
    };
    const char *const *kw, *const *val;
    CHECK(gp_resolve_params(kw0, val0, &t, addrs, a, &kw, &val));
    /* Every address is a host entry of its own, so libpq still tries each in turn. */
    CHECK_STR(param(kw, val, "host"), "h1,h1,127.0.0.1,/tmp");
    CHECK_STR(param(kw, val, "hostaddr"), "10.0.0.1,fd00::1,,");
    CHECK_STR(param(kw, val, "port"), "5432,5432,5433,5434");
    CHECK_STR(param(kw, val, "user"), "app"); /* the rest is passed on */
    CHECK_STR(param(kw, val, "dbname"), val0[0]);

    /* One port for every host: no port list is added. */
    t = target_of(a, KV("host", "port"), KV("db", "6432"));
    addrs[0] = addrs_of(1, "10.1.2.3", NULL);
    CHECK(gp_resolve_params(KV("host", "port"), KV("db", "6432"), &t, addrs, a, &kw, &val));
    CHECK_STR(param(kw, val, "host"), "db");
    CHECK_STR(param(kw, val, "hostaddr"), "10.1.2.3");
    CHECK_STR(param(kw, val, "port"), "6432");

    /* No host left: no parameters. */
    addrs[0] = addrs_of(0, NULL, NULL);
    CHECK(!gp_resolve_params(KV("host", "port"), KV("db", "6432"), &t, addrs, a, &kw, &val));
    gp_arena_free(a);
}

/* ---- lookups in a loop ------------------------------------------------------------ */

typedef struct waiter {
    gp_resolve_wait_t w; /* first: the callback finds the waiter from it */
    int calls;
    char hostaddr[128];
    char error[256];
} waiter_t;

static void on_resolved(gp_resolve_wait_t *w, const char *const *kw, const char *const *val, const char *error)
{
    waiter_t *me = (waiter_t *)w;
    me->calls++;
    if (error != NULL)
        snprintf(me->error, sizeof me->error, "%s", error);
    else
        snprintf(me->hostaddr, sizeof me->hostaddr, "%s", param(kw, val, "hostaddr"));
}

static void run_until_called(h2o_evloop_t *loop, const waiter_t *w, int ms)
{
    for (int i = 0; i < ms / 10 && w->calls == 0; i++)
        h2o_evloop_run(loop, 10);
}

static void test_lookup_in_loop(void)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    const char *const *kw = KV("dbname");
    const char *const *val = KV("postgres://u@localhost:1/db");
    gp_resolver_t *r = gp_resolver_create(loop, kw, val);
    waiter_t a = {0}, b = {0}, c = {0};
    CHECK(gp_resolver_start(r, &a.w, on_resolved));
    CHECK(gp_resolver_start(r, &b.w, on_resolved));
    CHECK_INT(a.calls, 0); /* never before returning */
    gp_resolve_cancel(&b.w);
    run_until_called(loop, &a, 5000);
    CHECK_INT(a.calls, 1);
    CHECK_INT(b.calls, 0);
    CHECK(strstr(a.hostaddr, "127.0.0.1") != NULL || strstr(a.hostaddr, "::1") != NULL);
    CHECK_STR(a.error, "");

    /* A name that cannot resolve (.invalid is reserved) fails the waiter with a message. */
    gp_resolver_t *bad = gp_resolver_create(loop, KV("host"), KV("nothing.invalid"));
    CHECK(gp_resolver_start(bad, &c.w, on_resolved));
    run_until_called(loop, &c, 20000);
    CHECK_INT(c.calls, 1);
    CHECK(strstr(c.error, "nothing.invalid") != NULL);
    gp_resolver_destroy(bad);

    /* Destroyed with a lookup under way: nobody is called, the thread cleans up after itself. */
    waiter_t d = {0};
    CHECK(gp_resolver_start(r, &d.w, on_resolved));
    gp_resolver_destroy(r);
    gp_resolve_cancel(&d.w); /* a no-op now */
    nanosleep(&(struct timespec){.tv_nsec = 300 * 1000000}, NULL);
    h2o_evloop_run(loop, 0);
    CHECK_INT(d.calls, 0);

    /* Nothing to look up: the caller connects as configured. */
    gp_resolver_t *none = gp_resolver_create(loop, KV("host"), KV("/tmp"));
    CHECK(!gp_resolver_start(none, &d.w, on_resolved));
    gp_resolver_destroy(none);
    h2o_evloop_run(loop, 0); /* lets the closed watchers be freed */
    h2o_evloop_destroy(loop);
}

/* A lookup that takes 300 ms, as a slow DNS server would. */
static int slow_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                            struct addrinfo **res)
{
    nanosleep(&(struct timespec){.tv_nsec = 300 * 1000000}, NULL);
    return getaddrinfo(node, service, hints, res);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct ticker {
    h2o_timeout_t t;
    h2o_timeout_entry_t e;
    h2o_evloop_t *loop;
    int ticks;
} ticker_t;

static void on_tick(h2o_timeout_entry_t *e)
{
    ticker_t *tk = H2O_STRUCT_FROM_MEMBER(ticker_t, e, e);
    tk->ticks++;
    h2o_timeout_link(tk->loop, &tk->t, &tk->e);
}

/* While the lookup takes its 300 ms, the loop goes on running its timers: the start
 * returns at once and a 10 ms ticker keeps ticking. */
static void test_slow_lookup_does_not_block_the_loop(void)
{
    h2o_evloop_t *loop = h2o_evloop_create();
    ticker_t tk = {.loop = loop, .e = {.cb = on_tick}};
    h2o_timeout_init(loop, &tk.t, 10);
    h2o_timeout_link(loop, &tk.t, &tk.e);
    gp_resolve_getaddrinfo = slow_getaddrinfo;
    gp_resolver_t *r = gp_resolver_create(loop, KV("host"), KV("localhost"));
    waiter_t a = {0};
    double t0 = now_ms();
    CHECK(gp_resolver_start(r, &a.w, on_resolved));
    CHECK(now_ms() - t0 < 50);
    run_until_called(loop, &a, 5000);
    double took = now_ms() - t0;
    CHECK_INT(a.calls, 1);
    CHECK(took >= 250);
    CHECK(tk.ticks >= 10); /* about 30 if nothing else runs; the point is that it ran at all */
    CHECK(strstr(a.hostaddr, "127.0.0.1") != NULL || strstr(a.hostaddr, "::1") != NULL);
    gp_resolve_getaddrinfo = getaddrinfo;
    gp_resolver_destroy(r);
    h2o_timeout_unlink(&tk.e);
    h2o_timeout_dispose(loop, &tk.t);
    h2o_evloop_run(loop, 0);
    h2o_evloop_destroy(loop);
}

TEST_MAIN(test_is_name, test_target_from_url, test_target_lists_and_skips, test_params, test_lookup_in_loop,
          test_slow_lookup_does_not_block_the_loop)
