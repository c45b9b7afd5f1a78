/* server/health.c — health, readiness, liveness and pool statistics. */
#include "server/health.h"

#ifndef GP_VERSION
#define GP_VERSION "unknown"
#endif

int gp_health_live(gp_strbuf_t *out)
{
    gp_strbuf_lit(out, "{\"status\":\"ok\"}");
    return 200;
}

static bool ready(gp_metrics_t *m, bool schema_loaded)
{
    gp_pool_stats_t s;
    return gp_metrics_pools(m, &s) && schema_loaded;
}

int gp_health_ready(gp_metrics_t *m, bool schema_loaded, gp_strbuf_t *out)
{
    bool ok = ready(m, schema_loaded);
    gp_strbuf_printf(out, "{\"status\":\"%s\"}", ok ? "ok" : "unavailable");
    return ok ? 200 : 503;
}

int gp_health_health(gp_metrics_t *m, bool schema_loaded, gp_strbuf_t *out)
{
    bool ok = ready(m, schema_loaded);
    gp_strbuf_printf(out, "{\"status\":\"%s\",\"schema_loaded\":%s,\"uptime_seconds\":%.0f,\"version\":\"%s\"}",
                     ok ? "ok" : "unavailable", schema_loaded ? "true" : "false", gp_metrics_uptime(m), GP_VERSION);
    return ok ? 200 : 503;
}

int gp_health_database(gp_metrics_t *m, bool schema_loaded, gp_strbuf_t *out)
{
    gp_pool_stats_t s;
    bool reachable = gp_metrics_pools(m, &s);
    bool ok = reachable && schema_loaded;
    gp_strbuf_printf(out,
                     "{\"status\":\"%s\",\"writer\":{\"status\":\"%s\",\"total\":%d,\"idle\":%d,\"in_use\":%d,"
                     "\"connecting\":%d,\"waiting\":%d,\"max\":%d,\"queries\":%llu,\"wait_count\":%llu,"
                     "\"wait_ms_total\":%.3f,\"exhausted\":%llu,\"acquire_timeouts\":%llu,\"errors\":%llu,"
                     "\"reconnects\":%llu,\"retries\":%llu,\"cancels\":%llu,\"recycled\":%llu,\"health_checks\":%llu,"
                     "\"health_check_failures\":%llu}}",
                     ok ? "ok" : "unavailable", reachable ? "ok" : "unavailable", s.total, s.idle, s.busy,
                     s.connecting, s.waiting, s.max, s.queries, s.waits, (double)s.wait_us / 1000.0, s.exhausted,
                     s.acquire_timeouts, s.errors, s.reconnects, s.retries, s.cancels, s.recycled, s.health_checks,
                     s.health_failures);
    return ok ? 200 : 503;
}
