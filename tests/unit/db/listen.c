/* Unit tests for db/listen against a real PostgreSQL (tests/unit/pg.h). The listener is
 * built from its source with a 300 ms idle interval, so its health check runs (and must
 * not disturb anything) during every test. The callback runs on the listener's thread:
 * an inbox with a condition variable hands what it got to the test. */
#define GP_LISTEN_IDLE_MS 300
#include "db/listen.c"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include "tests/unit/pg.h"
#include "tests/unit/test.h"

#define CHANNEL "graphpost_change"
#define APP_NAME GP_LISTEN_APPLICATION_NAME /* whatever the connection string says */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int nulls;            /* cb(NULL) calls: (re)connects */
    int n;                /* payloads[0..n) */
    char payloads[32][64];
} inbox_t;

static void inbox_init(inbox_t *b)
{
    memset(b, 0, sizeof *b);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&b->mu, NULL);
}

static void inbox_destroy(inbox_t *b)
{
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
}

static void on_payload(void *data, const char *payload)
{
    inbox_t *b = data;
    pthread_mutex_lock(&b->mu);
    if (payload == NULL)
        b->nulls++;
    else if (b->n < 32)
        snprintf(b->payloads[b->n++], sizeof b->payloads[0], "%s", payload);
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

/* Waits up to ms until the inbox holds at least `nulls` NULL calls and `n` payloads. */
static bool inbox_wait(inbox_t *b, int nulls, int n, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&b->mu);
    while ((b->nulls < nulls || b->n < n) && pthread_cond_timedwait(&b->cv, &b->mu, &until) == 0)
        ;
    bool ok = b->nulls >= nulls && b->n >= n;
    pthread_mutex_unlock(&b->mu);
    return ok;
}

static int inbox_count(inbox_t *b, const char *payload)
{
    int c = 0;
    pthread_mutex_lock(&b->mu);
    for (int i = 0; i < b->n; i++)
        c += strcmp(b->payloads[i], payload) == 0;
    pthread_mutex_unlock(&b->mu);
    return c;
}

static int inbox_nulls(inbox_t *b)
{
    pthread_mutex_lock(&b->mu);
    int n = b->nulls;
    pthread_mutex_unlock(&b->mu);
    return n;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static PGconn *admin;

/* The first cell of sql's result, or "" (and a failed check) on an error. */
static const char *admin_exec(const char *sql, char *buf, size_t size)
{
    CHECK(pg_query_cell(admin, sql, buf, size));
    return buf;
}

static void test_admin_connects(void)
{
    admin = PQconnectdb(pg_url);
    if (PQstatus(admin) != CONNECTION_OK) {
        fprintf(stderr, "admin: %s", PQerrorMessage(admin));
        exit(1);
    }
}

static const char *const keywords[] = {"dbname", "application_name", NULL};

static gp_listen_t *start(const char *url, inbox_t *b)
{
    const char *values[] = {url, APP_NAME, NULL};
    return gp_listen_start(keywords, values, CHANNEL, on_payload, b);
}

/* Stops l and returns how long that took. */
static long long stop_ms(gp_listen_t *l)
{
    long long t0 = now_ms();
    gp_listen_stop(l);
    return now_ms() - t0;
}

/* The listener's backend: its pid as text, "" when there is none. */
static const char *listener_pid(char *buf, size_t size)
{
    return admin_exec("SELECT pid FROM pg_stat_activity WHERE application_name = '" APP_NAME "'", buf, size);
}

static void test_notifications_arrive_folded(void)
{
    inbox_t b;
    inbox_init(&b);
    gp_listen_t *l = start(pg_url, &b);
    CHECK(l != NULL);
    CHECK(inbox_wait(&b, 1, 0, 2000)); /* the NULL after the first connect */
    char buf[64];
    admin_exec("NOTIFY " CHANNEL ", 'public.t'", buf, sizeof buf);
    CHECK(inbox_wait(&b, 1, 1, 2000));
    CHECK_STR(b.payloads[0], "public.t");
    /* Equal notifications of one transaction arrive once; notifications arrive in order,
     * so once 'public.end' is in, everything before it is. */
    admin_exec("BEGIN; NOTIFY " CHANNEL ", 'public.a'; NOTIFY " CHANNEL ", 'public.a'; "
               "NOTIFY " CHANNEL ", 'public.b'; NOTIFY other_channel, 'public.c'; COMMIT",
               buf, sizeof buf);
    admin_exec("NOTIFY " CHANNEL ", 'public.end'", buf, sizeof buf);
    CHECK(inbox_wait(&b, 1, 4, 2000));
    CHECK_INT(inbox_count(&b, "public.a"), 1);
    CHECK_INT(inbox_count(&b, "public.b"), 1);
    CHECK_INT(inbox_count(&b, "public.c"), 0);
    CHECK_INT(b.n, 4);
    /* Several idle intervals: the health checks are answered and nothing reconnects. */
    sleep_ms(1000);
    CHECK_INT(inbox_nulls(&b), 1);
    CHECK_STR(admin_exec("SELECT query FROM pg_stat_activity WHERE application_name = '" APP_NAME "'", buf,
                         sizeof buf),
              "SELECT 1");
    CHECK(stop_ms(l) < 200);
    for (int i = 0; i < 100 && *listener_pid(buf, sizeof buf) != '\0'; i++)
        sleep_ms(10); /* the backend leaves a moment after the connection closed */
    CHECK_STR(buf, "");
    inbox_destroy(&b);
}

static void test_reconnects_after_its_backend_is_terminated(void)
{
    inbox_t b;
    inbox_init(&b);
    gp_listen_t *l = start(pg_url, &b);
    CHECK(inbox_wait(&b, 1, 0, 2000));
    char buf[64];
    CHECK_STR(admin_exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE application_name = '" APP_NAME "'", buf, sizeof buf),
              "t");
    long long t0 = now_ms();
    CHECK(inbox_wait(&b, 2, 0, 2000)); /* the NULL after the reconnect */
    CHECK(now_ms() - t0 < 1000);
    admin_exec("NOTIFY " CHANNEL ", 'public.after'", buf, sizeof buf);
    CHECK(inbox_wait(&b, 2, 1, 2000));
    CHECK_STR(b.payloads[0], "public.after");
    CHECK(stop_ms(l) < 200);
    inbox_destroy(&b);
}

/* A backend that stops answering (as behind a dead host: no RST, no FIN) is noticed by
 * the health check. Only on our own cluster, where the pid is a process of this host. */
static void test_silent_server_is_noticed(void)
{
    if (pg_dir[0] == '\0')
        return;
    inbox_t b;
    inbox_init(&b);
    gp_listen_t *l = start(pg_url, &b);
    CHECK(inbox_wait(&b, 1, 0, 2000));
    char buf[64];
    pid_t pid = atoi(listener_pid(buf, sizeof buf));
    CHECK(pid > 0 && kill(pid, SIGSTOP) == 0);
    CHECK(inbox_wait(&b, 2, 0, 3000)); /* probe after 300 ms, lost 300 ms later, reconnect */
    kill(pid, SIGCONT);
    admin_exec("NOTIFY " CHANNEL ", 'public.after'", buf, sizeof buf);
    CHECK(inbox_wait(&b, 2, 1, 2000));
    CHECK(stop_ms(l) < 200);
    inbox_destroy(&b);
}

static void test_stop_is_prompt_in_backoff(void)
{
    inbox_t b;
    inbox_init(&b);
    char url[128];
    snprintf(url, sizeof url, "postgresql://postgres@127.0.0.1:%d/postgres", free_port());
    gp_listen_t *l = start(url, &b);
    sleep_ms(400); /* refused at once, 100 then 200 ms of backoff: mid-sleep now */
    CHECK(stop_ms(l) < 200);
    CHECK_INT(inbox_nulls(&b), 0);
    inbox_destroy(&b);
}

/* A server that accepts the TCP connection but never says a word: the connect waits. */
static void test_stop_is_prompt_during_a_connect(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 4) == 0 &&
          getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
    inbox_t b;
    inbox_init(&b);
    char url[128];
    snprintf(url, sizeof url, "postgresql://postgres@127.0.0.1:%d/postgres", ntohs(sa.sin_port));
    gp_listen_t *l = start(url, &b);
    sleep_ms(300);
    CHECK(stop_ms(l) < 200);
    CHECK_INT(inbox_nulls(&b), 0);
    close(fd);
    inbox_destroy(&b);
}

static void test_admin_finishes(void)
{
    PQfinish(admin);
}

TEST_MAIN(test_start_postgres, test_admin_connects, test_notifications_arrive_folded,
          test_reconnects_after_its_backend_is_terminated, test_silent_server_is_noticed,
          test_stop_is_prompt_in_backoff, test_stop_is_prompt_during_a_connect, test_admin_finishes)
