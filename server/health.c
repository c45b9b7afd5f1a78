/* server/health.c — health, readiness, liveness and pool statistics. */
#include "server/health.h"

#include <stdio.h>

static const char ok[] = "{\"status\":\"ok\"}";
static const char unavailable[] = "{\"status\":\"unavailable\"}";

int gp_health_health(const gp_pool_t *pool, bool schema_loaded, const char **body, size_t *len)
{
    bool healthy = schema_loaded && gp_pool_is_healthy(pool);
    *body = healthy ? ok : unavailable;
    *len = healthy ? sizeof ok - 1 : sizeof unavailable - 1;
    return healthy ? 200 : 503;
}

int gp_health_live(const char **body, size_t *len)
{
    *body = ok;
    *len = sizeof ok - 1;
    return 200;
}

int gp_health_database(const gp_pool_t *pool, bool schema_loaded, char *buf, size_t bufsize, size_t *len)
{
    gp_pool_stats_t s;
    gp_pool_stats(pool, &s);
    bool healthy = schema_loaded && gp_pool_is_healthy(pool);
    int n = snprintf(buf, bufsize,
                     "{\"status\":\"%s\",\"pool\":{\"total\":%d,\"idle\":%d,\"busy\":%d,\"connecting\":%d,"
                     "\"waiting\":%d,\"queries\":%llu,\"errors\":%llu,\"acquire_timeouts\":%llu,"
                     "\"reconnects\":%llu,\"retries\":%llu}}",
                     healthy ? "ok" : "unavailable", s.total, s.idle, s.busy, s.connecting, s.waiting, s.queries,
                     s.errors, s.acquire_timeouts, s.reconnects, s.retries);
    *len = n < 0 ? 0 : (size_t)n < bufsize ? (size_t)n : bufsize - 1;
    return healthy ? 200 : 503;
}
