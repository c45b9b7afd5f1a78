/* db/triggers.c — installs the NOTIFY triggers live subscriptions listen for.
 *
 * A NOTIFY is not free: at commit PostgreSQL queues it under a lock that every notifying
 * transaction of the database takes in turn, which cut single-row inserts from 19.6k to
 * 10.8k tps at c=1 and from 22.2k to 6.1k at c=16 (pgbench, this machine). So the
 * trigger notifies only for a table some server watches: graphpost.watched has a row
 * per table and listening backend (gp_triggers_watch_sql), and the others' writes pay
 * one index lookup.
 *
 * Everything happens in one transaction on the caller's blocking connection; the
 * advisory lock makes a second server starting at the same moment wait for the first
 * and then find everything in place. What is already in place is left alone: CREATE
 * OR REPLACE TRIGGER takes a lock that blocks the table's writers, and would do so at
 * every start; and a role that may not create or alter something can still use what
 * an owner installed. */
#define _GNU_SOURCE /* asprintf */
#include "db/triggers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

/* AFTER (no BEFORE 2, no INSTEAD 64 bit), FOR EACH STATEMENT (no ROW 1 bit), on
 * INSERT 4 | DELETE 8 | UPDATE 16 | TRUNCATE 32: pg_trigger.tgtype of our trigger. */
#define TGTYPE "60"

#define FUNCTION_SRC                                                                        \
    "SELECT p.prosrc = $1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "    \
    "WHERE n.nspname = 'graphpost' AND p.proname = 'notify_change' AND p.pronargs = 0"

/* Catalog joins rather than to_regprocedure: a name lookup fails outright in a schema
 * the role has no USAGE on, and this must only answer "is it there?". */
#define HAS_TRIGGER                                                                         \
    "SELECT EXISTS (SELECT FROM pg_trigger t "                          \
    "JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace n ON n.oid = p.pronamespace "     \
    "WHERE t.tgrelid = %s::regclass AND t.tgname = 'graphpost_notify' AND n.nspname = 'graphpost' " \
    "AND p.proname = 'notify_change' AND t.tgtype = " TGTYPE " AND t.tgenabled IN ('O', 'A') "  \
    "AND t.tgqual IS NULL)"

static void set_error(char *err, size_t errlen, const char *what, PGconn *pg, const PGresult *r)
{
    const char *msg = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    int n = snprintf(err, errlen, "%s: ", what);
    if (n >= 0 && (size_t)n + 1 < errlen)
        gp_log_one_line(err + n, errlen - (size_t)n, msg != NULL ? msg : PQerrorMessage(pg));
}

/* Runs sql (one or more statements; the last one's result counts). On failure fills err
 * with "what: PostgreSQL's message". */
static bool run(PGconn *pg, const char *sql, const char *what, char *err, size_t errlen)
{
    PGresult *r = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(r);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        set_error(err, errlen, what, pg, r);
    PQclear(r);
    return ok;
}

/* The function's body, with the channel as a string literal in it. */
static char *function_body(PGconn *pg, const char *channel)
{
    char *lit = PQescapeLiteral(pg, channel, strlen(channel));
    char *body = NULL;
    if (lit != NULL && asprintf(&body, "BEGIN IF EXISTS (SELECT FROM graphpost.watched "
                                       "WHERE tab = TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME) THEN "
                                       "PERFORM pg_notify(%s, TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME); END IF; "
                                       "RETURN NULL; END", lit) < 0)
        body = NULL;
    PQfreemem(lit);
    return body;
}

/* Makes graphpost.notify_change() unless it is there with this very body: CREATE SCHEMA
 * IF NOT EXISTS needs CREATE on the database even when the schema exists, and CREATE OR
 * REPLACE needs to own the function. */
static bool make_function(PGconn *pg, const char *channel, char *err, size_t errlen)
{
    const char *what = "cannot create graphpost.notify_change()";
    char *body = function_body(pg, channel), *lit = NULL, *sql = NULL;
    if (body == NULL) {
        set_error(err, errlen, what, pg, NULL);
        return false;
    }
    const char *params[] = {body};
    PGresult *r = PQexecParams(pg, FUNCTION_SRC, 1, NULL, params, NULL, NULL, 0);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        set_error(err, errlen, what, pg, r);
    else if (PQntuples(r) == 0 || strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
        /* The body goes in as a string literal itself: the channel's quotes are quoted again. */
        lit = PQescapeLiteral(pg, body, strlen(body));
        /* SECURITY DEFINER: every role's writes read graphpost.watched as its owner. A
         * listening server of any role records what it watches there. */
        if (lit == NULL ||
            asprintf(&sql, "CREATE SCHEMA IF NOT EXISTS graphpost; GRANT USAGE ON SCHEMA graphpost TO PUBLIC; "
                           "CREATE UNLOGGED TABLE IF NOT EXISTS graphpost.watched (tab text, pid int, "
                           "PRIMARY KEY (tab, pid)); GRANT SELECT, INSERT, DELETE ON graphpost.watched TO PUBLIC; "
                           "CREATE OR REPLACE FUNCTION graphpost.notify_change() RETURNS trigger LANGUAGE plpgsql "
                           "SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS %s", lit) < 0) {
            sql = NULL;
            set_error(err, errlen, what, pg, NULL);
            ok = false;
        } else {
            ok = run(pg, sql, what, err, errlen);
        }
    }
    PQclear(r);
    PQfreemem(lit);
    free(sql);
    free(body);
    return ok;
}

/* 1 when `table` has our trigger, 0 when not, -1 on an error (then `why` says it). */
static int has_trigger(PGconn *pg, const char *table, char *why, size_t whylen)
{
    char *lit = PQescapeLiteral(pg, table, strlen(table)), *sql = NULL;
    int has = -1;
    if (lit == NULL || asprintf(&sql, HAS_TRIGGER, lit) < 0) {
        snprintf(why, whylen, "out of memory");
        PQfreemem(lit);
        return -1;
    }
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) == PGRES_TUPLES_OK)
        has = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    else
        set_error(why, whylen, "cannot read its triggers", pg, r);
    PQclear(r);
    PQfreemem(lit);
    free(sql);
    return has;
}

/* Whether `table` has the trigger afterwards. Under a savepoint, so a table that is
 * gone, not ours (42501) or locked past lock_timeout fails alone. */
static bool trigger_table(PGconn *pg, const char *table)
{
    char why[512], *sql = NULL;
    int has = -1;
    if (run(pg, "SAVEPOINT gp_table", "cannot make a savepoint", why, sizeof why))
        has = has_trigger(pg, table, why, sizeof why);
    if (has == 0) {
        if (asprintf(&sql, "CREATE OR REPLACE TRIGGER graphpost_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                           "ON %s FOR EACH STATEMENT EXECUTE FUNCTION graphpost.notify_change()", table) < 0) {
            sql = NULL;
            snprintf(why, sizeof why, "out of memory");
        } else if (run(pg, sql, "cannot create its trigger", why, sizeof why)) {
            has = 1;
        }
        free(sql);
    }
    if (has == 1) /* a failure here fails the COMMIT */
        return run(pg, "RELEASE SAVEPOINT gp_table", "cannot release its savepoint", why, sizeof why);
    gp_info("triggers", "%s: not triggered, its changes will be polled: %s", table, why);
    run(pg, "ROLLBACK TO SAVEPOINT gp_table; RELEASE SAVEPOINT gp_table", "", why, sizeof why);
    return false;
}

/* COMMIT of a failed transaction "succeeds" as a ROLLBACK; only the tag tells. */
static bool commit(PGconn *pg, char *err, size_t errlen)
{
    PGresult *r = PQexec(pg, "COMMIT");
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(r), "COMMIT") == 0;
    if (!ok && PQresultStatus(r) == PGRES_COMMAND_OK)
        snprintf(err, errlen, "cannot install triggers: the transaction failed and was rolled back");
    else if (!ok)
        set_error(err, errlen, "cannot install triggers", pg, r);
    PQclear(r);
    return ok;
}

/* Writes `head`, then each of names as a string literal, `wrap`ped (before, after) and
 * joined by ", ", at o; the end of what it wrote, or NULL when out of memory. */
static char *put_literals(char *o, PGconn *pg, const char *head, const char *before, const char *after,
                          const char *const *names, int n)
{
    o = stpcpy(o, head);
    for (int i = 0; i < n; i++) {
        char *lit = PQescapeLiteral(pg, names[i], strlen(names[i]));
        if (lit == NULL)
            return NULL;
        o += sprintf(o, "%s%s%s%s", i == 0 ? "" : ", ", before, lit, after);
        PQfreemem(lit);
    }
    return o;
}

char *gp_triggers_watch_sql(PGconn *pg, const char *const *on, int non, const char *const *off, int noff)
{
    size_t cap = 256; /* the statements' words; a literal takes at most 2 n + 4 bytes */
    for (int i = 0; i < non; i++)
        cap += 2 * strlen(on[i]) + 48;
    for (int i = 0; i < noff; i++)
        cap += 2 * strlen(off[i]) + 8;
    char *sql = malloc(cap), *o = sql;
    if (sql == NULL)
        return NULL;
    *o = '\0';
    if (non > 0 && (o = put_literals(o, pg, "INSERT INTO graphpost.watched (tab, pid) VALUES ", "(",
                                     ", pg_backend_pid())", on, non)) != NULL)
        o = stpcpy(o, " ON CONFLICT DO NOTHING;");
    if (o != NULL && noff > 0 &&
        (o = put_literals(o, pg, " DELETE FROM graphpost.watched WHERE pid = pg_backend_pid() AND tab IN (", "", "",
                          off, noff)) != NULL)
        o = stpcpy(o, ");");
    if (o == NULL) {
        free(sql);
        return NULL;
    }
    return sql;
}

int gp_triggers_install(PGconn *pg, const char *channel, const char *const *tables, int n, bool *triggered,
                        char *err, size_t errlen)
{
    const char *what = "cannot install triggers";
    int count = 0;
    memset(triggered, 0, (size_t)n * sizeof *triggered);
    /* client_min_messages: CREATE SCHEMA IF NOT EXISTS says NOTICE at every start. The
     * lock_timeout comes after the advisory lock, whose wait is another server doing this. */
    if (!run(pg, "BEGIN; SET LOCAL client_min_messages = warning", what, err, errlen) ||
        !run(pg, "SELECT pg_advisory_xact_lock(hashtext('graphpost.notify_change'))", what, err, errlen) ||
        !run(pg, "SET LOCAL lock_timeout = '5s'", what, err, errlen) || !make_function(pg, channel, err, errlen))
        goto Error;
    for (int i = 0; i < n; i++)
        count += triggered[i] = trigger_table(pg, tables[i]);
    if (!commit(pg, err, errlen))
        goto Error;
    return count;
Error:
    if (PQtransactionStatus(pg) != PQTRANS_IDLE)
        PQclear(PQexec(pg, "ROLLBACK"));
    memset(triggered, 0, (size_t)n * sizeof *triggered);
    return -1;
}
