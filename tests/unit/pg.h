/* tests/unit/pg.h — a PostgreSQL 15 for unit tests that need a real one: the cluster
 * named by GP_TEST_PGURL (its role must be a superuser), or a throwaway one started
 * here (initdb + pg_ctl on a free port, trust auth, fsync off) and removed at exit.
 * Exits 77 (skipped) when neither is available. test_start_postgres is the first
 * test of TEST_MAIN; pg_url then names the cluster's `postgres` database. */
#ifndef GP_TEST_PG_H
#define GP_TEST_PG_H

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PGBIN "/usr/lib/postgresql/15/bin"

/* Runs sql on pg: the first cell of its result goes to buf ("" when there is none);
 * false, with PostgreSQL's message on stderr, when it failed. */
static __attribute__((unused)) bool pg_query_cell(PGconn *pg, const char *sql, char *buf, size_t size)
{
    PGresult *r = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(r);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "%s: %s", sql, PQresultErrorMessage(r));
    snprintf(buf, size, "%s", st == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return ok;
}

static char pg_url[256];
static char pg_dir[64];
static const char *pg_as; /* command prefix that runs as the postgres user */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

static int free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        perror("free_port");
        exit(1);
    }
    close(fd);
    return ntohs(sa.sin_port);
}

static void pg_stop(void)
{
    if (pg_dir[0] == '\0')
        return;
    sh("%s" PGBIN "/pg_ctl -D %s/data -m immediate stop >/dev/null 2>&1", pg_as, pg_dir);
    sh("rm -rf %s", pg_dir);
    pg_dir[0] = '\0';
}

static void test_start_postgres(void)
{
    const char *url = getenv("GP_TEST_PGURL");
    if (url != NULL && *url != '\0') {
        snprintf(pg_url, sizeof pg_url, "%s", url);
        return;
    }
    if (access(PGBIN "/initdb", X_OK) != 0 || access(PGBIN "/pg_ctl", X_OK) != 0) {
        printf("SKIP: no PostgreSQL 15 binaries in " PGBIN " and GP_TEST_PGURL is not set\n");
        exit(77);
    }
    strcpy(pg_dir, "/tmp/gp-unit-pg-XXXXXX");
    if (mkdtemp(pg_dir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    pg_as = geteuid() == 0 ? "runuser -u postgres -- " : "";
    if (geteuid() == 0 && sh("chown postgres %s", pg_dir) != 0)
        exit(1);
    atexit(pg_stop);
    if (sh("%s" PGBIN "/initdb -D %s/data -A trust -U postgres >%s/initdb.log 2>&1", pg_as, pg_dir, pg_dir) != 0) {
        sh("cat %s/initdb.log >&2", pg_dir);
        exit(1);
    }
    int port = free_port();
    if (sh("%s" PGBIN "/pg_ctl -D %s/data -l %s/pg.log -w -o \"-p %d -k %s -c fsync=off "
           "-c listen_addresses=127.0.0.1\" start >/dev/null",
           pg_as, pg_dir, pg_dir, port, pg_dir) != 0) {
        sh("cat %s/pg.log >&2", pg_dir);
        exit(1);
    }
    snprintf(pg_url, sizeof pg_url, "postgresql://postgres@127.0.0.1:%d/postgres", port);
}

#endif
