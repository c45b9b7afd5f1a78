/* db/pgerror.h — what a PostgreSQL SQLSTATE means for graphpost: which error kind
 * the client sees, and whether a read-only statement that failed with it may simply be
 * sent again (the server went away or is restarting: nothing ran, or only reads did). */
#ifndef GP_PGERROR_H
#define GP_PGERROR_H

#include <stdbool.h>

#include "base/error.h"

/* X(sqlstate or two-character class, retryable, kind, shown, why). The first row whose
 * code is a prefix of the SQLSTATE wins, so exact codes come before their class.
 * `retryable` applies to reads only (each is its own transaction, so running it again
 * is the whole transaction again); a mutation is never sent twice. `shown`: PostgreSQL's message speaks of the caller's
 * own values or rights, so the client sees it; any other message may name internals
 * and is replaced unless --dev is on. */
#define GP_PGERROR_TABLE(X)                                                                  \
    X("57P01", true, GP_E_UNAVAILABLE, false, "admin_shutdown: backend terminated")         \
    X("57P02", true, GP_E_UNAVAILABLE, false, "crash_shutdown: server crashed")             \
    X("57P03", true, GP_E_UNAVAILABLE, false, "cannot_connect_now: server starting up")     \
    X("57014", false, GP_E_DATABASE, true, "query_canceled: statement_timeout")             \
    X("08", true, GP_E_UNAVAILABLE, false, "connection_exception class")                    \
    X("40001", true, GP_E_DATABASE, true, "serialization_failure")                          \
    X("40P01", true, GP_E_DATABASE, true, "deadlock_detected")                              \
    X("53", false, GP_E_UNAVAILABLE, false, "insufficient_resources class (too many conns)") \
    X("22", false, GP_E_DATA, true, "data_exception class: a value the caller sent")         \
    X("42P10", false, GP_E_DATABASE, true, "distinct_on must match the start of order_by")  \
    X("23", false, GP_E_CONSTRAINT, true, "integrity_constraint_violation class")            \
    X("42501", false, GP_E_PERMISSION, true, "insufficient_privilege: row security, grants") \
    X("P0001", false, GP_E_DATABASE, true, "raise_exception: a trigger's or policy's words")  \
    X(GP_SQLSTATE_NO_ROW, false, GP_E_NOT_SUPPORTED, true, "a nested insert's parent row was not written")

/* True if a read-only statement that failed with `sqlstate` may be sent again.
 * NULL (an error made by libpq itself, such as a lost connection) is not retryable
 * here: the pool decides that from the connection's state. */
bool gp_pgerror_retryable(const char *sqlstate);

/* The error kind to report; GP_E_DATABASE for anything not in the table. */
gp_error_kind_t gp_pgerror_kind(const char *sqlstate);

/* True if PostgreSQL's message for `sqlstate` may be shown to any client. */
bool gp_pgerror_shown(const char *sqlstate);

#endif
