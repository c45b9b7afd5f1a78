/* db/triggers.h — statement-level triggers that NOTIFY when a table changes.
 *
 * The payload of each notification is exactly `schema.table` (the unquoted names
 * joined by a dot). A statement sends one however many rows it touched, and
 * PostgreSQL folds equal notifications of one transaction into one. */
#ifndef GP_TRIGGERS_H
#define GP_TRIGGERS_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

/* On the blocking, idle connection `pg`, in one transaction that pg_advisory_xact_lock
 * serialises (so servers starting together do not collide): makes, unless they are
 * there as this would make them, schema graphpost, its table `watched`, the trigger
 * function graphpost.notify_change() (pg_notify(channel, …) for a watched table) and
 * graphpost.watch(rel, watching), which gives a table the statement trigger
 * graphpost_notify (INSERT, UPDATE, DELETE, TRUNCATE) the first time it is watched.
 * triggered[i] says whether table i of `tables` (n quoted, qualified SQL names like
 * "public"."users") has the trigger or may get it (this role has TRIGGER on it); the
 * others are left to polling. Returns the number triggered, or -1 with `err` (one line)
 * filled when the functions could not be made (e.g. no CREATE right on the database):
 * then none is triggered. */
int gp_triggers_install(PGconn *pg, const char *channel, const char *const *tables, int n, bool *triggered,
                        char *err, size_t errlen);

/* The trigger notifies only for tables a listening backend watches: this SQL (malloc'd;
 * NULL when out of memory) records the `on` tables (quoted SQL names) for the backend
 * that runs it, giving each its trigger if it has none yet, and drops its `off` ones;
 * "" when both are empty. */
char *gp_triggers_watch_sql(PGconn *pg, const char *const *on, int non, const char *const *off, int noff);

/* The payload of the DDL event triggers' NOTIFY: a table's changes never send it. */
#define GP_TRIGGERS_DDL_PAYLOAD ""

/* Makes (unless they are there) the event triggers graphpost_ddl (ddl_command_end) and
 * graphpost_drop (sql_drop), which NOTIFY `channel` with GP_TRIGGERS_DDL_PAYLOAD after
 * any DDL outside schema graphpost (graphpost's own triggers on tables excepted), so
 * that servers reload their schema. Only a superuser may make event triggers: false
 * with `err` filled otherwise. */
bool gp_triggers_install_ddl(PGconn *pg, const char *channel, char *err, size_t errlen);

/* Rows of backends that are gone (a server that crashed or lost its connection). */
#define GP_TRIGGERS_FORGET_GONE \
    "DELETE FROM graphpost.watched w WHERE NOT EXISTS (SELECT FROM pg_stat_activity a WHERE a.pid = w.pid)"

#endif
