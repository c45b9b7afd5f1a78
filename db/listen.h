/* db/listen.h — the process's one LISTEN connection, on a thread of its own.
 *
 * A listener holds one blocking libpq connection that runs LISTEN on one channel and
 * hands every notification's payload to a callback. It reconnects by itself, and
 * because notifications sent while it was away are lost, it says so after every
 * (re)connect with a NULL payload: the caller must then assume everything changed. */
#ifndef GP_LISTEN_H
#define GP_LISTEN_H

#include <stdbool.h>

/* payload: the NOTIFY payload (valid during the call only); NULL after a (re)connect,
 * when notifications may have been lost: everything may have changed. Called on the
 * listener's thread. */
typedef void (*gp_listen_cb)(void *data, const char *payload);

/* The listener's application_name, whatever the connection string says: its backend is
 * told apart from the pool's in pg_stat_activity. */
#define GP_LISTEN_APPLICATION_NAME "graphpost listener"
typedef struct gp_listen gp_listen_t;

/* Starts the thread: connects with PQconnectStartParams(keywords, values, expand_dbname = 1)
 * (both NULL-terminated lists are copied), runs LISTEN "<channel>", then hands each
 * notification to cb. On a lost or failed connection it reconnects with exponential
 * backoff (100 ms doubling to 5 s), logging a warning once per outage and an info line
 * when back; after every successful (re)connect, including the first, it calls
 * cb(data, NULL). A connection silent for 30 s gets a `SELECT 1`; one that does not
 * answer within 30 s more counts as lost. Never blocks the caller.
 * NULL when the thread could not be started. */
gp_listen_t *gp_listen_start(const char *const *keywords, const char *const *values, const char *channel,
                             gp_listen_cb cb, void *data);

/* The trigger stays silent for a table no listening backend watches (db/triggers.h):
 * from any thread, starts (`on`) or stops watching `table` (its quoted SQL name); the
 * calls are counted, so a table stays watched until each `on` had its `off`. The
 * thread records it in graphpost.watched under its backend's pid (giving the table its
 * trigger the first time), again after each reconnect, and once it added tables calls
 * cb(data, NULL): a change just before was not heard. A failure (a table locked past
 * lock_timeout) is logged and tried again a second later. */
void gp_listen_watch(gp_listen_t *l, const char *table, bool on);

/* Wakes the thread at once (also from a backoff sleep or a connect), joins it, closes
 * the connection and frees everything. cb is not called after this returns. NULL is a no-op. */
void gp_listen_stop(gp_listen_t *l);

#endif
