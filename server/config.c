/* server/config.c — the settings table and everything derived from it.
 *
 * Parsing happens in two passes. The first finds, for every setting, the one raw
 * value that wins (a flag beats the environment, which beats the default); the
 * second converts and checks only those winners, so a bad variable that a flag
 * overrides is harmless, and an error names the exact flag or variable to fix. */
#include "server/config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/log.h"
#include "base/strbuf.h"

#define THREADS_MAX 256
#define POOL_MAX_PER_THREAD_DEFAULT 8 /* a slow statement takes a connection of its own */

/* S_LIST: a flag that may be repeated (each adds an item; the flags replace the
 * variable) or a variable holding a comma-separated list; a gp_config_list_t. */
typedef enum { S_STRING, S_INT, S_BOOL, S_CHOICE, S_LIST } setting_kind_t;

typedef struct setting {
    const char *flag;           /* without the leading "--" */
    const char *env[2];         /* highest precedence first; NULL-padded */
    setting_kind_t kind;
    size_t offset;              /* of the field in gp_config_t */
    const char *def;            /* NULL: unset, or computed after parsing (see def_help) */
    const char *def_help;       /* how --help shows a computed or absent default */
    long min, max;              /* S_INT bounds */
    const char *const *choices; /* S_CHOICE values, NULL-terminated */
    bool secret;                /* masked in the effective-config line */
    const char *metavar;
    const char *help;
} setting_t;

static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const log_formats[] = {"text", "json", NULL};
static const char *const on_off[] = {"on", "off", NULL};
static const char *const sslmodes[] = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full", NULL};

#define OFF(field) offsetof(gp_config_t, field)

static const setting_t settings[] = {
    {"database-url", {"GRAPHPOST_DATABASE_URL", "DATABASE_URL"}, S_STRING, OFF(database_url), NULL,
     "libpq defaults (PGHOST, PGUSER, ...)", 0, 0, NULL, false, "URL",
     "PostgreSQL connection URL (postgres://user:pass@host:port/db?sslmode=...) or key=value string"},
    {"read-replica-url", {"GRAPHPOST_READ_REPLICA_URLS"}, S_LIST, OFF(read_replica_urls), NULL, "none", 0, 0, NULL,
     false, "URL",
     "a read replica (a streaming standby of the database): queries and live-query refreshes go to the least busy "
     "replica that is up, mutations to --database-url; repeat the flag for more; the variable is a comma-separated "
     "list, where a comma inside a URL is written %2C; GRAPHPOST_DB_* (but host and port) fill in what a replica's URL "
     "leaves out"},
    {"db-host", {"GRAPHPOST_DB_HOST"}, S_STRING, OFF(db_host), NULL, "from the URL", 0, 0, NULL, false, "HOST",
     "database host name, IP address or socket directory; overrides the URL's"},
    {"db-port", {"GRAPHPOST_DB_PORT"}, S_STRING, OFF(db_port), NULL, "from the URL", 0, 0, NULL, false, "PORT",
     "database port; overrides the URL's"},
    {"db-user", {"GRAPHPOST_DB_USER"}, S_STRING, OFF(db_user), NULL, "from the URL", 0, 0, NULL, false, "USER",
     "database user; overrides the URL's"},
    {"db-password", {"GRAPHPOST_DB_PASSWORD"}, S_STRING, OFF(db_password), NULL, "from the URL", 0, 0, NULL, true,
     "PASSWORD", "database password, any characters; overrides the URL's (prefer the variable: flags show in ps)"},
    {"db-name", {"GRAPHPOST_DB_NAME"}, S_STRING, OFF(db_name), NULL, "from the URL", 0, 0, NULL, false, "NAME",
     "database name; overrides the URL's"},
    {"db-sslmode", {"GRAPHPOST_DB_SSLMODE"}, S_CHOICE, OFF(db_sslmode), NULL, "from the URL", 0, 0, sslmodes, false,
     "MODE", "disable, allow, prefer, require, verify-ca or verify-full; overrides the URL's"},
    {"db-sslrootcert", {"GRAPHPOST_DB_SSLROOTCERT"}, S_STRING, OFF(db_sslrootcert), NULL, "from the URL", 0, 0, NULL,
     false, "FILE",
     "CA certificates the database's certificate must chain to (verify-ca, verify-full); overrides the URL's"},
    {"db-sslcert", {"GRAPHPOST_DB_SSLCERT"}, S_STRING, OFF(db_sslcert), NULL, "from the URL", 0, 0, NULL, false,
     "FILE", "client certificate, for servers that authenticate by certificate; overrides the URL's"},
    {"db-sslkey", {"GRAPHPOST_DB_SSLKEY"}, S_STRING, OFF(db_sslkey), NULL, "from the URL", 0, 0, NULL, false, "FILE",
     "the client certificate's private key (a path, not a secret itself; mode 0600); overrides the URL's"},
    {"host", {"GRAPHPOST_HOST"}, S_STRING, OFF(host), "127.0.0.1", NULL, 0, 0, NULL, false, "ADDR",
     "address to listen on (0.0.0.0 or :: for every interface)"},
    {"port", {"GRAPHPOST_PORT"}, S_INT, OFF(port), "8080", NULL, 1, 65535, NULL, false, "PORT",
     "HTTP port to listen on"},
    {"threads", {"GRAPHPOST_THREADS"}, S_INT, OFF(threads), NULL, "number of cores", 1, THREADS_MAX, NULL, false,
     "N", "worker threads, each with its own event loop and connections"},
    {"schema", {"GRAPHPOST_SCHEMA", "GRAPHPOST_DB_SCHEMA"}, S_STRING, OFF(schema), "public", NULL, 0, 0, NULL, false,
     "LIST", "comma-separated schemas to expose; the first one's tables get no name prefix"},
    {"pool-min", {"GRAPHPOST_POOL_MIN"}, S_INT, OFF(pool_min), NULL, "1 per thread", 0, 100000, NULL, false, "N",
     "database connections kept open and warm, all threads together (split as --pool-max is)"},
    {"pool-max", {"GRAPHPOST_POOL_MAX"}, S_INT, OFF(pool_max), NULL, "8 per thread", 1, 100000, NULL, false, "N",
     "database connections at most, all threads together (split evenly; pipelining lets one carry many requests)"},
    {"pool-acquire-timeout", {"GRAPHPOST_POOL_ACQUIRE_TIMEOUT"}, S_INT, OFF(pool_acquire_timeout_ms), "5000", NULL, 1,
     3600000, NULL, false, "MS", "milliseconds a request may wait for a connection before it gets a 503"},
    {"pool-max-lifetime", {"GRAPHPOST_POOL_MAX_LIFETIME"}, S_INT, OFF(pool_max_lifetime_ms), "3600000", NULL, 0,
     INT_MAX, NULL, false, "MS",
     "milliseconds a database connection lives (less up to a tenth, at random), then closes once idle (0: forever)"},
    {"pool-max-idle", {"GRAPHPOST_POOL_MAX_IDLE"}, S_INT, OFF(pool_max_idle_ms), "1800000", NULL, 0, INT_MAX, NULL,
     false, "MS", "milliseconds an idle connection beyond --pool-min stays open (0: forever)"},
    {"pool-health-check-period", {"GRAPHPOST_POOL_HEALTH_CHECK_PERIOD"}, S_INT, OFF(pool_health_check_ms), "60000",
     NULL, 0, INT_MAX, NULL, false, "MS",
     "milliseconds an idle connection goes unused before it is checked with SELECT 1 (0: never)"},
    {"idle-in-transaction-timeout", {"GRAPHPOST_IDLE_IN_TRANSACTION_TIMEOUT"}, S_INT,
     OFF(idle_in_transaction_timeout_ms), "60000", NULL, 0, INT_MAX, NULL, false, "MS",
     "PostgreSQL's idle_in_transaction_session_timeout on every connection (0: the server's own)"},
    {"application-name", {"GRAPHPOST_APPLICATION_NAME"}, S_STRING, OFF(application_name), NULL, "graphpost", 0, 0,
     NULL, false, "NAME", "application_name of the database connections (pg_stat_activity); overrides the URL's"},
    {"statement-timeout", {"GRAPHPOST_STATEMENT_TIMEOUT"}, S_INT, OFF(statement_timeout_ms), "30000", NULL, 0,
     86400000, NULL, false, "MS", "milliseconds one statement may run before PostgreSQL cancels it (0: no limit)"},
    {"prepared-statements", {"GRAPHPOST_PREPARED_STATEMENTS"}, S_CHOICE, OFF(prepared_statements_name), "on", NULL,
     0, 0, on_off, false, "on|off",
     "on: each connection prepares the statements it runs again and again; off (PgBouncer in transaction mode): "
     "unnamed statements only, and nothing kept in the session (each request sets its own statement_timeout)"},
    {"listen-database-url", {"GRAPHPOST_LISTEN_DATABASE_URL"}, S_STRING, OFF(listen_database_url), NULL,
     "the --database-url connection", 0, 0, NULL, false, "URL",
     "connection URL for the LISTEN connection of live queries, straight to PostgreSQL when --database-url goes "
     "through a transaction pooler (the GRAPHPOST_DB_* parts do not apply to it); with --prepared-statements off "
     "and no such URL, live queries are polled"},
    {"max-response-bytes", {"GRAPHPOST_MAX_RESPONSE_BYTES"}, S_INT, OFF(max_response_bytes), "67108864", NULL, 1024,
     1 << 30, NULL, false, "BYTES", "largest response sent (a batch counts as one); a larger one is a clean error"},
    {"max-request-memory", {"GRAPHPOST_MAX_REQUEST_MEMORY"}, S_INT, OFF(max_request_memory), "67108864", NULL,
     1 << 20, 1 << 30, NULL, false, "BYTES",
     "memory one operation may use to be parsed, validated and compiled; more is a clean error"},
    {"send-timeout", {"GRAPHPOST_SEND_TIMEOUT"}, S_INT, OFF(send_timeout_ms), "10000", NULL, 100, 3600000, NULL,
     false, "MS", "milliseconds a client may go without reading any of its response before it is disconnected"},
    {"max-body", {"GRAPHPOST_MAX_BODY"}, S_INT, OFF(max_body), "1048576", NULL, 1024, 1 << 30, NULL, false, "BYTES",
     "largest request body accepted; a larger one gets 413 with a GraphQL error (a larger websocket message: close "
     "1009)"},
    {"ws-init-timeout", {"GRAPHPOST_WS_INIT_TIMEOUT"}, S_INT, OFF(ws_init_timeout_ms), "3000", NULL, 1, 600000, NULL,
     false, "MS", "milliseconds a websocket may go without connection_init before it is closed (4408)"},
    {"ws-keepalive", {"GRAPHPOST_WS_KEEPALIVE"}, S_INT, OFF(ws_keepalive_ms), "12000", NULL, 100, 3600000, NULL,
     false, "MS",
     "milliseconds between websocket pings (and the legacy protocol's ka); a socket silent for two is dropped"},
    {"live-coalesce-ms", {"GRAPHPOST_LIVE_COALESCE_MS"}, S_INT, OFF(live_coalesce_ms), "20", NULL, 0, 60000, NULL,
     false, "MS", "milliseconds a live query waits after a change, so that the changes within refresh it once"},
    {"live-poll-ms", {"GRAPHPOST_LIVE_POLL_MS"}, S_INT, OFF(live_poll_ms), "1000", NULL, 10, 3600000, NULL, false,
     "MS", "milliseconds between refreshes of live queries over views and tables without graphpost's trigger"},
    {"no-triggers", {"GRAPHPOST_NO_TRIGGERS"}, S_BOOL, OFF(no_triggers), "false", NULL, 0, 0, NULL, false, NULL,
     "install no NOTIFY triggers (schema graphpost; a statement trigger on a table a live query reads): live "
     "queries are polled"},
    {"shutdown-timeout", {"GRAPHPOST_SHUTDOWN_TIMEOUT"}, S_INT, OFF(shutdown_timeout_ms), "10000", NULL, 0, INT_MAX,
     NULL, false, "MS",
     "on SIGTERM or SIGINT, milliseconds requests in flight get to finish before their statements are cancelled"},
    {"plan-cache", {"GRAPHPOST_PLAN_CACHE"}, S_INT, OFF(plan_cache), "512", NULL, 0, 1000000, NULL, false, "N",
     "operations each thread keeps parsed, validated and compiled (0: prepare every request anew)"},
    {"stringify-numeric-types", {"GRAPHPOST_STRINGIFY_NUMERIC_TYPES"}, S_BOOL, OFF(stringify_numeric), "false", NULL,
     0, 0, NULL, false, NULL,
     "send bigint, numeric and double precision values (and aggregates over them) as JSON strings, as Hasura does"},
    {"max-rows", {"GRAPHPOST_MAX_ROWS"}, S_INT, OFF(max_rows), "0", NULL, 0, 1000000000, NULL, false, "N",
     "rows of any list at most, at every depth (root lists, relationships, aggregate nodes; 0: no cap)"},
    {"dev", {"GRAPHPOST_DEV"}, S_BOOL, OFF(dev), "false", NULL, 0, 0, NULL, false, NULL,
     "development mode: database errors show PostgreSQL's own message and the SQL statement"},
    {"log-level", {"GRAPHPOST_LOG_LEVEL"}, S_CHOICE, OFF(log_level_name), "info", NULL, 0, 0, log_levels, false,
     "LEVEL", "debug, info, warn or error (info: a line per GraphQL request or websocket operation; debug adds every other reply)"},
    {"log-format", {"GRAPHPOST_LOG_FORMAT"}, S_CHOICE, OFF(log_format_name), "text", NULL, 0, 0, log_formats, false,
     "FORMAT", "text, or json: one JSON object per line (time, level, subsystem, msg and the request's fields)"},
    {"slow-query-ms", {"GRAPHPOST_SLOW_QUERY_MS"}, S_INT, OFF(slow_query_ms), "1000", NULL, 0, INT_MAX, NULL, false,
     "MS", "a request that takes longer is logged as a warning, whatever the log level (0: never)"},
    {"print-schema", {NULL}, S_BOOL, OFF(print_schema), NULL, NULL, 0, 0, NULL, false, NULL,
     "print the GraphQL schema (SDL) of the database and exit"},
    {"help", {NULL}, S_BOOL, OFF(help), NULL, NULL, 0, 0, NULL, false, NULL, "print this help and exit"},
};

#define NSETTINGS (sizeof settings / sizeof *settings)

typedef struct raw {
    const char *value;  /* NULL: not given; an S_LIST's flags: the last */
    const char **items; /* an S_LIST's flags, in the config's arena */
    int nitems;
    char source[64];    /* "--port" or "GRAPHPOST_PORT", for error messages */
    bool from_flag;
} raw_t;

static void fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const char *env_lookup(char *const *env, const char *name)
{
    size_t n = strlen(name);
    for (; env != NULL && *env != NULL; env++)
        if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
            return (*env)[n + 1] != '\0' ? *env + n + 1 : NULL;
    return NULL;
}

static const setting_t *find_flag(const char *name, size_t len)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strlen(settings[i].flag) == len && memcmp(settings[i].flag, name, len) == 0)
            return &settings[i];
    return NULL;
}

/* One more item of an S_LIST; GP_CONFIG_MAX_REPLICAS at most (the only list). */
static int list_add(gp_config_t *cf, raw_t *r, const char *item, const setting_t *s, char *err, size_t errlen)
{
    if (r->items == NULL)
        r->items = gp_arena_alloc(cf->arena, sizeof *r->items * GP_CONFIG_MAX_REPLICAS);
    if (r->nitems == GP_CONFIG_MAX_REPLICAS) {
        fail(err, errlen, "%s: at most %d %ss", r->source, GP_CONFIG_MAX_REPLICAS, s->flag);
        return -1;
    }
    r->items[r->nitems++] = item;
    return 0;
}

/* Pass one: the environment, then the flags on top. */
static int collect(gp_config_t *cf, raw_t *raw, int argc, char *const *argv, char *const *env, char *err,
                   size_t errlen)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        for (int e = 0; e < 2 && settings[i].env[e] != NULL && raw[i].value == NULL; e++)
            if ((raw[i].value = env_lookup(env, settings[i].env[e])) != NULL)
                snprintf(raw[i].source, sizeof raw[i].source, "%s", settings[i].env[e]);

    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (strcmp(arg, "-h") == 0)
            arg = "--help";
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            fail(err, errlen, "unexpected argument \"%s\" (see --help)", argv[a]);
            return -1;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t namelen = eq != NULL ? (size_t)(eq - name) : strlen(name);
        const setting_t *s = find_flag(name, namelen);
        if (s == NULL) {
            fail(err, errlen, "unknown option --%.*s (see --help)", (int)namelen, name);
            return -1;
        }
        raw_t *r = &raw[s - settings];
        snprintf(r->source, sizeof r->source, "--%s", s->flag);
        r->from_flag = true;
        if (s->kind == S_BOOL) {
            if (eq != NULL) {
                fail(err, errlen, "--%s: takes no value", s->flag);
                return -1;
            }
            r->value = "true";
        } else if (eq != NULL) {
            r->value = eq + 1;
        } else if (a + 1 < argc) {
            r->value = argv[++a];
        } else {
            r->value = "";
        }
        if (r->value[0] == '\0') {
            fail(err, errlen, "--%s: needs a value", s->flag);
            return -1;
        }
        if (s->kind == S_LIST && list_add(cf, r, r->value, s, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* The flags' items, or the variable split at commas (blank items refused). */
static int convert_list(gp_config_t *cf, const setting_t *s, raw_t *r, gp_config_list_t *list, char *err,
                        size_t errlen)
{
    if (!r->from_flag) {
        for (const char *p = r->value;;) {
            size_t len = strcspn(p, ",");
            const char *b = p, *e = p + len;
            while (b < e && (*b == ' ' || *b == '\t'))
                b++;
            while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            if (b == e) {
                fail(err, errlen, "%s: empty item in \"%s\"", r->source, r->value);
                return -1;
            }
            if (list_add(cf, r, gp_arena_strndup(cf->arena, b, (size_t)(e - b)), s, err, errlen) != 0)
                return -1;
            if (p[len] == '\0')
                break;
            p += len + 1;
        }
    }
    list->items = r->items;
    list->n = r->nitems;
    return 0;
}

static int convert(gp_config_t *cf, const setting_t *s, const raw_t *r, char *err, size_t errlen)
{
    void *field = (char *)cf + s->offset;
    switch (s->kind) {
    case S_STRING:
        *(const char **)field = r->value;
        return 0;
    case S_BOOL: /* a flag is "true"; a variable may say either */
        if (strcmp(r->value, "true") == 0 || strcmp(r->value, "1") == 0) {
            *(bool *)field = true;
        } else if (strcmp(r->value, "false") != 0 && strcmp(r->value, "0") != 0) {
            fail(err, errlen, "%s: expected true or false, got \"%s\"", r->source, r->value);
            return -1;
        }
        return 0;
    case S_INT: {
        char *end;
        errno = 0;
        long v = strtol(r->value, &end, 10);
        if (errno != 0 || end == r->value || *end != '\0' || v < s->min || v > s->max) {
            fail(err, errlen, "%s: expected an integer from %ld to %ld, got \"%s\"", r->source, s->min, s->max,
                 r->value);
            return -1;
        }
        *(int *)field = (int)v;
        return 0;
    }
    case S_LIST:
        return convert_list(cf, s, (raw_t *)r, (gp_config_list_t *)field, err, errlen);
    case S_CHOICE:
        for (const char *const *c = s->choices; *c != NULL; c++)
            if (strcmp(*c, r->value) == 0) {
                *(const char **)field = *c;
                return 0;
            }
        char list[160] = "";
        for (const char *const *c = s->choices; *c != NULL; c++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", c == s->choices ? "" : ", ", *c);
        fail(err, errlen, "%s: expected one of %s, got \"%s\"", r->source, list, r->value);
        return -1;
    }
    return -1;
}

static int split_schemas(gp_config_t *cf, const char *source, char *err, size_t errlen)
{
    int n = 1;
    for (const char *p = cf->schema; *p != '\0'; p++)
        n += *p == ',';
    cf->schemas = gp_arena_alloc(cf->arena, sizeof *cf->schemas * (size_t)n);
    cf->nschemas = 0;
    for (const char *p = cf->schema;;) {
        const char *end = strchr(p, ',');
        if (end == NULL)
            end = p + strlen(p);
        const char *b = p, *e = end;
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (b == e) {
            fail(err, errlen, "%s: empty schema name in \"%s\"", source, cf->schema);
            return -1;
        }
        cf->schemas[cf->nschemas++] = gp_arena_strndup(cf->arena, b, (size_t)(e - b));
        if (*end == '\0')
            return 0;
        p = end + 1;
    }
}

static int check_url(const char *url, const char *source, char *err, size_t errlen)
{
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &msg);
    if (opts != NULL) {
        PQconninfoFree(opts);
        return 0;
    }
    char *nl = msg != NULL ? strchr(msg, '\n') : NULL;
    if (nl != NULL)
        *nl = '\0';
    fail(err, errlen, "%s: not a valid connection string: %s", source, msg != NULL ? msg : "out of memory");
    PQfreemem(msg);
    return -1;
}

static void conn_add(const char **keywords, const char **values, int *n, const char *keyword, const char *value)
{
    if (value == NULL || *n >= GP_CONFIG_MAX_CONN_PARAMS)
        return;
    keywords[*n] = keyword;
    values[*n] = value;
    (*n)++;
}

static void conn_param(gp_config_t *cf, int *n, const char *keyword, const char *value)
{
    conn_add(cf->conn_keywords, cf->conn_values, n, keyword, value);
}

/* The DB_* parts, in the order they are applied after the URL. */
static const struct {
    const char *flag, *keyword;
    size_t offset;
} conn_parts[] = {
    {"db-host", "host", OFF(db_host)},         {"db-port", "port", OFF(db_port)},
    {"db-user", "user", OFF(db_user)},         {"db-password", "password", OFF(db_password)},
    {"db-name", "dbname", OFF(db_name)},       {"db-sslmode", "sslmode", OFF(db_sslmode)},
    {"db-sslrootcert", "sslrootcert", OFF(db_sslrootcert)},
    {"db-sslcert", "sslcert", OFF(db_sslcert)},
    {"db-sslkey", "sslkey", OFF(db_sslkey)},
};

/* conn_param drops what does not fit: the four fixed keywords (fallback_application_name,
 * connect_timeout, the URL as dbname, application_name) and every part must. */
_Static_assert(4 + sizeof conn_parts / sizeof *conn_parts <= GP_CONFIG_MAX_CONN_PARAMS,
               "GP_CONFIG_MAX_CONN_PARAMS is too small for the DB_* parts");

/* True when the connection string `url` sets `keyword` itself. */
static bool url_sets(const char *url, const char *keyword)
{
    if (url == NULL)
        return false;
    PQconninfoOption *opts = PQconninfoParse(url, NULL);
    bool set = false;
    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++)
        if (strcmp(o->keyword, keyword) == 0)
            set = o->val != NULL && o->val[0] != '\0';
    PQconninfoFree(opts);
    return set;
}

/* libpq applies keywords in order, the last value winning, and expands only the
 * first dbname as a connection string: the URL goes first, the parts that override
 * it after. An absent URL becomes "postgresql://", which expands to nothing, so a
 * later dbname override is never itself taken for a connection string.
 * A part given only as a variable does not override a URL given as a flag (flags
 * win over the environment); it still fills in what that URL leaves out, such as a
 * password kept out of `ps`. */
static void build_conn_params(gp_config_t *cf, const raw_t *raw)
{
    int n = 0;
    bool url_from_flag = raw[find_flag("database-url", 12) - settings].from_flag;
    conn_param(cf, &n, "fallback_application_name", "graphpost");
    conn_param(cf, &n, "connect_timeout", "10");
    conn_param(cf, &n, "dbname", cf->database_url != NULL ? cf->database_url : "postgresql://");
    conn_param(cf, &n, "application_name", cf->application_name);
    for (size_t i = 0; i < sizeof conn_parts / sizeof *conn_parts; i++) {
        const setting_t *s = find_flag(conn_parts[i].flag, strlen(conn_parts[i].flag));
        bool overridden =
            url_from_flag && !raw[s - settings].from_flag && url_sets(cf->database_url, conn_parts[i].keyword);
        if (!overridden)
            conn_param(cf, &n, conn_parts[i].keyword, *(const char **)((char *)cf + conn_parts[i].offset));
    }
    cf->conn_keywords[n] = NULL;
    cf->conn_values[n] = NULL;
}

/* The LISTEN connection's parameters: its own URL as given (with libpq's defaults for
 * what it leaves out), or else a copy of the pool's. */
static void build_listen_params(gp_config_t *cf)
{
    if (cf->listen_database_url == NULL) {
        memcpy(cf->listen_keywords, cf->conn_keywords, sizeof cf->listen_keywords);
        memcpy(cf->listen_values, cf->conn_values, sizeof cf->listen_values);
        return;
    }
    const char *k[] = {"fallback_application_name", "connect_timeout", "dbname", NULL};
    const char *v[] = {"graphpost", "10", cf->listen_database_url, NULL};
    memcpy(cf->listen_keywords, k, sizeof k);
    memcpy(cf->listen_values, v, sizeof v);
}

/* The value the connection string `url` gives `keyword`, or NULL; in the arena. */
static const char *url_value(gp_arena_t *a, const char *url, const char *keyword)
{
    PQconninfoOption *opts = PQconninfoParse(url, NULL);
    const char *v = NULL;
    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++)
        if (strcmp(o->keyword, keyword) == 0 && o->val != NULL && o->val[0] != '\0')
            v = gp_arena_strdup(a, o->val);
    PQconninfoFree(opts);
    return v;
}

/* A replica connects as the writer does (the same fixed keywords and application_name),
 * but its own URL says where: GRAPHPOST_DB_HOST and _PORT name the writer and never
 * apply, and the other parts (user, password, dbname, TLS) only fill in what the
 * replica's URL leaves out, so that one secret or CA file serves every server while a
 * replica may still differ. */
static void build_replica(gp_config_t *cf, gp_config_replica_t *r, const char *url)
{
    int n = 0;
    r->url = url;
    conn_add(r->conn_keywords, r->conn_values, &n, "fallback_application_name", "graphpost");
    conn_add(r->conn_keywords, r->conn_values, &n, "connect_timeout", "10");
    conn_add(r->conn_keywords, r->conn_values, &n, "dbname", url);
    conn_add(r->conn_keywords, r->conn_values, &n, "application_name", cf->application_name);
    for (size_t i = 0; i < sizeof conn_parts / sizeof *conn_parts; i++) {
        const char *kw = conn_parts[i].keyword;
        if (strcmp(kw, "host") != 0 && strcmp(kw, "port") != 0 && !url_sets(url, kw))
            conn_add(r->conn_keywords, r->conn_values, &n, kw, *(const char **)((char *)cf + conn_parts[i].offset));
    }
    r->conn_keywords[n] = NULL;
    r->conn_values[n] = NULL;
    const char *host = url_value(cf->arena, url, "host"), *port = url_value(cf->arena, url, "port");
    if (host == NULL)
        host = url_value(cf->arena, url, "hostaddr");
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, cf->arena, 512);
    gp_strbuf_printf(&sb, "%s:%s", host != NULL ? host : "localhost", port != NULL ? port : "5432");
    r->address = sb.error ? "(too long)" : sb.data;
}

static int build_replicas(gp_config_t *cf, const char *source, char *err, size_t errlen)
{
    cf->nreplicas = cf->read_replica_urls.n;
    if (cf->nreplicas == 0)
        return 0;
    cf->replicas = gp_arena_calloc(cf->arena, sizeof *cf->replicas * (size_t)cf->nreplicas);
    for (int i = 0; i < cf->nreplicas; i++) {
        const char *url = cf->read_replica_urls.items[i];
        if (check_url(url, source, err, errlen) != 0)
            return -1;
        build_replica(cf, &cf->replicas[i], url);
    }
    return 0;
}

static int default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > THREADS_MAX ? THREADS_MAX : (int)n;
}

static int check_pool(gp_config_t *cf, const raw_t *raw_min, const raw_t *raw_max, char *err, size_t errlen)
{
    if (raw_max->value == NULL)
        cf->pool_max = POOL_MAX_PER_THREAD_DEFAULT * cf->threads;
    if (raw_min->value == NULL)
        cf->pool_min = cf->threads < cf->pool_max ? cf->threads : cf->pool_max;
    if (cf->pool_max < cf->threads) {
        fail(err, errlen, "%s: %d is fewer than the %d threads; every thread needs a connection", raw_max->source,
             cf->pool_max, cf->threads);
        return -1;
    }
    if (cf->pool_min > cf->pool_max) {
        fail(err, errlen, "%s: %d is more than --pool-max %d", raw_min->source, cf->pool_min, cf->pool_max);
        return -1;
    }
    return 0;
}

gp_config_status_t gp_config_parse(gp_config_t *cf, int argc, char *const *argv, char *const *env, char *err,
                                   size_t errlen)
{
    raw_t raw[NSETTINGS];
    memset(cf, 0, sizeof *cf);
    memset(raw, 0, sizeof raw);
    cf->arena = gp_arena_new(1024);
    err[0] = '\0';

    if (collect(cf, raw, argc, argv, env, err, errlen) != 0)
        return GP_CONFIG_ERROR;
#define RAW(name) (&raw[find_flag(name, strlen(name)) - settings])
    if (RAW("help")->value != NULL) { /* even when other settings are bad */
        cf->help = true;
        return GP_CONFIG_HELP;
    }
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting_t *s = &settings[i];
        if (raw[i].value == NULL && s->def != NULL) {
            raw[i].value = s->def;
            snprintf(raw[i].source, sizeof raw[i].source, "--%s default", s->flag);
        }
        if (raw[i].value != NULL && convert(cf, s, &raw[i], err, errlen) != 0)
            return GP_CONFIG_ERROR;
    }
    if (RAW("threads")->value == NULL)
        cf->threads = default_threads();
    if (check_pool(cf, RAW("pool-min"), RAW("pool-max"), err, errlen) != 0)
        return GP_CONFIG_ERROR;
    if (split_schemas(cf, RAW("schema")->source, err, errlen) != 0)
        return GP_CONFIG_ERROR;
    if (cf->database_url != NULL && check_url(cf->database_url, RAW("database-url")->source, err, errlen) != 0)
        return GP_CONFIG_ERROR;
    if (cf->listen_database_url != NULL &&
        check_url(cf->listen_database_url, RAW("listen-database-url")->source, err, errlen) != 0)
        return GP_CONFIG_ERROR;
    cf->log_level = gp_log_parse_level(cf->log_level_name);
    cf->log_json = strcmp(cf->log_format_name, "json") == 0;
    cf->prepared_statements = strcmp(cf->prepared_statements_name, "on") == 0;
    cf->listen = cf->prepared_statements || cf->listen_database_url != NULL;
    build_conn_params(cf, raw);
    build_listen_params(cf);
    if (build_replicas(cf, RAW("read-replica-url")->source, err, errlen) != 0)
        return GP_CONFIG_ERROR;
#undef RAW
    return GP_CONFIG_OK;
}

void gp_config_free(gp_config_t *cf)
{
    if (cf->arena != NULL)
        gp_arena_free(cf->arena);
    cf->arena = NULL;
}

int gp_config_pool_share(const gp_config_t *cf, int total, int i)
{
    return total / cf->threads + (i < total % cf->threads ? 1 : 0);
}

void gp_config_usage(FILE *out)
{
    fputs("Usage: graphpost [OPTION]...\n"
          "Serves a GraphQL API (POST/GET /graphql) for the tables and views of a PostgreSQL database.\n"
          "\n"
          "Every option may be given as --name VALUE or --name=VALUE, or through its environment\n"
          "variable. Precedence, lowest first: defaults < DATABASE_URL/GRAPHPOST_DATABASE_URL <\n"
          "GRAPHPOST_DB_* < other GRAPHPOST_* variables < flags.\n"
          "\n",
          out);
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting_t *s = &settings[i];
        fprintf(out, "  --%s%s%s\n      %s\n", s->flag, s->metavar != NULL ? " " : "",
                s->metavar != NULL ? s->metavar : "", s->help);
        if (s->env[0] != NULL) {
            fprintf(out, "      env: %s", s->env[0]);
            if (s->env[1] != NULL)
                fprintf(out, ", else %s", s->env[1]);
            fputs(";", out);
        } else {
            fputs("     ", out);
        }
        if (s->def != NULL || s->def_help != NULL)
            fprintf(out, " default: %s", s->def != NULL ? s->def : s->def_help);
        if (s->kind == S_LIST)
            fputs(" (repeatable)", out);
        else if (s->kind == S_BOOL)
            fputs(" (no value)", out);
        fputc('\n', out);
    }
    fputs("\nExit status: 0 on success or after SIGINT/SIGTERM, 1 on a runtime failure, 2 on a bad setting.\n",
          out);
}

/* password, sslpassword: every libpq keyword that holds a secret ends so. */
static bool secret_keyword(const char *k, size_t n)
{
    return n >= 8 && memcmp(k + n - 8, "password", 8) == 0;
}

static int hexdigit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A URL query keyword, %-decoded as libpq decodes it (pass%77ord is password). */
static bool secret_url_keyword(const char *k, size_t n)
{
    char dec[64];
    size_t m = 0;
    for (size_t i = 0; i < n && m < sizeof dec; i++) {
        int hi, lo;
        if (k[i] == '%' && i + 2 < n && (hi = hexdigit(k[i + 1])) >= 0 && (lo = hexdigit(k[i + 2])) >= 0) {
            dec[m++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            dec[m++] = k[i];
        }
    }
    return secret_keyword(dec, m);
}

/* postgresql://user:PASSWORD@host/db?a=b&sslpassword=X: the password between ':' and
 * the last '@' of the authority, and the value of every secret query parameter up to
 * the next '&' (libpq splits the query at '&' only). */
static void mask_url(gp_strbuf_t *sb, const char *s, const char *scheme)
{
    const char *auth = scheme + 3, *end = auth + strcspn(auth, "/?");
    const char *at = NULL;
    for (const char *p = auth; p < end; p++)
        if (*p == '@')
            at = p;
    const char *colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon != NULL) {
        gp_strbuf_append(sb, s, (size_t)(colon - s));
        gp_strbuf_lit(sb, ":***");
        s = at;
    }
    const char *q = strchr(s, '?');
    if (q == NULL) {
        gp_strbuf_puts(sb, s);
        return;
    }
    gp_strbuf_append(sb, s, (size_t)(q + 1 - s));
    for (const char *p = q + 1; *p != '\0';) {
        size_t len = strcspn(p, "&"), klen = strcspn(p, "=&");
        if (klen < len && secret_url_keyword(p, klen)) {
            gp_strbuf_append(sb, p, klen);
            gp_strbuf_lit(sb, "=***");
        } else {
            gp_strbuf_append(sb, p, len);
        }
        p += len;
        if (*p == '&')
            gp_strbuf_putc(sb, *p++);
    }
}

static bool space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The end of a key=value value, read as libpq's conninfo_parse reads it: quoted with
 * '...' or bare up to white space, a backslash escaping the next character in both
 * (so `password=a\ b` is "a b", one value). */
static const char *conninfo_value_end(const char *p)
{
    bool quoted = *p == '\'';
    for (p += quoted; *p != '\0'; p++) {
        if (*p == '\\' && p[1] != '\0')
            p++;
        else if (quoted ? *p == '\'' : space(*p))
            return p + quoted;
    }
    return p;
}

/* host=db password='a b' sslpassword=x\ y: every secret value becomes ***; all else
 * is copied as written. */
static void mask_keyword_value(gp_strbuf_t *sb, const char *s)
{
    for (const char *p = s; *p != '\0';) {
        if (space(*p)) {
            gp_strbuf_putc(sb, *p++);
            continue;
        }
        const char *k = p;
        while (*p != '\0' && *p != '=' && !space(*p))
            p++;
        size_t klen = (size_t)(p - k);
        while (space(*p))
            p++;
        if (*p != '=') { /* not a pair (libpq refuses it): show nothing more */
            gp_strbuf_lit(sb, "***");
            return;
        }
        for (p++; space(*p);)
            p++;
        const char *v = p;
        p = conninfo_value_end(p);
        gp_strbuf_append(sb, k, klen);
        gp_strbuf_putc(sb, '=');
        if (secret_keyword(k, klen))
            gp_strbuf_lit(sb, "***");
        else
            gp_strbuf_append(sb, v, (size_t)(p - v));
    }
}

/* The connection string with every secret replaced by ***, in either of libpq's
 * two forms (which libpq tells apart by the URI prefix). */
static void mask_conninfo(gp_strbuf_t *sb, const char *s)
{
    const char *scheme = strstr(s, "://");
    bool uri = scheme != NULL && (strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0);
    if (uri)
        mask_url(sb, s, scheme);
    else
        mask_keyword_value(sb, s);
}

const char *gp_config_describe(gp_config_t *cf)
{
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, cf->arena, 4096);
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting_t *s = &settings[i];
        const void *field = (const char *)cf + s->offset;
        if (s->kind == S_BOOL)
            continue;
        if (s->kind == S_LIST) { /* the only list holds URLs */
            const gp_config_list_t *list = field;
            for (int k = 0; k < list->n; k++) {
                gp_strbuf_printf(&sb, "%s%s=", sb.len ? " " : "", s->flag);
                mask_conninfo(&sb, list->items[k]);
            }
            continue;
        }
        if (s->kind == S_INT) {
            gp_strbuf_printf(&sb, "%s%s=%d", sb.len ? " " : "", s->flag, *(const int *)field);
            continue;
        }
        const char *v = *(const char *const *)field;
        if (v == NULL)
            continue;
        gp_strbuf_printf(&sb, "%s%s=", sb.len ? " " : "", s->flag);
        if (s->secret)
            gp_strbuf_lit(&sb, "***");
        else if (s->offset == OFF(database_url) || s->offset == OFF(listen_database_url))
            mask_conninfo(&sb, v);
        else
            gp_strbuf_puts(&sb, v);
    }
    return sb.error ? "(too long to show)" : sb.data;
}
