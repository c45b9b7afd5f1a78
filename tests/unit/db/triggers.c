/* Unit tests for db/triggers against a real PostgreSQL (tests/unit/pg.h): databases and
 * roles of their own (dropped and made again at the start, so a shared GP_TEST_PGURL
 * cluster can run it twice). Installs run as gp_app, an ordinary role; a plain libpq
 * connection LISTENs and collects what each statement sent. */
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>

#include <libpq-fe.h>

#include "db/triggers.h"
#include "tests/unit/pg.h"
#include "tests/unit/test.h"

#define CHANNEL "graphpost_change"

static PGconn *connect_to(const char *db, const char *user)
{
    const char *const kw[] = {"dbname", "dbname", "user", "password", NULL};
    const char *const val[] = {pg_url, db, user, "gp", NULL}; /* the second dbname overrides the URL's */
    PGconn *pg = PQconnectdbParams(kw, val, 1);
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "connect to %s as %s: %s", db, user, PQerrorMessage(pg));
        exit(1);
    }
    return pg;
}

static bool exec(PGconn *pg, const char *sql)
{
    char ignored[8];
    return pg_query_cell(pg, sql, ignored, sizeof ignored);
}

static const char *cell(PGconn *pg, const char *sql, char *buf, size_t size)
{
    pg_query_cell(pg, sql, buf, size);
    return buf;
}

/* Runs sql on `writer`, then a NOTIFY 'end', and returns the payloads `listener` got before
 * that, comma-separated: NOTIFYs arrive in commit order, so 'end' means all are in. */
static const char *notified_by(PGconn *writer, PGconn *listener, const char *channel, const char *sql, char *buf,
                               size_t size)
{
    buf[0] = '\0';
    char end[128];
    snprintf(end, sizeof end, "SELECT pg_notify(%s, 'end')", channel);
    CHECK(exec(writer, sql) && exec(writer, end));
    for (int waited = 0; waited < 2000;) {
        PGnotify *n;
        PQconsumeInput(listener);
        while ((n = PQnotifies(listener)) != NULL) {
            bool done = strcmp(n->extra, "end") == 0;
            if (!done)
                snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", buf[0] ? "," : "", n->extra);
            PQfreemem(n);
            if (done)
                return buf;
        }
        struct pollfd p = {.fd = PQsocket(listener), .events = POLLIN};
        poll(&p, 1, 50);
        waited += 50;
    }
    CHECK(!"no 'end' notification");
    return buf;
}

static void test_setup(void)
{
    PGconn *su = PQconnectdb(pg_url);
    const char *sql[] = {
        "SET client_min_messages = warning",
        "DROP DATABASE IF EXISTS gp_triggers WITH (FORCE)",
        "DROP DATABASE IF EXISTS gp_triggers_nocreate WITH (FORCE)",
        "DROP DATABASE IF EXISTS gp_triggers_race WITH (FORCE)",
        "DROP ROLE IF EXISTS gp_app",
        "DROP ROLE IF EXISTS gp_other",
        "CREATE ROLE gp_app LOGIN PASSWORD 'gp'",
        "CREATE ROLE gp_other",
        "CREATE DATABASE gp_triggers",
        "GRANT CREATE ON DATABASE gp_triggers TO gp_app",
        "CREATE DATABASE gp_triggers_nocreate",
        "CREATE DATABASE gp_triggers_race",
        "GRANT CREATE ON DATABASE gp_triggers_race TO gp_app",
    };
    for (size_t i = 0; i < sizeof sql / sizeof *sql; i++)
        if (!exec(su, sql[i]))
            exit(1);
    PQfinish(su);
    /* PostgreSQL 15: ordinary roles may no longer create in public, so the superuser
     * makes the tables and gives them away. */
    const char *tables = "CREATE TABLE a (id int); CREATE TABLE b (id int); CREATE TABLE \"Odd \"\"T\"\"\" (id int); "
                         "CREATE TABLE theirs (id int); ALTER TABLE a OWNER TO gp_app; ALTER TABLE b OWNER TO gp_app; "
                         "ALTER TABLE \"Odd \"\"T\"\"\" OWNER TO gp_app; ALTER TABLE theirs OWNER TO gp_other";
    const char *dbs[] = {"gp_triggers", "gp_triggers_nocreate"};
    for (int i = 0; i < 2; i++) {
        su = connect_to(dbs[i], "postgres");
        if (!exec(su, tables))
            exit(1);
        PQfinish(su);
    }
}

/* Records (on) or drops (off) `pg`'s wish for the NOTIFYs of these tables. */
static bool watch(PGconn *pg, const char *const *on, int non, const char *const *off, int noff)
{
    char *sql = gp_triggers_watch_sql(pg, on, non, off, noff);
    bool ok = sql != NULL && exec(pg, sql);
    free(sql);
    return ok;
}

static const char *const tables[] = {"\"public\".\"a\"", "\"public\".\"b\"", "\"public\".\"Odd \"\"T\"\"\"",
                                     "\"public\".\"theirs\"", "\"public\".\"missing\""};
#define NTABLES 5

static void test_install_notifies_once_per_statement(void)
{
    PGconn *app = connect_to("gp_triggers", "gp_app"), *su = connect_to("gp_triggers", "postgres");
    PGconn *lis = connect_to("gp_triggers", "postgres"), *w = connect_to("gp_triggers", "gp_app");
    bool triggered[NTABLES];
    char err[256] = "", buf[256];
    CHECK_INT(gp_triggers_install(app, CHANNEL, tables, NTABLES, triggered, err, sizeof err), 3);
    CHECK_STR(err, "");
    /* Another role's table and one that is not there are left to polling. */
    CHECK(triggered[0] && triggered[1] && triggered[2] && !triggered[3] && !triggered[4]);
    /* No table has the trigger before a live query reads it: writes pay nothing. */
    CHECK_STR(cell(su, "SELECT count(*) FROM pg_trigger WHERE tgname = 'graphpost_notify'", buf, sizeof buf), "0");
    CHECK(exec(lis, "LISTEN " CHANNEL));
    const char *ch = "'" CHANNEL "'";
    CHECK_STR(notified_by(su, lis, ch, "INSERT INTO a VALUES (0)", buf, sizeof buf), "");
    CHECK(watch(w, tables, 3, NULL, 0)); /* w: the server's listening backend, of the server's role */
    CHECK_STR(cell(su, "SELECT count(*) FROM pg_trigger WHERE tgname = 'graphpost_notify'", buf, sizeof buf), "3");
    CHECK_STR(notified_by(su, lis, ch, "INSERT INTO a VALUES (1), (2), (3)", buf, sizeof buf), "public.a");
    CHECK_STR(notified_by(su, lis, ch, "UPDATE a SET id = id + 1", buf, sizeof buf), "public.a");
    CHECK_STR(notified_by(su, lis, ch, "DELETE FROM a WHERE id > 2", buf, sizeof buf), "public.a");
    CHECK_STR(notified_by(su, lis, ch, "TRUNCATE a", buf, sizeof buf), "public.a");
    CHECK_STR(notified_by(su, lis, ch, "INSERT INTO \"Odd \"\"T\"\"\" VALUES (1)", buf, sizeof buf),
              "public.Odd \"T\"");
    CHECK_STR(notified_by(su, lis, ch, "BEGIN; INSERT INTO a VALUES (1); INSERT INTO b VALUES (1); "
                                       "UPDATE a SET id = 2; COMMIT", buf, sizeof buf),
              "public.a,public.b");
    /* Another role's table: this role may not give it a trigger. */
    CHECK(!watch(w, tables + 3, 1, NULL, 0));
    CHECK_STR(notified_by(su, lis, ch, "INSERT INTO theirs VALUES (1)", buf, sizeof buf), "");
    /* Again: nothing changes, nothing doubles. */
    CHECK_INT(gp_triggers_install(app, CHANNEL, tables, NTABLES, triggered, err, sizeof err), 3);
    CHECK(triggered[0] && triggered[1] && triggered[2] && !triggered[3] && !triggered[4]);
    CHECK(watch(w, tables, 2, NULL, 0));
    CHECK_STR(cell(su, "SELECT count(*) FROM pg_trigger WHERE tgname = 'graphpost_notify'", buf, sizeof buf), "3");
    CHECK_STR(notified_by(su, lis, ch, "INSERT INTO b VALUES (2)", buf, sizeof buf), "public.b");
    CHECK(PQtransactionStatus(app) == PQTRANS_IDLE);
    /* Unwatched, b is silent again (its trigger stays), a still heard. */
    CHECK(watch(w, NULL, 0, tables + 1, 1));
    CHECK_STR(notified_by(su, lis, ch, "INSERT INTO b VALUES (3)", buf, sizeof buf), "");
    CHECK_STR(notified_by(su, lis, ch, "INSERT INTO a VALUES (4)", buf, sizeof buf), "public.a");
    /* A gone backend's wishes are forgotten. */
    PGconn *gone = connect_to("gp_triggers", "postgres");
    CHECK(watch(gone, tables + 1, 1, NULL, 0));
    CHECK_STR(notified_by(su, lis, ch, "INSERT INTO b VALUES (4)", buf, sizeof buf), "public.b");
    int gone_pid = PQbackendPID(gone);
    PQfinish(gone);
    char wait[256];
    snprintf(wait, sizeof wait, "DO $$BEGIN FOR i IN 1..200 LOOP EXIT WHEN NOT EXISTS (SELECT FROM pg_stat_activity "
                                "WHERE pid = %d); PERFORM pg_sleep(0.01); END LOOP; END$$", gone_pid);
    CHECK(exec(su, wait));
    CHECK(exec(app, GP_TRIGGERS_FORGET_GONE));
    CHECK_STR(notified_by(su, lis, ch, "INSERT INTO b VALUES (5)", buf, sizeof buf), "");
    CHECK_STR(notified_by(su, lis, ch, "INSERT INTO a VALUES (5)", buf, sizeof buf), "public.a");
    /* Once made, the owner's trigger serves a role that could not have made it. */
    CHECK(exec(su, "ALTER TABLE theirs OWNER TO gp_app"));
    CHECK(watch(w, tables + 3, 1, NULL, 0));
    CHECK(exec(su, "ALTER TABLE theirs OWNER TO gp_other; REVOKE CREATE ON DATABASE gp_triggers FROM gp_app"));
    CHECK_INT(gp_triggers_install(app, CHANNEL, tables, NTABLES, triggered, err, sizeof err), 4);
    CHECK_STR(notified_by(su, lis, ch, "INSERT INTO theirs VALUES (2)", buf, sizeof buf), "public.theirs");
    CHECK(exec(su, "GRANT CREATE ON DATABASE gp_triggers TO gp_app"));
    PQfinish(app);
    PQfinish(su);
    PQfinish(lis);
    PQfinish(w);
}

static void test_without_create_on_the_database_nothing_is_triggered(void)
{
    PGconn *app = connect_to("gp_triggers_nocreate", "gp_app");
    bool triggered[NTABLES];
    char err[256] = "";
    CHECK_INT(gp_triggers_install(app, CHANNEL, tables, NTABLES, triggered, err, sizeof err), -1);
    CHECK(strstr(err, "permission denied for database gp_triggers_nocreate") != NULL);
    CHECK(strchr(err, '\n') == NULL);
    for (int i = 0; i < NTABLES; i++)
        CHECK(!triggered[i]);
    CHECK(PQtransactionStatus(app) == PQTRANS_IDLE);
    char buf[16];
    CHECK_STR(cell(app, "SELECT count(*) FROM pg_trigger WHERE tgname = 'graphpost_notify'", buf, sizeof buf), "0");
    PQfinish(app);
}

/* A channel with a quote and a backslash survives being a literal inside a literal. */
static void test_channel_is_quoted(void)
{
    PGconn *su = connect_to("gp_triggers_nocreate", "postgres"), *lis = connect_to("gp_triggers_nocreate", "postgres");
    const char *channel = "it's \\ odd";
    bool triggered[1];
    char err[256] = "", buf[64];
    CHECK_INT(gp_triggers_install(su, channel, tables, 1, triggered, err, sizeof err), 1);
    CHECK_STR(err, "");
    CHECK(exec(lis, "LISTEN \"it's \\ odd\""));
    CHECK(watch(lis, tables, 1, NULL, 0));
    CHECK_STR(notified_by(su, lis, "E'it''s \\\\ odd'", "INSERT INTO a VALUES (1)", buf, sizeof buf), "public.a");
    PQfinish(su);
    PQfinish(lis);
}

/* Two servers starting at once: the advisory lock lets one wait for the other. */
#define RACE_TABLES 20
static char race_names[RACE_TABLES][32];

static void *race_install(void *arg)
{
    PGconn *app = connect_to("gp_triggers_race", "gp_app");
    const char *names[RACE_TABLES];
    bool triggered[RACE_TABLES];
    char err[256] = "";
    for (int i = 0; i < RACE_TABLES; i++)
        names[i] = race_names[i];
    *(int *)arg = gp_triggers_install(app, CHANNEL, names, RACE_TABLES, triggered, err, sizeof err);
    if (err[0] != '\0')
        fprintf(stderr, "race: %s\n", err);
    PQfinish(app);
    return NULL;
}

static void test_concurrent_installs(void)
{
    PGconn *su = connect_to("gp_triggers_race", "postgres");
    for (int i = 0; i < RACE_TABLES; i++) {
        char sql[128];
        snprintf(race_names[i], sizeof race_names[i], "\"public\".\"r%d\"", i);
        snprintf(sql, sizeof sql, "CREATE TABLE r%d (id int); ALTER TABLE r%d OWNER TO gp_app", i, i);
        CHECK(exec(su, sql));
    }
    pthread_t t[2];
    int got[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, race_install, &got[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    CHECK_INT(got[0], RACE_TABLES);
    CHECK_INT(got[1], RACE_TABLES);
    char buf[16];
    CHECK_STR(cell(su, "SELECT count(*) FROM pg_proc WHERE proname IN ('notify_change', 'watch') AND "
                       "pronamespace = 'graphpost'::regnamespace", buf, sizeof buf), "2");
    PQfinish(su);
}

TEST_MAIN(test_start_postgres, test_setup, test_install_notifies_once_per_statement,
          test_without_create_on_the_database_nothing_is_triggered, test_channel_is_quoted, test_concurrent_installs)
