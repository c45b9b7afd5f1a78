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
 * serialises (so servers starting together do not collide): makes the trigger function
 * graphpost.notify_change() (schema graphpost, pg_notify(channel, …)) unless it is
 * already there as this would make it, then gives each of `tables` (n quoted, qualified
 * SQL names like "public"."users") the statement trigger graphpost_notify for INSERT,
 * UPDATE, DELETE and TRUNCATE unless it has it already, each under a savepoint of its
 * own, so a table this role may not alter (or one locked for seconds) fails alone and
 * is left to polling. triggered[i] says whether table i has the trigger afterwards.
 * Returns the number triggered, or -1 with `err` (one line) filled when even the function
 * could not be made (e.g. no CREATE right on the database): then none is triggered. */
int gp_triggers_install(PGconn *pg, const char *channel, const char *const *tables, int n, bool *triggered,
                        char *err, size_t errlen);

/* The trigger notifies only for tables a listening backend watches: this SQL (malloc'd;
 * NULL when out of memory) records the `on` tables ("schema.table", as the payload names
 * them) for the backend that runs it and drops its `off` ones; "" when both are empty. */
char *gp_triggers_watch_sql(PGconn *pg, const char *const *on, int non, const char *const *off, int noff);

/* Rows of backends that are gone (a server that crashed or lost its connection). */
#define GP_TRIGGERS_FORGET_GONE \
    "DELETE FROM graphpost.watched w WHERE NOT EXISTS (SELECT FROM pg_stat_activity a WHERE a.pid = w.pid)"

#endif
