/* server/config.h — every setting of graphpost, from one table: command-line flags,
 * environment variables, defaults and bounds. Parsing, validation, --help and the
 * effective-config log line all derive from that table (config.c).
 *
 * Precedence, lowest first: defaults < DATABASE_URL / GRAPHPOST_DATABASE_URL <
 * GRAPHPOST_DB_* < other GRAPHPOST_* variables < flags. The DB_* settings do not
 * replace the URL: they override its parts, because the connection is built as
 * libpq keyword/value arrays (the URL first, expanded, then the parts). A URL given
 * as a flag beats the DB_* variables: they then only fill in what it leaves out. */
#ifndef GP_CONFIG_H
#define GP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/arena.h"

#define GP_CONFIG_MAX_CONN_PARAMS 16
#define GP_CONFIG_MAX_REPLICAS 16

/* A read replica (--read-replica-url): its connection, as the writer's is built, and
 * where it is, for /health/database and the logs (no secrets). */
typedef struct gp_config_replica {
    const char *url;            /* as given */
    const char *address;        /* "host:port" from the URL (libpq's defaults where it names none) */
    const char *conn_keywords[GP_CONFIG_MAX_CONN_PARAMS + 1]; /* NULL-terminated, for PQconnectdbParams */
    const char *conn_values[GP_CONFIG_MAX_CONN_PARAMS + 1];   /* with expand_dbname = 1 */
} gp_config_replica_t;

/* A setting given several times (a repeated flag) or as a comma-separated variable. */
typedef struct gp_config_list {
    const char **items;
    int n;
} gp_config_list_t;

typedef struct gp_config {
    /* Settings, as given (strings point into argv/environ or the config's arena). */
    const char *database_url;   /* NULL: libpq defaults (PGHOST, ...) */
    gp_config_list_t read_replica_urls; /* every --read-replica-url, else GRAPHPOST_READ_REPLICA_URLS split
                                 * at commas */
    const char *db_host, *db_port, *db_user, *db_password, *db_name, *db_sslmode;
    const char *db_sslrootcert, *db_sslcert, *db_sslkey; /* file paths, handed to libpq as they are */
    const char *host;
    int port;
    int threads;
    const char *schema;         /* comma-separated list, as given */
    int pool_min;               /* connections kept open, all threads together */
    int pool_max;               /* connections at most, all threads together */
    int pool_acquire_timeout_ms;
    int pool_max_lifetime_ms;   /* a connection this old closes once idle; 0: never */
    int pool_max_idle_ms;       /* an idle connection beyond pool_min closes after this; 0: never */
    int pool_health_check_ms;   /* an idle connection unused this long is pinged; 0: never */
    int idle_in_transaction_timeout_ms; /* idle_in_transaction_session_timeout; 0: the server's */
    const char *application_name; /* NULL: the URL's, else "graphpost" */
    bool dev;                   /* database errors carry PostgreSQL's message and the SQL */
    int plan_cache;             /* entries of each worker's plan cache; 0 disables it */
    bool stringify_numeric;     /* bigint, numeric, double precision values as JSON strings */
    int max_rows;               /* rows of any list in a response at most; 0: no cap */
    int max_body;               /* bytes of a request body at most; more gets a 413 */
    int statement_timeout_ms;   /* PostgreSQL's statement_timeout for every pool connection; 0: none */
    const char *prepared_statements_name; /* on or off */
    bool prepared_statements;   /* off: unnamed statements only, no session state (PgBouncer transaction mode) */
    const char *listen_database_url; /* the LISTEN connection's own URL; NULL: database_url's connection */
    int max_response_bytes;     /* bytes of one response (a whole batch) at most; more is an error */
    int max_request_memory;     /* bytes one operation may allocate to be planned; more is an error */
    int send_timeout_ms;        /* a client that accepts none of its response this long is disconnected */
    int ws_init_timeout_ms;     /* a websocket without connection_init this long is closed 4408 */
    int ws_keepalive_ms;        /* websocket ping (and the legacy `ka`) interval */
    int live_coalesce_ms;       /* a live query refreshes this long after the first change */
    int live_poll_ms;           /* live queries over untriggered relations refresh this often */
    bool no_triggers;           /* install no NOTIFY triggers: every live query is polled */
    const char *log_level_name; /* debug, info, warn or error */
    int log_level;              /* the same as a gp_log_level_t */
    const char *log_format_name; /* text or json */
    bool log_json;
    int slow_query_ms;          /* a request slower than this is a warning; 0: never */
    int shutdown_timeout_ms;    /* after SIGTERM, running statements are cancelled after this */
    bool print_schema;
    bool help;

    /* Derived by gp_config_parse. */
    const char **schemas;       /* `schema` split at commas, trimmed; first is the default schema */
    int nschemas;
    const char *conn_keywords[GP_CONFIG_MAX_CONN_PARAMS + 1]; /* NULL-terminated, for PQconnectdbParams */
    const char *conn_values[GP_CONFIG_MAX_CONN_PARAMS + 1];   /* with expand_dbname = 1 */
    /* The LISTEN connection's: listen_database_url alone, or the pool's own when unset. */
    const char *listen_keywords[GP_CONFIG_MAX_CONN_PARAMS + 1];
    const char *listen_values[GP_CONFIG_MAX_CONN_PARAMS + 1];
    /* Whether live queries can hear NOTIFY: false when prepared statements are off (a
     * transaction pooler cannot carry LISTEN) and no listen_database_url is given. */
    bool listen;
    gp_config_replica_t *replicas; /* one per read_replica_urls item; the DB_* parts but host and port
                                 * fill in what a replica's URL leaves out (they never override it) */
    int nreplicas;

    gp_arena_t *arena;          /* owns what parsing allocated */
} gp_config_t;

typedef enum {
    GP_CONFIG_OK,
    GP_CONFIG_HELP,  /* --help was given: print gp_config_usage and exit 0 */
    GP_CONFIG_ERROR, /* `err` holds one line such as `--port: expected an integer from 1 to 65535, got "abc"` */
} gp_config_status_t;

/* Fills `cf` from `env` (NULL-terminated "NAME=value" strings, like environ) and the
 * arguments argv[1..argc). Empty environment variables count as unset. Always call
 * gp_config_free afterwards, whatever the status. */
gp_config_status_t gp_config_parse(gp_config_t *cf, int argc, char *const *argv, char *const *env, char *err,
                                   size_t errlen);
void gp_config_free(gp_config_t *cf);

/* Writes --help: every setting with its flag, environment variables, default and meaning. */
void gp_config_usage(FILE *out);

/* One line listing every effective setting, secrets masked (passwords, and every
 * password or sslpassword inside the database URL, in either of libpq's forms).
 * Allocated in the config's arena. */
const char *gp_config_describe(gp_config_t *cf);

/* Thread `i`'s share of `total` connections (pool_min or pool_max) split across the
 * threads, the first ones taking the remainder; the shares of pool_max are at least 1. */
int gp_config_pool_share(const gp_config_t *cf, int total, int i);

#endif
