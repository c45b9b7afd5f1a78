/* db/resolve.h — the database's host names looked up off the event loop.
 *
 * PQconnectStartParams resolves a host name with a blocking getaddrinfo unless
 * `hostaddr` is given, so a reconnect would stall every request of its loop for as
 * long as DNS takes. A resolver looks the names up on a thread of its own, then hands
 * the pool the configured parameters plus `host`, `hostaddr` and `port` lists in which
 * every address of every name is an entry of its own: libpq still tries them in turn,
 * still verifies TLS against and names in its messages the host, but never resolves.
 * Unix-socket directories, numeric addresses and a configured `hostaddr` need nothing. */
#ifndef GP_RESOLVE_H
#define GP_RESOLVE_H

#include <stdbool.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include "base/arena.h"

#define GP_RESOLVE_MAX_HOSTS 16 /* entries of a host list "h1,h2,..." that are resolved */
#define GP_RESOLVE_MAX_ADDRS 8  /* addresses kept per name */

/* The host list of a connection string and which of its entries are names. */
typedef struct gp_resolve_target {
    int nhosts;
    const char *hosts[GP_RESOLVE_MAX_HOSTS];
    const char *ports[GP_RESOLVE_MAX_HOSTS]; /* one per host, or NULL when one port serves all */
    bool is_name[GP_RESOLVE_MAX_HOSTS];
    int nnames; /* 0: libpq needs no lookup, pass the parameters as they are */
} gp_resolve_target_t;

/* The addresses found for one name (none if the lookup failed). */
typedef struct gp_resolve_addrs {
    int n;
    char addr[GP_RESOLVE_MAX_ADDRS][46]; /* INET6_ADDRSTRLEN */
} gp_resolve_addrs_t;

/* True for a host that libpq would look up: not empty, not a Unix-socket directory
 * ('/' or, for an abstract socket, '@'), not a numeric IPv4 or IPv6 address. */
bool gp_resolve_is_name(const char *host);

/* Works out the host and port lists libpq would use for keywords/values (expand_dbname
 * = 1: the first dbname may be a URL or key=value string; later keywords override it;
 * PGHOST/PGPORT/PGHOSTADDR fill what is unset). nnames stays 0 when a hostaddr or a
 * service is given (libpq decides), or the lists do not match (libpq reports it).
 * Strings live in `a`. */
void gp_resolve_target(const char *const *keywords, const char *const *values, gp_arena_t *a,
                       gp_resolve_target_t *t);

/* The parameters to connect with: keywords/values followed by host, hostaddr and, for
 * per-host ports, port lists built from the lookups (addrs[i] for t->hosts[i]). Names
 * with no address are left out. NULL with `error` set when no host is left. Arrays and
 * strings live in `a`. */
bool gp_resolve_params(const char *const *keywords, const char *const *values, const gp_resolve_target_t *t,
                       const gp_resolve_addrs_t *addrs, gp_arena_t *a, const char *const **out_keywords,
                       const char *const **out_values);

/* ---- asynchronous lookups in one event loop ------------------------------------ */

struct addrinfo;
/* The lookup the threads call: getaddrinfo, or a slow stand-in in the unit test that
 * shows the loop keeps running meanwhile. */
extern int (*gp_resolve_getaddrinfo)(const char *node, const char *service, const struct addrinfo *hints,
                                     struct addrinfo **res);

typedef struct gp_resolver gp_resolver_t;
typedef struct gp_resolve_wait gp_resolve_wait_t;

/* keywords/values are valid only during the call (PQconnectStartParams copies them);
 * exactly one of them and `error` is set. */
typedef void (*gp_resolve_cb)(gp_resolve_wait_t *w, const char *const *keywords, const char *const *values,
                              const char *error);

/* Embedded in the waiter (a connection); zeroed memory is a wait that is not waiting. */
struct gp_resolve_wait {
    h2o_linklist_t link;
    gp_resolve_cb cb;
};

/* keywords/values must outlive the resolver. Never blocks. */
gp_resolver_t *gp_resolver_create(h2o_loop_t *loop, const char *const *keywords, const char *const *values);

/* False when nothing needs a lookup: connect with the configured parameters, cb is not
 * called. True otherwise: cb is called exactly once, never before this returns, with
 * the result of a lookup started now or of the one already under way (waiters share
 * it), unless gp_resolve_cancel comes first. */
bool gp_resolver_start(gp_resolver_t *r, gp_resolve_wait_t *w, gp_resolve_cb cb);

/* The waiter no longer wants the result; a no-op when it is not waiting. */
void gp_resolve_cancel(gp_resolve_wait_t *w);

/* Frees the resolver without calling anyone back; waiters must not be used with it
 * again. A lookup still running finishes on its thread and is discarded. Call it while
 * the loop can still run once (its watcher's close completes there). */
void gp_resolver_destroy(gp_resolver_t *r);

#endif
