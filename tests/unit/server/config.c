/* Unit tests for server/config: precedence, DB_* overriding URL parts, bad values, --help. */
#include <stdlib.h>

#include <libpq-fe.h>

#include "server/config.h"
#include "tests/unit/test.h"

#define ARGS(...) (char *const[]){"graphpost", __VA_ARGS__}
#define NARGS(...) ((int)(sizeof(char *const[]){"graphpost", __VA_ARGS__} / sizeof(char *)))
#define ENV(...) (char *const[]){__VA_ARGS__, NULL}

static char err[256];

static gp_config_status_t parse(gp_config_t *cf, int argc, char *const *argv, char *const *env)
{
    return gp_config_parse(cf, argc, argv, env, err, sizeof err);
}

/* The value libpq will see for `keyword`: the last one wins, as in libpq. */
static const char *conn_value(const gp_config_t *cf, const char *keyword)
{
    const char *v = NULL;
    for (int i = 0; cf->conn_keywords[i] != NULL; i++)
        if (strcmp(cf->conn_keywords[i], keyword) == 0)
            v = cf->conn_values[i];
    return v;
}

static void test_defaults(void)
{
    gp_config_t cf;
    char *const argv[] = {"graphpost"};
    CHECK_INT(parse(&cf, 1, argv, ENV("HOME=/root")), GP_CONFIG_OK);
    CHECK_STR(cf.host, "127.0.0.1");
    CHECK_INT(cf.port, 8080);
    CHECK(cf.threads >= 1);
    CHECK_INT(cf.pool_min, cf.threads);
    CHECK_INT(cf.pool_max, 8 * cf.threads);
    CHECK_INT(cf.pool_max_lifetime_ms, 3600000);
    CHECK_INT(cf.pool_max_idle_ms, 1800000);
    CHECK_INT(cf.pool_health_check_ms, 60000);
    CHECK_INT(cf.idle_in_transaction_timeout_ms, 60000);
    CHECK(cf.application_name == NULL);
    CHECK_INT(cf.pool_acquire_timeout_ms, 5000);
    CHECK_INT(cf.max_body, 1 << 20);
    CHECK_STR(cf.log_level_name, "info");
    CHECK_INT(cf.nschemas, 1);
    CHECK_STR(cf.schemas[0], "public");
    CHECK(cf.database_url == NULL);
    CHECK_STR(cf.conn_keywords[2], "dbname");
    CHECK_STR(cf.conn_values[2], "postgresql://");
    CHECK(!cf.print_schema);
    gp_config_free(&cf);
}

static void test_flags_beat_env(void)
{
    gp_config_t cf;
    CHECK_INT(parse(&cf, NARGS("--port", "18080", "--host=0.0.0.0"), ARGS("--port", "18080", "--host=0.0.0.0"),
                    ENV("GRAPHPOST_PORT=9000", "GRAPHPOST_HOST=10.0.0.1", "GRAPHPOST_THREADS=3")),
              GP_CONFIG_OK);
    CHECK_INT(cf.port, 18080);
    CHECK_STR(cf.host, "0.0.0.0");
    CHECK_INT(cf.threads, 3);
    CHECK_INT(cf.pool_max, 24);
    gp_config_free(&cf);
}

static void test_env_beats_default(void)
{
    gp_config_t cf;
    char *const argv[] = {"graphpost"};
    CHECK_INT(parse(&cf, 1, argv, ENV("GRAPHPOST_PORT=9000", "GRAPHPOST_LOG_LEVEL=debug", "GRAPHPOST_HOST=")),
              GP_CONFIG_OK);
    CHECK_INT(cf.port, 9000);
    CHECK_STR(cf.log_level_name, "debug");
    CHECK_INT(cf.log_level, 0);
    CHECK_STR(cf.host, "127.0.0.1"); /* empty counts as unset */
    gp_config_free(&cf);
}

static void test_graphpost_url_beats_database_url(void)
{
    gp_config_t cf;
    char *const argv[] = {"graphpost"};
    CHECK_INT(parse(&cf, 1, argv, ENV("DATABASE_URL=postgres://a@h1/x", "GRAPHPOST_DATABASE_URL=postgres://b@h2/y")),
              GP_CONFIG_OK);
    CHECK_STR(cf.database_url, "postgres://b@h2/y");
    gp_config_free(&cf);
    CHECK_INT(parse(&cf, 1, argv, ENV("DATABASE_URL=postgres://a@h1/x")), GP_CONFIG_OK);
    CHECK_STR(cf.database_url, "postgres://a@h1/x");
    gp_config_free(&cf);
}

static void test_db_parts_override_url(void)
{
    gp_config_t cf;
    char *const argv[] = {"graphpost", "--db-name", "blog"};
    CHECK_INT(parse(&cf, 3, argv,
                    ENV("DATABASE_URL=postgres://app:secret@db:5432/other?sslmode=require",
                        "GRAPHPOST_DB_HOST=127.0.0.1", "GRAPHPOST_DB_PORT=55433", "GRAPHPOST_DB_USER=postgres",
                        "GRAPHPOST_DB_PASSWORD=p@ss w:rd/'\"", "GRAPHPOST_DB_NAME=ignored",
                        "GRAPHPOST_DB_SSLMODE=disable", "GRAPHPOST_DB_SCHEMA=app, audit")),
              GP_CONFIG_OK);
    /* The URL comes first and is expanded; the parts come after it, so they win. */
    int url_at = -1, host_at = -1;
    for (int i = 0; cf.conn_keywords[i] != NULL; i++) {
        if (strcmp(cf.conn_keywords[i], "dbname") == 0 && url_at < 0)
            url_at = i;
        if (strcmp(cf.conn_keywords[i], "host") == 0)
            host_at = i;
    }
    CHECK_STR(cf.conn_values[url_at], "postgres://app:secret@db:5432/other?sslmode=require");
    CHECK(host_at > url_at);
    CHECK_STR(conn_value(&cf, "host"), "127.0.0.1");
    CHECK_STR(conn_value(&cf, "port"), "55433");
    CHECK_STR(conn_value(&cf, "user"), "postgres");
    CHECK_STR(conn_value(&cf, "password"), "p@ss w:rd/'\"");
    CHECK_STR(conn_value(&cf, "dbname"), "blog"); /* the flag beats GRAPHPOST_DB_NAME */
    CHECK_STR(conn_value(&cf, "sslmode"), "disable");
    CHECK_INT(cf.nschemas, 2);
    CHECK_STR(cf.schemas[0], "app");
    CHECK_STR(cf.schemas[1], "audit");
    gp_config_free(&cf);
}

static void test_schema_beats_db_schema(void)
{
    gp_config_t cf;
    char *const argv[] = {"graphpost"};
    CHECK_INT(parse(&cf, 1, argv, ENV("GRAPHPOST_DB_SCHEMA=a", "GRAPHPOST_SCHEMA=b")), GP_CONFIG_OK);
    CHECK_STR(cf.schema, "b");
    gp_config_free(&cf);
}

static void expect_error(int argc, char *const *argv, char *const *env, const char *message)
{
    gp_config_t cf;
    CHECK_INT(parse(&cf, argc, argv, env), GP_CONFIG_ERROR);
    CHECK_STR(err, message);
    gp_config_free(&cf);
}

static void test_bad_values(void)
{
    char *const *noenv = ENV("HOME=/");
    expect_error(NARGS("--port", "abc"), ARGS("--port", "abc"), noenv,
                 "--port: expected an integer from 1 to 65535, got \"abc\"");
    expect_error(NARGS("--port=0"), ARGS("--port=0"), noenv, "--port: expected an integer from 1 to 65535, got \"0\"");
    expect_error(NARGS("--port=80x"), ARGS("--port=80x"), noenv,
                 "--port: expected an integer from 1 to 65535, got \"80x\"");
    expect_error(1, ARGS(NULL), ENV("GRAPHPOST_PORT=99999"),
                 "GRAPHPOST_PORT: expected an integer from 1 to 65535, got \"99999\"");
    expect_error(NARGS("--bogus"), ARGS("--bogus"), noenv, "unknown option --bogus (see --help)");
    expect_error(NARGS("--bogus=1"), ARGS("--bogus=1"), noenv, "unknown option --bogus (see --help)");
    expect_error(NARGS("extra"), ARGS("extra"), noenv, "unexpected argument \"extra\" (see --help)");
    expect_error(NARGS("--port"), ARGS("--port"), noenv, "--port: needs a value");
    expect_error(NARGS("--host="), ARGS("--host="), noenv, "--host: needs a value");
    expect_error(NARGS("--print-schema=yes"), ARGS("--print-schema=yes"), noenv, "--print-schema: takes no value");
    expect_error(NARGS("--log-level", "loud"), ARGS("--log-level", "loud"), noenv,
                 "--log-level: expected one of debug, info, warn, error, got \"loud\"");
    expect_error(NARGS("--schema", "a,,b"), ARGS("--schema", "a,,b"), noenv,
                 "--schema: empty schema name in \"a,,b\"");
    expect_error(NARGS("--threads=4", "--pool-max=3"), ARGS("--threads=4", "--pool-max=3"), noenv,
                 "--pool-max: 3 is fewer than the 4 threads; every thread needs a connection");
    expect_error(NARGS("--threads=2", "--pool-max=5", "--pool-min=6"), ARGS("--threads=2", "--pool-max=5", "--pool-min=6"),
                 noenv, "--pool-min: 6 is more than --pool-max 5");
    expect_error(1, ARGS(NULL), ENV("DATABASE_URL=postgres://h/db?bogus=1"),
                 "DATABASE_URL: not a valid connection string: invalid URI query parameter: \"bogus\"");
}

static void test_flag_value_forms(void)
{
    gp_config_t cf;
    CHECK_INT(parse(&cf, NARGS("--database-url", "postgres://h/db?sslmode=require", "--print-schema", "--schema=a"),
                    ARGS("--database-url", "postgres://h/db?sslmode=require", "--print-schema", "--schema=a"),
                    ENV("X=1")),
              GP_CONFIG_OK);
    CHECK_STR(cf.database_url, "postgres://h/db?sslmode=require");
    CHECK(cf.print_schema);
    CHECK_STR(cf.schemas[0], "a");
    gp_config_free(&cf);
    CHECK_INT(parse(&cf, NARGS("--database-url=postgres://u:p=q@h/db"), ARGS("--database-url=postgres://u:p=q@h/db"),
                    ENV("X=1")),
              GP_CONFIG_OK);
    CHECK_STR(cf.database_url, "postgres://u:p=q@h/db"); /* split at the first '=' only */
    gp_config_free(&cf);
}

static void test_bad_env_overridden_by_flag_is_harmless(void)
{
    gp_config_t cf;
    CHECK_INT(parse(&cf, NARGS("--port=18080"), ARGS("--port=18080"), ENV("GRAPHPOST_PORT=abc")), GP_CONFIG_OK);
    CHECK_INT(cf.port, 18080);
    gp_config_free(&cf);
}

static void test_pool_split(void)
{
    gp_config_t cf;
    CHECK_INT(parse(&cf, NARGS("--threads", "3", "--pool-max", "7"), ARGS("--threads", "3", "--pool-max", "7"),
                    ENV("X=1")),
              GP_CONFIG_OK);
    CHECK_INT(gp_config_pool_share(&cf, cf.pool_max, 0), 3);
    CHECK_INT(gp_config_pool_share(&cf, cf.pool_max, 1), 2);
    CHECK_INT(gp_config_pool_share(&cf, cf.pool_max, 2), 2);
    CHECK_INT(cf.pool_min, 3); /* one per thread */
    CHECK_INT(gp_config_pool_share(&cf, cf.pool_min, 2), 1);
    gp_config_free(&cf);
}

static void test_help(void)
{
    gp_config_t cf;
    CHECK_INT(parse(&cf, NARGS("-h"), ARGS("-h"), ENV("X=1")), GP_CONFIG_HELP);
    gp_config_free(&cf);
    CHECK_INT(parse(&cf, NARGS("--help"), ARGS("--help"), ENV("GRAPHPOST_PORT=bad")), GP_CONFIG_HELP);
    gp_config_free(&cf);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    gp_config_usage(f);
    fclose(f);
    static const char *const must[] = {
        "GRAPHPOST_DATABASE_URL", "DATABASE_URL", "GRAPHPOST_DB_HOST", "GRAPHPOST_DB_PORT",
        "GRAPHPOST_DB_USER", "GRAPHPOST_DB_PASSWORD", "GRAPHPOST_DB_NAME", "GRAPHPOST_DB_SSLMODE",
        "GRAPHPOST_DB_SSLROOTCERT", "GRAPHPOST_DB_SSLCERT", "GRAPHPOST_DB_SSLKEY", "--db-sslrootcert", "--db-sslcert",
        "--db-sslkey",
        "GRAPHPOST_DB_SCHEMA", "GRAPHPOST_HOST", "GRAPHPOST_PORT", "GRAPHPOST_THREADS", "GRAPHPOST_SCHEMA",
        "GRAPHPOST_POOL_MIN", "GRAPHPOST_POOL_MAX", "GRAPHPOST_POOL_ACQUIRE_TIMEOUT", "GRAPHPOST_LOG_LEVEL",
        "GRAPHPOST_MAX_BODY", "--max-body", "default: 1048576", "--database-url", "--host", "--port", "--threads", "--schema", "--pool-min", "--pool-max",
        "--pool-acquire-timeout", "--pool-max-lifetime", "GRAPHPOST_POOL_MAX_IDLE", "--pool-health-check-period",
        "GRAPHPOST_IDLE_IN_TRANSACTION_TIMEOUT", "--application-name", "--log-level", "--print-schema", "--help", "default: 8080",
        "default: 127.0.0.1", "default: public", "default: 5000", "default: info", "default: number of cores",
    };
    for (size_t i = 0; i < sizeof must / sizeof *must; i++) {
        test_checks++;
        if (strstr(text, must[i]) == NULL) {
            test_failures++;
            fprintf(stderr, "--help does not mention %s\n", must[i]);
        }
    }
    free(text);
}

static void test_max_body(void)
{
    gp_config_t cf;
    CHECK_INT(parse(&cf, NARGS("--max-body", "4096"), ARGS("--max-body", "4096"), ENV("GRAPHPOST_MAX_BODY=8192")),
              GP_CONFIG_OK);
    CHECK_INT(cf.max_body, 4096);
    gp_config_free(&cf);
    char *const argv[] = {"graphpost"};
    CHECK_INT(parse(&cf, 1, argv, ENV("GRAPHPOST_MAX_BODY=8192")), GP_CONFIG_OK);
    CHECK_INT(cf.max_body, 8192);
    gp_config_free(&cf);
    CHECK_INT(parse(&cf, NARGS("--max-body", "10"), ARGS("--max-body", "10"), ENV("HOME=/")), GP_CONFIG_ERROR);
    CHECK_STR(err, "--max-body: expected an integer from 1024 to 1073741824, got \"10\"");
    gp_config_free(&cf);
}

static void test_describe_masks_secrets(void)
{
    gp_config_t cf;
    char *const argv[] = {"graphpost"};
    CHECK_INT(parse(&cf, 1, argv,
                    ENV("DATABASE_URL=postgres://app:s3cret@db/blog?sslmode=disable&password=two",
                        "GRAPHPOST_DB_PASSWORD=hunter2", "GRAPHPOST_THREADS=2")),
              GP_CONFIG_OK);
    const char *d = gp_config_describe(&cf);
    CHECK(strstr(d, "s3cret") == NULL);
    CHECK(strstr(d, "hunter2") == NULL);
    CHECK(strstr(d, "two") == NULL);
    CHECK(strstr(d, "database-url=postgres://app:***@db/blog?sslmode=disable&password=***") != NULL);
    CHECK(strstr(d, "db-password=*** ") != NULL);
    CHECK(strstr(d, "threads=2 ") != NULL);
    CHECK(strstr(d, "pool-max=16 ") != NULL);
    gp_config_free(&cf);

    CHECK_INT(parse(&cf, 1, argv, ENV("DATABASE_URL=host=db password='a b\\'c' dbname=blog")), GP_CONFIG_OK);
    d = gp_config_describe(&cf);
    CHECK(strstr(d, "database-url=host=db password=*** dbname=blog") != NULL);
    gp_config_free(&cf);
}

/* What libpq itself makes of the keyword arrays: the options of a connection
 * started from them (socket directories that do not exist, so it fails at once
 * and looks nothing up). Returns a malloc'd list of the values of the NULL-terminated
 * `want`, "-" for an unset one. */
static char *libpq_sees_keys(const gp_config_t *cf, const char *const *want)
{
    PGconn *conn = PQconnectStartParams(cf->conn_keywords, cf->conn_values, 1);
    PQconninfoOption *opts = PQconninfo(conn);
    char *out = calloc(1, 512);
    for (size_t i = 0; want[i] != NULL; i++)
        for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++)
            if (strcmp(o->keyword, want[i]) == 0)
                snprintf(out + strlen(out), 512 - strlen(out), "%s%s", i ? " " : "", o->val ? o->val : "-");
    PQconninfoFree(opts);
    PQfinish(conn);
    return out;
}

/* "host port user password dbname", as libpq sees them. */
static char *libpq_sees(const gp_config_t *cf)
{
    static const char *const want[] = {"host", "port", "user", "password", "dbname", NULL};
    return libpq_sees_keys(cf, want);
}

static void test_flag_url_beats_env_parts(void)
{
    gp_config_t cf;
    char *const *env = ENV("GRAPHPOST_DB_HOST=/env/run", "GRAPHPOST_DB_PORT=6000", "GRAPHPOST_DB_PASSWORD=envpw",
                           "GRAPHPOST_DB_NAME=envdb");
    /* The flag's URL sets host, port, user and dbname: the variables do not change
     * them; it sets no password, so GRAPHPOST_DB_PASSWORD still supplies one. */
    CHECK_INT(parse(&cf, NARGS("--database-url", "postgresql://app@%2Fflag%2Frun:5999/flagdb"),
                    ARGS("--database-url", "postgresql://app@%2Fflag%2Frun:5999/flagdb"), env),
              GP_CONFIG_OK);
    char *seen = libpq_sees(&cf);
    CHECK_STR(seen, "/flag/run 5999 app envpw flagdb");
    free(seen);
    gp_config_free(&cf);

    /* A part given as a flag still overrides the flag's URL. */
    CHECK_INT(parse(&cf, NARGS("--database-url=postgresql://app@%2Fflag%2Frun:5999/flagdb", "--db-host=/flag2"),
                    ARGS("--database-url=postgresql://app@%2Fflag%2Frun:5999/flagdb", "--db-host=/flag2"), env),
              GP_CONFIG_OK);
    seen = libpq_sees(&cf);
    CHECK_STR(seen, "/flag2 5999 app envpw flagdb");
    free(seen);
    gp_config_free(&cf);

    /* A URL from the environment is overridden by the DB_* variables, as before. */
    char *const argv[] = {"graphpost"};
    CHECK_INT(parse(&cf, 1, argv,
                    ENV("DATABASE_URL=postgresql://app:urlpw@%2Furl%2Frun:5999/urldb", "GRAPHPOST_DB_HOST=/env/run",
                        "GRAPHPOST_DB_NAME=envdb")),
              GP_CONFIG_OK);
    seen = libpq_sees(&cf);
    CHECK_STR(seen, "/env/run 5999 app urlpw envdb");
    free(seen);
    gp_config_free(&cf);
}

/* Every secret keyword (password and sslpassword), in both connection-string forms,
 * however its value is quoted or escaped. */
static void expect_masked(const char *url, const char *shown, const char *secret)
{
    gp_config_t cf;
    char *const argv[] = {"graphpost", "--database-url", (char *)url};
    CHECK_INT(parse(&cf, 3, argv, ENV("HOME=/")), GP_CONFIG_OK);
    const char *d = gp_config_describe(&cf);
    const char *at = strstr(d, "database-url=");
    char got[512] = "";
    if (at != NULL)
        snprintf(got, sizeof got, "%s", at + 13);
    char *next = strstr(got, " host=127.0.0.1"); /* the setting after it */
    if (next != NULL)
        *next = '\0';
    CHECK_STR(got, shown);
    CHECK(strstr(d, secret) == NULL);
    gp_config_free(&cf);
}

static void test_describe_masks_every_secret(void)
{
    expect_masked("host=db password=Zpw\\ EscTail dbname=blog", "host=db password=*** dbname=blog", "EscTail");
    expect_masked("host=db sslpassword=keypass dbname=blog", "host=db sslpassword=*** dbname=blog", "keypass");
    expect_masked("host=db sslpassword = 'k e\\'y' password=x\\\\ dbname=blog",
                  "host=db sslpassword=*** password=*** dbname=blog", "k e");
    expect_masked("postgresql://app:pw@db/blog?sslpassword=keypass&sslmode=disable",
                  "postgresql://app:***@db/blog?sslpassword=***&sslmode=disable", "keypass");
    expect_masked("postgresql://db/blog?ssl%70assword=keypass#x&application_name=a",
                  "postgresql://db/blog?ssl%70assword=***&application_name=a", "keypass");
}

/* "sslmode sslrootcert sslcert sslkey", as libpq sees them. */
static char *libpq_sees_tls(const gp_config_t *cf)
{
    static const char *const want[] = {"sslmode", "sslrootcert", "sslcert", "sslkey", NULL};
    return libpq_sees_keys(cf, want);
}

static void test_tls_parts_override_url(void)
{
    gp_config_t cf;
    char *const argv[] = {"graphpost"};
#define URL "DATABASE_URL=postgresql://app@%2Fnone/blog?sslmode=verify-full" \
            "&sslrootcert=/url/ca.crt&sslcert=/url/client.crt&sslkey=/url/client.key"

    /* The URL alone: libpq takes its TLS settings as they are. */
    CHECK_INT(parse(&cf, 1, argv, ENV(URL)), GP_CONFIG_OK);
    char *seen = libpq_sees_tls(&cf);
    CHECK_STR(seen, "verify-full /url/ca.crt /url/client.crt /url/client.key");
    free(seen);
    gp_config_free(&cf);

    /* The variables override the URL's, part by part; a flag beats its variable. */
    CHECK_INT(parse(&cf, NARGS("--db-sslkey", "/flag/client.key"), ARGS("--db-sslkey", "/flag/client.key"),
                    ENV(URL, "GRAPHPOST_DB_SSLMODE=verify-ca", "GRAPHPOST_DB_SSLROOTCERT=/env/ca.crt",
                        "GRAPHPOST_DB_SSLCERT=/env/client.crt", "GRAPHPOST_DB_SSLKEY=/env/client.key")),
              GP_CONFIG_OK);
    CHECK_STR(cf.db_sslrootcert, "/env/ca.crt");
    CHECK_STR(cf.db_sslcert, "/env/client.crt");
    CHECK_STR(cf.db_sslkey, "/flag/client.key");
    seen = libpq_sees_tls(&cf);
    CHECK_STR(seen, "verify-ca /env/ca.crt /env/client.crt /flag/client.key");
    free(seen);
    /* Paths are no secrets: the effective-config line shows them. */
    const char *d = gp_config_describe(&cf);
    CHECK(strstr(d, "db-sslrootcert=/env/ca.crt db-sslcert=/env/client.crt db-sslkey=/flag/client.key") != NULL);
    gp_config_free(&cf);

    /* A URL given as a flag beats the variables, which only fill in what it leaves out. */
#define FLAG_URL "postgresql://app@%2Fnone/blog?sslmode=require&sslrootcert=/flag/ca.crt&sslkey=/flag/client.key"
    CHECK_INT(parse(&cf, NARGS("--database-url", FLAG_URL), ARGS("--database-url", FLAG_URL),
                    ENV("GRAPHPOST_DB_SSLMODE=disable", "GRAPHPOST_DB_SSLROOTCERT=/env/ca.crt",
                        "GRAPHPOST_DB_SSLCERT=/env/client.crt", "GRAPHPOST_DB_SSLKEY=/env/client.key")),
              GP_CONFIG_OK);
#undef FLAG_URL
#undef URL
    seen = libpq_sees_tls(&cf);
    CHECK_STR(seen, "require /flag/ca.crt /env/client.crt /flag/client.key");
    free(seen);
    gp_config_free(&cf);
}

static void test_request_limits(void)
{
    gp_config_t cf;
    char *const argv[] = {"graphpost"};
    CHECK_INT(parse(&cf, 1, argv, ENV("HOME=/")), GP_CONFIG_OK);
    CHECK_INT(cf.max_response_bytes, 64 << 20);
    CHECK_INT(cf.max_request_memory, 64 << 20);
    CHECK_INT(cf.send_timeout_ms, 10000);
    gp_config_free(&cf);
    CHECK_INT(parse(&cf, NARGS("--max-request-memory", "2097152", "--send-timeout=250"),
                    ARGS("--max-request-memory", "2097152", "--send-timeout=250"), ENV("GRAPHPOST_SEND_TIMEOUT=9")),
              GP_CONFIG_OK);
    CHECK_INT(cf.max_request_memory, 2 << 20);
    CHECK_INT(cf.send_timeout_ms, 250);
    gp_config_free(&cf);
    expect_error(NARGS("--max-request-memory", "1000"), ARGS("--max-request-memory", "1000"), ENV("HOME=/"),
                 "--max-request-memory: expected an integer from 1048576 to 1073741824, got \"1000\"");
    expect_error(1, ARGS(NULL), ENV("GRAPHPOST_SEND_TIMEOUT=5"),
                 "GRAPHPOST_SEND_TIMEOUT: expected an integer from 100 to 3600000, got \"5\"");
}

/* What libpq makes of replica i's keyword arrays, as libpq_sees_keys does for the writer. */
static char *replica_sees(const gp_config_t *cf, int i)
{
    static const char *const want[] = {"host", "port", "user", "password", "dbname", "sslmode", "sslrootcert",
                                       "application_name", NULL};
    gp_config_t view = *cf;
    memcpy(view.conn_keywords, cf->replicas[i].conn_keywords, sizeof view.conn_keywords);
    memcpy(view.conn_values, cf->replicas[i].conn_values, sizeof view.conn_values);
    return libpq_sees_keys(&view, want);
}

static void test_read_replicas(void)
{
    gp_config_t cf;
    char *const argv[] = {"graphpost"};
    CHECK_INT(parse(&cf, 1, argv, ENV("HOME=/")), GP_CONFIG_OK);
    CHECK_INT(cf.nreplicas, 0);
    gp_config_free(&cf);

    /* The variable: comma-separated, blanks trimmed; a comma inside a URL is %2C. */
    CHECK_INT(parse(&cf, 1, argv,
                    ENV("GRAPHPOST_READ_REPLICA_URLS=postgres://r1:5433/blog , postgresql://%2Fa%2Cb:5434/blog")),
              GP_CONFIG_OK);
    CHECK_INT(cf.nreplicas, 2);
    CHECK_STR(cf.replicas[0].url, "postgres://r1:5433/blog");
    CHECK_STR(cf.replicas[0].address, "r1:5433");
    CHECK_STR(cf.replicas[1].address, "/a,b:5434");
    gp_config_free(&cf);

    /* Flags repeat, and replace the variable's list. */
    CHECK_INT(parse(&cf, NARGS("--read-replica-url", "postgres://f1/blog", "--read-replica-url=host=f2 port=6000"),
                    ARGS("--read-replica-url", "postgres://f1/blog", "--read-replica-url=host=f2 port=6000"),
                    ENV("GRAPHPOST_READ_REPLICA_URLS=postgres://env/blog")),
              GP_CONFIG_OK);
    CHECK_INT(cf.nreplicas, 2);
    CHECK_STR(cf.replicas[0].address, "f1:5432");
    CHECK_STR(cf.replicas[1].address, "f2:6000");
    gp_config_free(&cf);

    expect_error(1, ARGS(NULL), ENV("GRAPHPOST_READ_REPLICA_URLS=postgres://a/b,,postgres://c/d"),
                 "GRAPHPOST_READ_REPLICA_URLS: empty item in \"postgres://a/b,,postgres://c/d\"");
    expect_error(NARGS("--read-replica-url", "postgres://a/b", "--read-replica-url", "host='x"),
                 ARGS("--read-replica-url", "postgres://a/b", "--read-replica-url", "host='x"), ENV("HOME=/"),
                 "--read-replica-url: not a valid connection string: unterminated quoted string in connection info "
                 "string");
}

/* GRAPHPOST_DB_* but host and port fill in what a replica's URL leaves out; never
 * override it, flag or not. */
static void test_replica_conn_parts(void)
{
    gp_config_t cf;
    CHECK_INT(parse(&cf, NARGS("--db-password", "flagpw", "--application-name", "app"),
                    ARGS("--db-password", "flagpw", "--application-name", "app"),
                    ENV("DATABASE_URL=postgres://w@writer:5000/blog", "GRAPHPOST_DB_HOST=/h",
                        "GRAPHPOST_DB_PORT=7000", "GRAPHPOST_DB_USER=envuser", "GRAPHPOST_DB_SSLMODE=disable",
                        "GRAPHPOST_DB_SSLROOTCERT=/ca.pem",
                        "GRAPHPOST_READ_REPLICA_URLS=postgresql://%2Fr1:5433/blog,"
                        "postgresql://own:ownpw@%2Fr2:5434/other?sslmode=allow")),
              GP_CONFIG_OK);
    char *seen = replica_sees(&cf, 0);
    CHECK_STR(seen, "/r1 5433 envuser flagpw blog disable /ca.pem app");
    free(seen);
    seen = replica_sees(&cf, 1);
    CHECK_STR(seen, "/r2 5434 own ownpw other allow /ca.pem app");
    free(seen);
    const char *d = gp_config_describe(&cf);
    CHECK(strstr(d, "ownpw") == NULL);
    CHECK(strstr(d, "flagpw") == NULL);
    CHECK(strstr(d, "read-replica-url=postgresql://%2Fr1:5433/blog read-replica-url=postgresql://own:***@%2Fr2:5434/"
                    "other?sslmode=allow") != NULL);
    gp_config_free(&cf);
}

static void test_websocket_settings(void)
{
    gp_config_t cf;
    char *const argv[] = {"graphpost"};
    CHECK_INT(parse(&cf, 1, argv, ENV("HOME=/")), GP_CONFIG_OK);
    CHECK_INT(cf.ws_init_timeout_ms, 3000);
    CHECK_INT(cf.ws_keepalive_ms, 12000);
    gp_config_free(&cf);
    CHECK_INT(parse(&cf, NARGS("--ws-init-timeout", "50"), ARGS("--ws-init-timeout", "50"),
                    ENV("GRAPHPOST_WS_INIT_TIMEOUT=9000", "GRAPHPOST_WS_KEEPALIVE=400")),
              GP_CONFIG_OK);
    CHECK_INT(cf.ws_init_timeout_ms, 50);
    CHECK_INT(cf.ws_keepalive_ms, 400);
    gp_config_free(&cf);
    expect_error(1, ARGS(NULL), ENV("GRAPHPOST_WS_INIT_TIMEOUT=0"),
                 "GRAPHPOST_WS_INIT_TIMEOUT: expected an integer from 1 to 600000, got \"0\"");
    expect_error(NARGS("--ws-keepalive=10"), ARGS("--ws-keepalive=10"), ENV("HOME=/"),
                 "--ws-keepalive: expected an integer from 100 to 3600000, got \"10\"");
}

/* --prepared-statements on|off, and the LISTEN connection: its own URL (secrets masked),
 * else the pool's parameters; with statements off and no URL of its own, no LISTEN. */
static void test_prepared_statements_and_listen_url(void)
{
    gp_config_t cf;
    char *const argv[] = {"graphpost"};
    CHECK_INT(parse(&cf, 1, argv, ENV("DATABASE_URL=postgres://app@bouncer:6432/blog")), GP_CONFIG_OK);
    CHECK(cf.prepared_statements);
    CHECK(cf.listen);
    CHECK(cf.listen_database_url == NULL);
    for (int i = 0; cf.conn_keywords[i] != NULL || cf.listen_keywords[i] != NULL; i++) {
        CHECK_STR(cf.listen_keywords[i], cf.conn_keywords[i]);
        CHECK_STR(cf.listen_values[i], cf.conn_values[i]);
    }
    gp_config_free(&cf);

    CHECK_INT(parse(&cf, NARGS("--prepared-statements", "off"), ARGS("--prepared-statements", "off"),
                    ENV("DATABASE_URL=postgres://app@bouncer:6432/blog")),
              GP_CONFIG_OK);
    CHECK(!cf.prepared_statements);
    CHECK(!cf.listen);
    gp_config_free(&cf);

    CHECK_INT(parse(&cf, 1, argv,
                    ENV("DATABASE_URL=postgres://app@bouncer:6432/blog", "GRAPHPOST_PREPARED_STATEMENTS=off",
                        "GRAPHPOST_LISTEN_DATABASE_URL=postgres://app:s3cret@db:5432/blog", "GRAPHPOST_DB_PORT=7")),
              GP_CONFIG_OK);
    CHECK(!cf.prepared_statements);
    CHECK(cf.listen);
    const char *dbname = NULL, *port = NULL;
    for (int i = 0; cf.listen_keywords[i] != NULL; i++) {
        if (strcmp(cf.listen_keywords[i], "dbname") == 0)
            dbname = cf.listen_values[i];
        if (strcmp(cf.listen_keywords[i], "port") == 0)
            port = cf.listen_values[i];
    }
    CHECK_STR(dbname, "postgres://app:s3cret@db:5432/blog");
    CHECK(port == NULL); /* the DB_* parts are the pool's */
    const char *d = gp_config_describe(&cf);
    CHECK(strstr(d, "s3cret") == NULL);
    CHECK(strstr(d, "listen-database-url=postgres://app:***@db:5432/blog") != NULL);
    CHECK(strstr(d, "prepared-statements=off") != NULL);
    gp_config_free(&cf);

    expect_error(1, ARGS(NULL), ENV("GRAPHPOST_PREPARED_STATEMENTS=no"),
                 "GRAPHPOST_PREPARED_STATEMENTS: expected one of on, off, got \"no\"");
}

TEST_MAIN(test_defaults, test_flags_beat_env, test_env_beats_default, test_graphpost_url_beats_database_url,
          test_db_parts_override_url, test_schema_beats_db_schema, test_bad_values, test_flag_value_forms,
          test_bad_env_overridden_by_flag_is_harmless, test_pool_split, test_help, test_max_body,
          test_describe_masks_secrets, test_flag_url_beats_env_parts, test_describe_masks_every_secret,
          test_tls_parts_override_url, test_request_limits, test_websocket_settings,
          test_prepared_statements_and_listen_url, test_read_replicas, test_replica_conn_parts)
