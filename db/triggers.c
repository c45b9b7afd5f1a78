/* db/triggers.c — the NOTIFY triggers live subscriptions listen for.
 *
 * A NOTIFY is not free: at commit PostgreSQL queues it under a lock that every notifying
 * transaction of the database takes in turn, which cut single-row inserts from 19.6k to
 * 10.8k tps at c=1 and from 22.2k to 6.1k at c=16 (pgbench, this machine); and even a
 * trigger that notifies nothing cost them 15-25 %. So a table gets its trigger only when
 * a live query first reads it (graphpost.watch, from the listener's connection), and the
 * trigger notifies only while some listening backend watches the table (graphpost.watched
 * has a row per table and backend). Installing makes the functions and says which tables
 * could have the trigger.
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

/* Are both functions there with these bodies ($1 notify_change's, $2 watch's)? */
#define FUNCTIONS_SRC                                                                       \
    "SELECT count(*) = 2 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "     \
    "WHERE n.nspname = 'graphpost' AND ((p.proname = 'notify_change' AND p.pronargs = 0 AND p.prosrc = $1) " \
    "OR (p.proname = 'watch' AND p.pronargs = 2 AND p.prosrc = $2))"

/* Can each table of the array (%s) have our trigger: has it one, or may this role make
 * it? A row per table, in order. Catalog joins rather than to_regprocedure: a name lookup
 * fails outright in a schema the role has no USAGE on, and this must only answer "is it
 * there?". */
#define TRIGGERABLE                                                                         \
    "SELECT r IS NOT NULL AND (has_table_privilege(r, 'TRIGGER') OR EXISTS (SELECT FROM pg_trigger t " \
    "JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace n ON n.oid = p.pronamespace "     \
    "WHERE t.tgrelid = r AND t.tgname = 'graphpost_notify' AND n.nspname = 'graphpost' "    \
    "AND p.proname = 'notify_change' AND t.tgtype = " TGTYPE " AND t.tgenabled IN ('O', 'A') " \
    "AND t.tgqual IS NULL)) FROM unnest(ARRAY[%s]::text[]) WITH ORDINALITY AS x(name, i) "   \
    "CROSS JOIN LATERAL to_regclass(x.name) AS r ORDER BY x.i"

/* graphpost.watch(rel, watching): records (or drops) the calling backend's wish for rel's
 * NOTIFYs, and gives rel the trigger the first time any server watches it, so that the
 * tables no live query ever read pay nothing. With the caller's rights (CREATE TRIGGER
 * needs TRIGGER on the table); the advisory lock keeps two servers from racing to make
 * it, lock_timeout a table busy for long from holding the listener. */
#define WATCH_BODY                                                                          \
    "DECLARE t text; BEGIN "                                                                \
    "SELECT n.nspname || '.' || c.relname INTO t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " \
    "WHERE c.oid = rel; "                                                                   \
    "IF NOT watching THEN DELETE FROM graphpost.watched w WHERE w.tab = t AND w.pid = pg_backend_pid(); " \
    "RETURN; END IF; "                                                                      \
    "PERFORM pg_advisory_xact_lock(hashtext('graphpost.notify_change')); "                 \
    "IF NOT EXISTS (SELECT FROM pg_trigger g WHERE g.tgrelid = rel AND g.tgname = 'graphpost_notify') THEN " \
    "PERFORM set_config('lock_timeout', '5s', true); "                                      \
    "EXECUTE format('CREATE TRIGGER graphpost_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s " \
    "FOR EACH STATEMENT EXECUTE FUNCTION graphpost.notify_change()', rel); END IF; "        \
    "INSERT INTO graphpost.watched (tab, pid) VALUES (t, pg_backend_pid()) ON CONFLICT DO NOTHING; END"

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
    const char *params[] = {body, WATCH_BODY};
    PGresult *r = PQexecParams(pg, FUNCTIONS_SRC, 2, NULL, params, NULL, NULL, 0);
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
                           "SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS %s; "
                           "CREATE OR REPLACE FUNCTION graphpost.watch(rel regclass, watching boolean) RETURNS void "
                           "LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $gp$%s$gp$",
                     lit, WATCH_BODY) < 0) {
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

/* Whether each table has our trigger or this role may give it one (graphpost.watch does,
 * when a live query first reads it), in one round trip; the others' live queries are
 * polled. The count, or -1 with err filled. */
static int triggerable(PGconn *pg, const char *const *tables, int n, bool *triggered, char *err, size_t errlen)
{
    const char *what = "cannot read the tables' rights";
    size_t cap = sizeof TRIGGERABLE;
    for (int i = 0; i < n; i++)
        cap += 2 * strlen(tables[i]) + 8; /* a literal takes at most 2 n + 4 bytes, and ", " */
    char *list = malloc(cap), *o = list, *sql = NULL;
    for (int i = 0; list != NULL && i < n; i++) {
        char *lit = PQescapeLiteral(pg, tables[i], strlen(tables[i]));
        if (lit == NULL)
            break;
        o += sprintf(o, "%s%s", i == 0 ? "" : ", ", lit);
        PQfreemem(lit);
    }
    if (list == NULL || (n > 0 && o == list) || asprintf(&sql, TRIGGERABLE, list) < 0) {
        free(list);
        set_error(err, errlen, what, pg, NULL);
        return -1;
    }
    PGresult *r = PQexec(pg, sql);
    int count = 0;
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == n;
    if (!ok)
        set_error(err, errlen, what, pg, r);
    for (int i = 0; ok && i < n; i++) {
        count += triggered[i] = strcmp(PQgetvalue(r, i, 0), "t") == 0;
        if (!triggered[i])
            gp_info("triggers", "%s: its changes will be polled: no TRIGGER right on it", tables[i]);
    }
    PQclear(r);
    free(list);
    free(sql);
    return ok ? count : -1;
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

char *gp_triggers_watch_sql(PGconn *pg, const char *const *on, int non, const char *const *off, int noff)
{
    size_t cap = 1;
    for (int i = 0; i < non + noff; i++)
        cap += 2 * strlen(i < non ? on[i] : off[i - non]) + 64; /* a literal takes at most 2 n + 4 bytes */
    char *sql = malloc(cap), *o = sql;
    if (sql == NULL)
        return NULL;
    *o = '\0';
    for (int i = 0; i < non + noff; i++) {
        const char *name = i < non ? on[i] : off[i - non];
        char *lit = PQescapeLiteral(pg, name, strlen(name));
        if (lit == NULL) {
            free(sql);
            return NULL;
        }
        o += sprintf(o, "SELECT graphpost.watch(%s::regclass, %s);", lit, i < non ? "true" : "false");
        PQfreemem(lit);
    }
    return sql;
}

/* notify_ddl()'s body; %s is the channel as a literal. Graphpost's own DDL (its schema,
 * the graphpost_notify trigger graphpost.watch gives a table) is no schema change. */
#define DDL_BODY                                                                            \
    "BEGIN IF TG_EVENT = 'sql_drop' THEN IF EXISTS (SELECT FROM pg_event_trigger_dropped_objects() o " \
    "WHERE o.schema_name IS DISTINCT FROM 'graphpost' AND o.object_type <> 'trigger') THEN " \
    "PERFORM pg_notify(%s, ''); END IF; "                                                  \
    "ELSIF EXISTS (SELECT FROM pg_event_trigger_ddl_commands() c WHERE c.schema_name IS DISTINCT FROM 'graphpost' " \
    "AND NOT (c.command_tag = 'CREATE TRIGGER' AND c.object_identity LIKE 'graphpost\\_notify on %%')) THEN " \
    "PERFORM pg_notify(%s, ''); END IF; END"

/* Are the function (with this body, $1) and both event triggers on it there? */
#define DDL_INSTALLED                                                                       \
    "SELECT count(*) = 2 FROM pg_event_trigger e JOIN pg_proc p ON p.oid = e.evtfoid "      \
    "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'graphpost' AND p.proname = 'notify_ddl' " \
    "AND p.prosrc = $1 AND e.evtenabled IN ('O', 'A') AND ((e.evtname = 'graphpost_ddl' AND e.evtevent = " \
    "'ddl_command_end') OR (e.evtname = 'graphpost_drop' AND e.evtevent = 'sql_drop'))"

bool gp_triggers_install_ddl(PGconn *pg, const char *channel, char *err, size_t errlen)
{
    const char *what = "cannot install the DDL event triggers";
    char *lit = PQescapeLiteral(pg, channel, strlen(channel)), *body = NULL, *body_lit = NULL, *sql = NULL;
    bool ok = false;
    if (lit == NULL || asprintf(&body, DDL_BODY, lit, lit) < 0 || (body_lit = PQescapeLiteral(pg, body, strlen(body))) == NULL) {
        set_error(err, errlen, what, pg, NULL);
        goto Done;
    }
    const char *params[] = {body};
    PGresult *r = PQexecParams(pg, DDL_INSTALLED, 1, NULL, params, NULL, NULL, 0);
    bool there = PQresultStatus(r) == PGRES_TUPLES_OK && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (there) {
        ok = true;
        goto Done;
    }
    if (asprintf(&sql, "BEGIN; SET LOCAL client_min_messages = warning; "
                       "SELECT pg_advisory_xact_lock(hashtext('graphpost.notify_change')); "
                       "CREATE SCHEMA IF NOT EXISTS graphpost; "
                       "CREATE OR REPLACE FUNCTION graphpost.notify_ddl() RETURNS event_trigger LANGUAGE plpgsql "
                       "SET search_path = pg_catalog, pg_temp AS %s; "
                       "DROP EVENT TRIGGER IF EXISTS graphpost_ddl; DROP EVENT TRIGGER IF EXISTS graphpost_drop; "
                       "CREATE EVENT TRIGGER graphpost_ddl ON ddl_command_end EXECUTE FUNCTION graphpost.notify_ddl(); "
                       "CREATE EVENT TRIGGER graphpost_drop ON sql_drop EXECUTE FUNCTION graphpost.notify_ddl()",
                 body_lit) < 0) {
        sql = NULL;
        set_error(err, errlen, what, pg, NULL);
        goto Done;
    }
    ok = run(pg, sql, what, err, errlen) && commit(pg, err, errlen);
    if (!ok && PQtransactionStatus(pg) != PQTRANS_IDLE)
        PQclear(PQexec(pg, "ROLLBACK"));
Done:
    PQfreemem(lit);
    PQfreemem(body_lit);
    free(body);
    free(sql);
    return ok;
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
    if (n > 0 && (count = triggerable(pg, tables, n, triggered, err, errlen)) < 0)
        goto Error;
    if (!commit(pg, err, errlen))
        goto Error;
    return count;
Error:
    if (PQtransactionStatus(pg) != PQTRANS_IDLE)
        PQclear(PQexec(pg, "ROLLBACK"));
    memset(triggered, 0, (size_t)n * sizeof *triggered);
    return -1;
}
